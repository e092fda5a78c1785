package io.switchboard.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.switchboard.Directory;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.team.Team;
import java.time.Instant;
import org.apache.pekko.testkit.ExplicitlyTriggeredScheduler;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/**
 * What the entity-level tests (ConversationEntityTest, TeamEntityTest, AgentEntityTest) share: one entity
 * alone in Pekko's {@link EventSourcedBehaviorTestKit} under {@link ManualTime}, and a {@link Directory}
 * that records what the entity tells the others instead of delivering it (no other entity runs).
 */
public final class EntityTestKit {
  private EntityTestKit() {}

  /** What the entity told another entity: {@code to} is "conversation x", "agent y" or "team z". */
  public record Sent(String to, Object command) {}

  /** The testkit's journal and ManualTime, over the project's config, with {@code extra} first. */
  public static Config config(String extra) {
    return ConfigFactory.parseString(extra + """

            pekko.loglevel = WARNING
            pekko.log-dead-letters = off
            # journal timeouts run on the scheduler, which is ManualTime here: make them unreachable
            pekko.persistence.journal-plugin-fallback.recovery-event-timeout = 36500d
            pekko.persistence.journal-plugin-fallback.circuit-breaker.call-timeout = 36500d
            pekko.persistence.snapshot-store-plugin-fallback.circuit-breaker.call-timeout = 36500d
            pekko.persistence.testkit.journal.circuit-breaker.call-timeout = 36500d
            """)
        .withFallback(EventSourcedBehaviorTestKit.config())
        .withFallback(ManualTimeScheduler.CONFIG)
        .withFallback(ManualTime.config())
        .withFallback(ConfigFactory.load());
  }

  /** A clock that reads ManualTime's scheduler: the entity's clock and its timers move together. */
  public static ManualClock clockOf(ActorTestKit testKit) {
    return new ManualClock(Instant.parse("2026-03-02T09:00:00Z"),
        (ExplicitlyTriggeredScheduler) Adapter.toClassic(testKit.system()).scheduler());
  }

  /** A directory that tells {@code sent} what it was asked to deliver. */
  public static Directory recording(ActorRef<Sent> sent) {
    return new Directory() {
      @Override
      public void conversation(String id, Conversation.Command command) {
        sent.tell(new Sent("conversation " + id, command));
      }

      @Override
      public void agent(String id, Agent.Command command) {
        sent.tell(new Sent("agent " + id, command));
      }

      @Override
      public void team(String id, Team.Command command) {
        sent.tell(new Sent("team " + id, command));
      }
    };
  }
}

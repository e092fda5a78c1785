package io.switchboard.testkit;

import io.switchboard.CoreSettings;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.conversation.Conversation;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingHint;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Drives the three entities in one actor system with ManualTime and an in-memory journal. One
 * fixture per test class (actor-system start-up dominates test time); each test uses its own
 * tenant so tests never see each other's entities.
 */
public final class Fixture implements AutoCloseable {
  public static final Instant START = Instant.parse("2026-03-02T09:00:00Z"); // a Monday
  private static final Duration ASK = Duration.ofSeconds(10);

  public final ActorTestKit testKit;
  public final ManualTime manualTime;
  public final ManualClock clock;
  public final CoreSettings settings;
  public final LocalDirectory directory;
  /** What the entities told live observers, in order. */
  public final RecordingObserver observed = new RecordingObserver();
  /** The contact and the CRM as the routing rules reach them: sent messages recorded, lookups scripted. */
  public final ScriptedPorts ports = new ScriptedPorts();

  public Fixture() {
    this(com.typesafe.config.ConfigFactory.empty());
  }

  /** With settings of the test's own on top of {@link TestConfig#manualTime()}. */
  public Fixture(com.typesafe.config.Config overrides) {
    testKit = ActorTestKit.create(overrides.withFallback(TestConfig.manualTime()));
    manualTime = ManualTime.get(testKit.system());
    clock = new ManualClock(START, (org.apache.pekko.testkit.ExplicitlyTriggeredScheduler)
        org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(testKit.system()).scheduler());
    settings = CoreSettings.from(testKit.system().settings().config());
    directory = LocalDirectory.start(testKit::spawn, clock, settings, observed, ports);
  }

  @Override
  public void close() {
    testKit.shutdownTestKit();
  }

  /** Moves the entities' clock and the scheduler together; every timer due by then fires. */
  public void advance(Duration d) {
    manualTime.timePasses(d);
  }

  public <T> T ask(Class<T> type, Consumer<ActorRef<T>> send) {
    TestProbe<T> probe = testKit.createTestProbe(type);
    send.accept(probe.ref());
    return probe.expectMessageClass(type, ASK);
  }

  public Outcome ask(Consumer<ActorRef<Outcome>> send) {
    return ask(Outcome.class, send);
  }

  /** Polls {@code check} (which throws AssertionError until it holds) for up to 10 s. */
  public <T> T eventually(Supplier<T> check) {
    return testKit.createTestProbe().awaitAssert(ASK, Duration.ofMillis(20), check::get);
  }

  public void eventually(Runnable check) {
    eventually(() -> {
      check.run();
      return null;
    });
  }

  // ---- convenience ----

  public static String conv(String tenant, String contact) {
    return EntityIds.conversationId(tenant, "whatsapp", contact);
  }

  public Outcome configureTeam(String teamId, TeamConfig config) {
    return ask(r -> directory.team(teamId, new Team.Configure(config, r)));
  }

  public Outcome profile(String agentId, AgentProfile profile) {
    return ask(r -> directory.agent(agentId, new Agent.SetProfile(profile, r)));
  }

  public Outcome presence(String agentId, Presence presence) {
    return ask(r -> directory.agent(agentId, new Agent.SetPresence(presence, r)));
  }

  /** An online agent with {@code capacity} on every channel. */
  public void onlineAgent(String agentId, int capacity) {
    profile(agentId, AgentProfile.withCapacity(capacity));
    presence(agentId, Presence.ONLINE);
  }

  public Outcome inbound(String conversationId, String messageId, String team) {
    return inbound(conversationId, messageId, RoutingHint.toTeam(team));
  }

  public Outcome inbound(String conversationId, String messageId, RoutingHint hint) {
    return ask(r -> directory.conversation(conversationId,
        new Conversation.Inbound(messageId, "text of " + messageId, hint, r)));
  }

  public Outcome reply(String conversationId, String agentId, boolean template) {
    return ask(r -> directory.conversation(conversationId,
        new Conversation.AgentReply(agentId, "hello", template, r)));
  }

  public Outcome claim(String agentId, String conversationId) {
    return ask(r -> directory.agent(agentId, new Agent.Claim(conversationId, r)));
  }

  public Outcome resolve(String conversationId) {
    return ask(r -> directory.conversation(conversationId, new Conversation.Resolve("test", r)));
  }

  public Outcome transferToAgent(String conversationId, String agentId) {
    return ask(r -> directory.conversation(conversationId, new Conversation.Transfer(agentId, null, "test", r)));
  }

  public Outcome transferToTeam(String conversationId, String teamId) {
    return ask(r -> directory.conversation(conversationId, new Conversation.Transfer(null, teamId, "test", r)));
  }

  public Conversation.View conversation(String id) {
    return ask(Conversation.View.class, r -> directory.conversation(id, new Conversation.Get(r)));
  }

  public Agent.View agent(String id) {
    return ask(Agent.View.class, r -> directory.agent(id, new Agent.Get(r)));
  }

  public Team.View team(String id) {
    return ask(Team.View.class, r -> directory.team(id, new Team.Get(r)));
  }

  /** Whether the entity runs now (asking does not start it). */
  public boolean isRunning(LocalDirectory.Kind kind, String id) {
    return ask(Boolean.class, r -> directory.isRunning(kind, id, r));
  }

  /** Waits until the conversation is assigned to {@code agentId} and the agent holds it. */
  public void awaitAssigned(String conversationId, String agentId) {
    eventually(() -> {
      Conversation.State s = conversation(conversationId).state();
      if (s.status() != Conversation.Status.ASSIGNED || !agentId.equals(s.agentId())) {
        throw new AssertionError(conversationId + " is " + s.status() + " with " + s.agentId() + ", expected "
            + agentId);
      }
      if (!agent(agentId).state().holds().containsKey(conversationId)) {
        throw new AssertionError(agentId + " does not hold " + conversationId);
      }
    });
  }

  public void awaitStatus(String conversationId, Conversation.Status status) {
    eventually(() -> {
      Conversation.Status actual = conversation(conversationId).state().status();
      if (actual != status) throw new AssertionError(conversationId + " is " + actual + ", expected " + status);
    });
  }

  /** Configures a team, failing the test if refused. */
  public void configure(String teamId, TeamConfig config) {
    Outcome o = configureTeam(teamId, config);
    if (!o.ok()) throw new AssertionError("configuring " + teamId + " refused: " + o);
  }

  /** Waits until the team has heard that each agent is online, so routing sees them. */
  public void awaitOnline(String teamId, String... agents) {
    eventually(() -> {
      java.util.Map<String, io.switchboard.agent.AgentStatus> members = team(teamId).members();
      for (String a : agents) {
        io.switchboard.agent.AgentStatus st = members.get(a);
        if (st == null || st.presence() != Presence.ONLINE) {
          throw new AssertionError(teamId + " does not see " + a + " online: " + st);
        }
      }
    });
  }

  /** Waits until the conversation waits in the team's queue for {@code reason}. */
  public void awaitQueued(String teamId, String conversationId, String reason) {
    eventually(() -> {
      Team.QueueEntry e = team(teamId).queue().stream()
          .filter(q -> q.request().conversationId().equals(conversationId)).findFirst()
          .orElseThrow(() -> new AssertionError(conversationId + " is not in the queue of " + teamId));
      if (!reason.equals(e.reason())) throw new AssertionError(conversationId + " waits for " + e.reason());
    });
  }

  public boolean inQueue(String teamId, String conversationId) {
    return team(teamId).queue().stream().anyMatch(q -> q.request().conversationId().equals(conversationId));
  }

  /** Waits until the conversation is assigned to some agent that holds it, and returns that agent. */
  public String awaitAnyAgent(String conversationId) {
    return eventually(() -> {
      Conversation.State s = conversation(conversationId).state();
      if (s.status() != Conversation.Status.ASSIGNED || s.agentId() == null) {
        throw new AssertionError(conversationId + " is " + s.status());
      }
      if (!agent(s.agentId()).state().holds().containsKey(conversationId)) {
        throw new AssertionError(s.agentId() + " does not hold " + conversationId);
      }
      return s.agentId();
    });
  }

  /** Waits until the conversation is in the team's queue, whatever the reason. */
  public void awaitQueuedIn(String teamId, String conversationId) {
    eventually(() -> {
      if (!inQueue(teamId, conversationId)) {
        throw new AssertionError(conversationId + " is not in " + teamId + "'s queue: " + team(teamId).queue());
      }
    });
  }
}

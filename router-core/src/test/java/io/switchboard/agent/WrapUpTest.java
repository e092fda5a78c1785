package io.switchboard.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Outcome;
import io.switchboard.conversation.Conversation;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Fixture;
import io.switchboard.testkit.LocalDirectory.Kind;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Wrap-up (issue 16, item 3): after a resolve the agent's unit stays held until the team's wrap-up ends, at its
 * deadline or when the agent ends it, so the next conversation does not arrive mid-notes.
 */
class WrapUpTest {
  static final Fixture f = new Fixture();
  static final Duration REPLY_WINDOW = Duration.ofMinutes(5);
  static final Duration WRAP_UP = Duration.ofSeconds(30);

  @AfterAll
  static void close() {
    f.close();
  }

  private static void team(String t, Duration wrapUp) {
    f.onlineAgent(t + "/a", 1);
    TeamConfig config = TeamConfig.of(List.of(t + "/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW);
    f.configure(t + "/sales", wrapUp == null ? config : config.withWrapUp(wrapUp));
    f.awaitOnline(t + "/sales", t + "/a");
  }

  /** Team {@code t} with a wrap-up; its conversation 1 assigned to its agent and resolved: returns its id. */
  private static String resolvedWhileWrappingUp(String t) {
    team(t, WRAP_UP);
    String first = Fixture.conv(t, "1");
    assertTrue(f.inbound(first, "m1", t + "/sales").ok());
    f.awaitAssigned(first, t + "/a");
    assertTrue(f.resolve(first).ok());
    f.awaitStatus(first, Conversation.Status.RESOLVED);
    f.eventually(() -> {
      Agent.Hold h = f.agent(t + "/a").state().hold(first);
      assertNotNull(h, "the resolved conversation's unit is still held");
      assertTrue(h.wrappingUp(), h.toString());
    });
    return first;
  }

  /** Conversation 2 of team {@code t}, waiting: its only agent is wrapping up. */
  private static String secondWaits(String t) {
    String second = Fixture.conv(t, "2");
    assertTrue(f.inbound(second, "m2", t + "/sales").ok());
    f.awaitQueued(t + "/sales", second, "no_agent_available");
    return second;
  }

  @Test
  void theUnitStaysHeldUntilTheWrapUpEndsAndTheNextConversationArrivesThen() {
    String first = resolvedWhileWrappingUp("wu1");
    assertEquals(f.clock.instant().plus(WRAP_UP), f.agent("wu1/a").state().hold(first).wrapUpUntil(),
        "no time passed since the resolve");
    String second = secondWaits("wu1");

    f.advance(WRAP_UP.minusSeconds(1));
    assertTrue(f.inQueue("wu1/sales", second), "still wrapping up: the next conversation waits");
    f.advance(Duration.ofSeconds(1));
    f.awaitAssigned(second, "wu1/a");
    assertFalse(f.agent("wu1/a").state().holds().containsKey(first), "the wrap-up ended");
    assertEquals(1, f.observed.of("wrap-up " + first + " wu1/a until ").size(), f.observed.lines().toString());
    assertEquals(List.of("wrap-up-ended " + first + " wu1/a deadline"), f.observed.of("wrap-up-ended " + first));
  }

  @Test
  void theAgentEndsTheWrapUpEarly() {
    String first = resolvedWhileWrappingUp("wu2");
    String second = secondWaits("wu2");

    Outcome ended = f.ask(r -> f.directory.agent("wu2/a", new Agent.EndWrapUp(first, r)));
    assertTrue(ended.ok(), ended.toString());
    f.awaitAssigned(second, "wu2/a");
    assertEquals(List.of("wrap-up-ended " + first + " wu2/a ended"), f.observed.of("wrap-up-ended " + first));

    Outcome again = f.ask(r -> f.directory.agent("wu2/a", new Agent.EndWrapUp(first, r)));
    assertEquals(Outcome.Code.NOT_FOUND.wire(), again.code(), "nothing left to end");
  }

  @Test
  void aWrapUpSurvivesTheAgentsRestartAndEndsAtItsDeadline() {
    String first = resolvedWhileWrappingUp("wu3");
    f.directory.stop(Kind.AGENT, "wu3/a");
    f.eventually(() -> assertTrue(f.agent("wu3/a").state().hold(first).wrappingUp(), "recovered with its wrap-up"));
    String second = secondWaits("wu3");

    f.advance(WRAP_UP);
    f.awaitAssigned(second, "wu3/a");
  }

  @Test
  void withoutAWrapUpTheUnitIsFreeAtTheResolve() {
    team("wu4", null);
    String first = Fixture.conv("wu4", "1");
    String second = Fixture.conv("wu4", "2");
    assertTrue(f.inbound(first, "m1", "wu4/sales").ok());
    f.awaitAssigned(first, "wu4/a");
    assertTrue(f.resolve(first).ok());
    assertTrue(f.inbound(second, "m2", "wu4/sales").ok());
    f.awaitAssigned(second, "wu4/a");
  }
}

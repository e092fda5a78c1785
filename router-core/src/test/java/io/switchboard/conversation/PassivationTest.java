package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.switchboard.agent.Agent;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Fixture;
import io.switchboard.testkit.LocalDirectory.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Recovery on demand, from the entities' side: a settled conversation stops itself when idle, one
 * that still has something to do in memory does not, the keeper's {@link Conversation.WakeUp} brings
 * a stopped one back in time for its deadline (or at once for a deadline that passed) and is
 * answered with the next deadline only once nothing is left unacknowledged. Agents re-verify after
 * a recovery only the holds that were never confirmed, so a restart does not start every assigned
 * conversation; agents and teams that were never configured stop when idle, configured ones run.
 */
class PassivationTest {
  private static final Duration IDLE = Duration.ofMinutes(1);

  static final Fixture f = new Fixture(ConfigFactory.parseString("""
      switchboard.core.passivate-after = 1m
      switchboard.core.min-sleep = 2m
      switchboard.core.confirm-flush-interval = 2s
      """));

  @AfterAll
  static void close() {
    f.close();
  }

  private static String assignedConversation(String tenant, Duration replyWindow) {
    String a = tenant + "/a", b = tenant + "/b", team = tenant + "/sales";
    f.onlineAgent(a, 3);
    f.onlineAgent(b, 3);
    f.configure(team, TeamConfig.of(List.of(a, b), StrategyKind.ROUND_ROBIN, replyWindow));
    f.awaitOnline(team, a, b);
    String c = Fixture.conv(tenant, "c1");
    assertTrue(f.inbound(c, "m1", team).ok());
    f.awaitAssigned(c, a);
    return c;
  }

  /**
   * Lets idle periods pass until the conversation stopped. (ManualTime delivers the timer messages of a
   * whole advance at once, at its end: one idle period can look busy, so a few are allowed.)
   */
  private static void idleUntilStopped(String c) {
    for (int i = 0; i < 5 && f.isRunning(Kind.CONVERSATION, c); i++) f.advance(IDLE);
    f.eventually(() -> assertFalse(f.isRunning(Kind.CONVERSATION, c), c + " still runs"));
  }

  private static Conversation.Woken wakeUp(String c, Instant wakeAt) {
    TestProbe<Conversation.Woken> probe = f.testKit.createTestProbe(Conversation.Woken.class);
    f.directory.conversation(c, new Conversation.WakeUp(wakeAt, 1, probe.ref()));
    return probe.expectMessageClass(Conversation.Woken.class);
  }

  @Test
  void aSettledConversationStopsWhenIdleAndIsWokenInTimeForItsReplyWindow() {
    String c = assignedConversation("pv1", Duration.ofMinutes(10));
    Instant deadline = f.conversation(c).state().replyDeadline();
    idleUntilStopped(c);

    // The keeper wakes it a little before the deadline: it starts, nothing is due yet, it answers so.
    f.advance(Duration.between(f.clock.instant(), deadline.minusSeconds(5)));
    Conversation.Woken early = wakeUp(c, deadline);
    assertEquals(deadline, early.next());
    assertEquals(c, early.conversationId());
    assertTrue(early.seq() > 0, "the version of the state it answered from: " + early.seq());
    assertTrue(f.isRunning(Kind.CONVERSATION, c));

    // Running, its own timer fires at the deadline.
    f.advance(Duration.ofSeconds(5));
    f.awaitAssigned(c, "pv1/b");
  }

  @Test
  void aDeadlineThatPassedWhileStoppedFiresWhenWokenAndTheAnswerWaitsForTheRelease() {
    String c = assignedConversation("pv2", Duration.ofMinutes(20));
    Instant deadline = f.conversation(c).state().replyDeadline();
    idleUntilStopped(c);
    f.advance(Duration.between(f.clock.instant(), deadline.plusSeconds(60)));

    TestProbe<Conversation.Woken> probe = f.testKit.createTestProbe(Conversation.Woken.class);
    f.directory.conversation(c, new Conversation.WakeUp(deadline, 1, probe.ref()));
    f.awaitAssigned(c, "pv2/b");
    // re-routed from a: answered once a acknowledged the release (at the latest at the next re-check)
    f.advance(Duration.ofSeconds(3));
    Conversation.Woken woken = probe.expectMessageClass(Conversation.Woken.class);
    assertEquals(f.conversation(c).state().replyDeadline(), woken.next(), "the new reply window, b's");
    assertTrue(f.agent("pv2/a").state().holds().isEmpty());
  }

  @Test
  void aConversationWithADeadlineWithinMinSleepKeepsRunning() {
    String c = assignedConversation("pv3", Duration.ofSeconds(150));
    f.advance(IDLE.plusSeconds(1));
    f.advance(IDLE); // two idle checks; its deadline is now 28 s away, within min-sleep
    assertTrue(f.isRunning(Kind.CONVERSATION, c));
    f.advance(Duration.ofSeconds(30));
    f.awaitAssigned(c, "pv3/b");
  }

  @Test
  void aWaitingConversationKeepsRunning() {
    String a = "pv4/a", team = "pv4/sales";
    f.profile(a, io.switchboard.agent.AgentProfile.withCapacity(1)); // offline: nobody can take it
    f.configure(team, TeamConfig.of(List.of(a), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5)));
    String c = Fixture.conv("pv4", "c1");
    assertTrue(f.inbound(c, "m1", team).ok());
    f.awaitQueuedIn(team, c);
    for (int i = 0; i < 4; i++) f.advance(IDLE);
    assertTrue(f.isRunning(Kind.CONVERSATION, c));
    assertEquals(Conversation.Status.WAITING, f.conversation(c).state().status());
  }

  @Test
  void aResolvedConversationStopsAndAWakeUpWithNothingDueAnswersNoDeadline() {
    String c = assignedConversation("pv5", Duration.ofMinutes(5));
    assertTrue(f.resolve(c).ok());
    f.eventually(() -> assertTrue(f.agent("pv5/a").state().holds().isEmpty()));
    idleUntilStopped(c);
    Conversation.Woken woken = wakeUp(c, f.clock.instant());
    assertNull(woken.next());
  }

  @Test
  void anAgentReVerifiesAfterItsRecoveryOnlyHoldsThatWereNeverConfirmed() {
    String c1 = assignedConversation("pv6", Duration.ofMinutes(30));
    String a = "pv6/a";
    f.advance(Duration.ofSeconds(2)); // the confirmation is flushed
    f.eventually(() -> assertTrue(f.agent(a).state().holds().get(c1).confirmed()));

    // c2 is confirmed in the agent's memory only when both stop
    String c2 = Fixture.conv("pv6", "c2");
    f.presence("pv6/b", io.switchboard.routing.Presence.OFFLINE);
    assertTrue(f.inbound(c2, "m1", "pv6/sales").ok());
    f.awaitAssigned(c2, a);
    f.directory.stop(Kind.AGENT, a);
    f.directory.stop(Kind.CONVERSATION, c1);
    f.directory.stop(Kind.CONVERSATION, c2);
    f.eventually(() -> assertFalse(f.isRunning(Kind.CONVERSATION, c2)));

    Agent.State recovered = f.agent(a).state(); // starts the agent again
    assertFalse(recovered.holds().get(c2).confirmed());
    f.eventually(() -> assertTrue(f.isRunning(Kind.CONVERSATION, c2), "c2 re-verified"));
    assertFalse(f.isRunning(Kind.CONVERSATION, c1), "c1 was confirmed: left stopped");
    f.advance(Duration.ofSeconds(2));
    f.eventually(() -> assertTrue(f.agent(a).state().holds().get(c2).confirmed()));
  }

  @Test
  void agentsAndTeamsNeverConfiguredStopWhenIdleConfiguredOnesRun() {
    f.agent("pv7/nobody");
    f.team("pv7/nothing");
    f.onlineAgent("pv7/a", 1);
    f.configure("pv7/sales", TeamConfig.of(List.of("pv7/a"), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5)));
    for (int i = 0; i < 5 && f.isRunning(Kind.AGENT, "pv7/nobody"); i++) f.advance(IDLE);
    for (int i = 0; i < 5 && f.isRunning(Kind.TEAM, "pv7/nothing"); i++) f.advance(IDLE);
    f.eventually(() -> {
      assertFalse(f.isRunning(Kind.AGENT, "pv7/nobody"));
      assertFalse(f.isRunning(Kind.TEAM, "pv7/nothing"));
    });
    assertTrue(f.isRunning(Kind.AGENT, "pv7/a"));
    assertTrue(f.isRunning(Kind.TEAM, "pv7/sales"));
  }
}

package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.HoldToken;
import io.switchboard.Outcome;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Fixture;
import io.switchboard.testkit.LocalDirectory.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Invariant 4: every deadline fires once, after it is due, also after a restart. Each clock (the
 * conversation's reply window, the team's queue wait, the agent's offline grace) is tested twice:
 * the entity restarts before its deadline and must still fire at the original instant, not a fresh
 * one; or it is down when the deadline passes and must fire as soon as it recovers.
 */
class TimersSurviveRecoveryTest {
  static final Fixture f = new Fixture();

  @AfterAll
  static void close() {
    f.close();
  }

  // ---- reply window (owned by the conversation) ----

  @Test
  void replyWindowFiresAtItsOriginalDeadlineAfterARestart() {
    String a = "rw1/a", b = "rw1/b", team = "rw1/sales";
    f.onlineAgent(a, 2);
    f.onlineAgent(b, 2);
    assertTrue(f.configureTeam(team, TeamConfig.of(List.of(a, b), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5))).ok());
    f.awaitOnline(team, a, b); // round robin starts with a only once the team has heard both are online
    String c = Fixture.conv("rw1", "c1");
    assertTrue(f.inbound(c, "m1", team).ok());
    f.awaitAssigned(c, a);

    f.advance(Duration.ofMinutes(2));
    stopAndSettle(Kind.CONVERSATION, c, () -> f.team(team));
    assertAssignedTo(c, a); // wakes it: it recovers from the journal

    f.advance(Duration.ofMinutes(2).plusSeconds(59));
    assertAssignedTo(c, a);

    f.advance(Duration.ofSeconds(1));
    f.awaitAssigned(c, b);
    f.eventually(() -> assertTrue(f.agent(a).state().holds().isEmpty(), "the silent agent is released"));
  }

  @Test
  void replyWindowThatPassedWhileDownFiresAtOnceOnRecovery() {
    String a = "rw2/a", b = "rw2/b", team = "rw2/sales";
    f.onlineAgent(a, 2);
    f.onlineAgent(b, 2);
    assertTrue(f.configureTeam(team, TeamConfig.of(List.of(a, b), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5))).ok());
    f.awaitOnline(team, a, b); // round robin starts with a only once the team has heard both are online
    String c = Fixture.conv("rw2", "c1");
    assertTrue(f.inbound(c, "m1", team).ok());
    f.awaitAssigned(c, a);

    stopAndSettle(Kind.CONVERSATION, c, () -> f.team(team));
    f.advance(Duration.ofMinutes(10));

    f.conversation(c); // wakes it; no further time passes
    f.awaitAssigned(c, b);
    f.eventually(() -> assertTrue(f.agent(a).state().holds().isEmpty(), "the silent agent is released"));
  }

  // ---- queue wait (owned by the team) ----

  @Test
  void queueWaitDeadlineFiresAtItsOriginalInstantAfterTheTeamRestarts() {
    String busy = "qw1/busy", spare = "qw1/spare", team = "qw1/sales", overflow = "qw1/overflow";
    queueWaitSetup(busy, spare, team, overflow);
    String c = Fixture.conv("qw1", "c1");
    assertTrue(f.inbound(c, "m1", team).ok());
    f.awaitQueuedIn(team, c);

    f.advance(Duration.ofMinutes(2));
    stopAndSettle(Kind.TEAM, team, () -> f.agent(spare));
    f.awaitQueuedIn(team, c); // wakes it: the queue and its deadline come back from the journal

    f.advance(Duration.ofMinutes(2).plusSeconds(59));
    assertWaitingIn(c, team);
    f.awaitQueuedIn(team, c);

    f.advance(Duration.ofSeconds(1));
    f.awaitAssigned(c, spare);
    assertEquals(overflow, f.conversation(c).state().team());
    f.eventually(() -> assertTrue(f.team(team).queue().isEmpty(), "the overflowed conversation left the queue"));
  }

  @Test
  void queueWaitDeadlineThatPassedWhileTheTeamWasDownFiresAtOnceOnRecovery() {
    String busy = "qw2/busy", spare = "qw2/spare", team = "qw2/sales", overflow = "qw2/overflow";
    queueWaitSetup(busy, spare, team, overflow);
    String c = Fixture.conv("qw2", "c1");
    assertTrue(f.inbound(c, "m1", team).ok());
    f.awaitQueuedIn(team, c);

    stopAndSettle(Kind.TEAM, team, () -> f.agent(spare));
    f.advance(Duration.ofMinutes(10));

    f.team(team); // wakes it (if the conversation's re-announcement has not already); no further time passes
    f.awaitAssigned(c, spare);
    assertEquals(overflow, f.conversation(c).state().team());
  }

  /** A team whose only member is offline, with a 5 min queue-wait limit, overflowing to a team with a free agent. */
  private static void queueWaitSetup(String busy, String spare, String team, String overflow) {
    assertTrue(f.profile(busy, AgentProfile.withCapacity(2)).ok());
    assertTrue(f.presence(busy, Presence.OFFLINE).ok());
    f.onlineAgent(spare, 2);
    assertTrue(f.configureTeam(overflow, TeamConfig.of(List.of(spare), StrategyKind.ROUND_ROBIN, Duration.ZERO)).ok());
    assertTrue(f.configureTeam(team, TeamConfig.of(List.of(busy), StrategyKind.ROUND_ROBIN, Duration.ZERO)
        .withQueueWait(Duration.ofMinutes(5), overflow)).ok());
  }

  // ---- offline grace (owned by the agent) ----

  @Test
  void offlineGraceEndsAtItsOriginalDeadlineAfterTheAgentRestarts() {
    String a = "og1/a", b = "og1/b", team = "og1/sales";
    f.onlineAgent(a, 2);
    f.onlineAgent(b, 2);
    assertTrue(f.configureTeam(team, TeamConfig.of(List.of(a, b), StrategyKind.ROUND_ROBIN, Duration.ZERO)).ok());
    f.awaitOnline(team, a, b); // round robin starts with a only once the team has heard both are online
    String c = Fixture.conv("og1", "c1");
    assertTrue(f.inbound(c, "m1", team).ok());
    f.awaitAssigned(c, a);

    assertTrue(f.presence(a, Presence.OFFLINE).ok());
    assertEquals(f.settings.offlineGrace(), Duration.ofSeconds(30));
    f.advance(Duration.ofSeconds(10));
    stopAndSettle(Kind.AGENT, a, () -> f.team(team));
    assertEquals(Presence.OFFLINE, f.agent(a).state().presence()); // wakes it

    f.advance(Duration.ofSeconds(19));
    assertAssignedTo(c, a);

    f.advance(Duration.ofSeconds(1));
    f.awaitAssigned(c, b);
    f.eventually(() -> assertTrue(f.agent(a).state().holds().isEmpty(), "the offline agent is released"));
  }

  @Test
  void offlineGraceThatEndedWhileTheAgentWasDownReroutesAtOnceOnRecovery() {
    String a = "og2/a", b = "og2/b", team = "og2/sales";
    f.onlineAgent(a, 2);
    f.onlineAgent(b, 2);
    assertTrue(f.configureTeam(team, TeamConfig.of(List.of(a, b), StrategyKind.ROUND_ROBIN, Duration.ZERO)).ok());
    f.awaitOnline(team, a, b); // round robin starts with a only once the team has heard both are online
    String c = Fixture.conv("og2", "c1");
    assertTrue(f.inbound(c, "m1", team).ok());
    f.awaitAssigned(c, a);

    assertTrue(f.presence(a, Presence.OFFLINE).ok());
    stopAndSettle(Kind.AGENT, a, () -> f.team(team));
    f.advance(Duration.ofMinutes(10));

    f.agent(a); // wakes it; no further time passes
    f.awaitAssigned(c, b);
    f.eventually(() -> assertTrue(f.agent(a).state().holds().isEmpty(), "the offline agent is released"));
  }

  // ---- crashes mid-flight ----

  @Test
  void stoppingEveryEntityMidFlightLosesNoConversation() {
    String a = "mf/a", b = "mf/b", team = "mf/sales";
    f.onlineAgent(a, 10);
    f.onlineAgent(b, 10);
    assertTrue(f.configureTeam(team, TeamConfig.of(List.of(a, b), StrategyKind.ROUND_ROBIN, Duration.ZERO)).ok());
    f.awaitOnline(team, a, b); // round robin starts with a only once the team has heard both are online

    TestProbe<Outcome> acks = f.testKit.createTestProbe(Outcome.class);
    List<String> convs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String c = Fixture.conv("mf", "c" + i);
      convs.add(c);
      f.directory.conversation(c, new Conversation.Inbound("m" + i, "hello", RoutingHint.toTeam(team), acks.ref()));
    }
    f.directory.stop(Kind.TEAM, team);
    f.directory.stop(Kind.AGENT, a);
    f.directory.stop(Kind.AGENT, b);
    f.team(team);
    f.agent(a);
    f.agent(b);
    // an opening message whose probe was lost with the team or an agent is stored when the probe times out
    f.advance(f.settings.prerouteTimeout());
    for (Outcome o : acks.receiveSeveralMessages(20, Duration.ofSeconds(10))) assertTrue(o.ok(), o.toString());

    for (int round = 1; ; round++) {
      f.advance(f.settings.redeliveryInterval());
      try {
        f.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(1), Duration.ofMillis(50), () -> {
          assertEveryConversationAssignedAndHeld(convs, List.of(a, b), 10);
          return null;
        });
        break;
      } catch (AssertionError e) {
        if (round >= 30) throw e;
      }
    }
  }

  private static void assertEveryConversationAssignedAndHeld(List<String> convs, List<String> agents, int capacity) {
    Map<String, TreeSet<String>> assigned = new TreeMap<>();
    agents.forEach(x -> assigned.put(x, new TreeSet<>()));
    Map<String, HoldToken> holdOf = new TreeMap<>();
    for (String c : convs) {
      Conversation.State s = f.conversation(c).state();
      assertEquals(Conversation.Status.ASSIGNED, s.status(), c + " (" + s.reason() + ")");
      assertTrue(assigned.containsKey(s.agentId()), c + " assigned to " + s.agentId());
      assigned.get(s.agentId()).add(c);
      holdOf.put(c, s.hold());
    }
    for (String agent : agents) {
      Agent.State st = f.agent(agent).state();
      assertEquals(assigned.get(agent), new TreeSet<>(st.holds().keySet()), agent + " holds exactly what is assigned to it");
      st.holds().forEach((c, h) -> assertEquals(holdOf.get(c), h.hold(), agent + "'s hold on " + c));
      assertTrue(st.holds().size() <= capacity, agent + " holds " + st.holds().size() + " > capacity " + capacity);
    }
  }

  // ---- helpers ----

  /**
   * Stops the entity and makes sure the stop took effect before time moves on: the round trip
   * through {@code barrier} (another entity, reached through the same directory) comes back only
   * after the directory processed the stop, so a timer due later can no longer reach the old
   * incarnation.
   */
  private static void stopAndSettle(Kind kind, String id, Runnable barrier) {
    f.directory.stop(kind, id);
    barrier.run();
  }

  private static void assertAssignedTo(String conversationId, String agentId) {
    Conversation.State s = f.conversation(conversationId).state();
    assertEquals(Conversation.Status.ASSIGNED, s.status(), conversationId + " (" + s.reason() + ")");
    assertEquals(agentId, s.agentId());
  }

  private static void assertWaitingIn(String conversationId, String team) {
    Conversation.State s = f.conversation(conversationId).state();
    assertEquals(Conversation.Status.WAITING, s.status(), conversationId + " (" + s.reason() + ")");
    assertEquals(team, s.team());
  }
}

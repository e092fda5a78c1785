package io.switchboard.team;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.routing.EscalationTarget;
import io.switchboard.routing.StrategyKind;
import io.switchboard.testkit.Fixture;
import io.switchboard.testkit.LocalDirectory.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The fault test's quiet team, saturated: agents who never answer, a 3 s reply window, one re-route, then the
 * supervisor. Each conversation takes two holds of one window each (its second agent is not the one that
 * lapsed), so a backlog drains at (slots / window) holds a second after traffic stops, and the system moves
 * for 2 x backlog x window / slots. At every settled moment of that drain, and after a whole-node crash in the
 * middle of it, each hold is its conversation's assignment and each assignment is held; at the end nothing is
 * held and every conversation escalated.
 */
class SaturatedTeamBacklogTest {
  static final Fixture f = new Fixture();
  static final Duration WINDOW = Duration.ofSeconds(3);

  @AfterAll
  static void close() {
    f.close();
  }

  @Test
  void aSaturatedTeamsBacklogDrainsWithHoldsAndAssignmentsAgreeingThroughoutEvenAcrossACrash() {
    String t = "sat";
    List<String> agents = List.of(t + "/q1", t + "/q2", t + "/q3");
    String team = t + "/quiet";
    agents.forEach(a -> f.onlineAgent(a, 1)); // three slots
    f.configure(team, TeamConfig.of(agents, StrategyKind.ROUND_ROBIN, WINDOW)
        .withEscalation(EscalationTarget.supervisor(t + "/sup"), 1));
    f.awaitOnline(team, agents.toArray(String[]::new));
    List<String> convs = new ArrayList<>();
    for (int i = 1; i <= 9; i++) convs.add(Fixture.conv(t, "c" + i));
    for (String c : convs) assertTrue(f.inbound(c, c + "-m1", team).ok()); // traffic stops here: 9 waiting for 3 slots
    agree(convs, agents);

    // 9 conversations x 2 holds / 3 slots = 6 windows of work; a crash of every entity after the third
    int windows = 0;
    while (windows < 20 && !allEscalated(convs)) {
      f.advance(WINDOW);
      windows++;
      if (windows == 3) crashEverything(convs, agents, team);
      agree(convs, agents);
    }
    assertTrue(allEscalated(convs), "escalated after " + windows + " windows: " + statuses(convs));
    // the agents that started again take no offer while they settle (docs/ARCHITECTURE.md, "One durable write
    // per routed conversation"): the crash costs those windows on top
    long settling = (f.settings.grants().settle().toMillis() + WINDOW.toMillis() - 1) / WINDOW.toMillis();
    assertTrue(windows <= 8 + settling, "the backlog took " + windows + " windows (6 of work, " + settling
        + " settling)");
    System.out.printf("backlog of 9 for 3 slots drained in %d reply windows, a crash of every entity after the 3rd%n",
        windows);
    for (String a : agents) assertEquals(Map.of(), f.agent(a).state().holds(), a + " still holds");
    // each went to two different quiet agents: the one that lapsed was never offered it again
    PersistenceTestKit journal = PersistenceTestKit.create(f.testKit.system());
    for (String c : convs) {
      List<String> assignedTo = journal.persistedInStorage("Conversation|" + c).stream()
          .filter(e -> e instanceof Conversation.Assigned).map(e -> ((Conversation.Assigned) e).agentId()).toList();
      assertEquals(2, assignedTo.size(), c + " assigned to " + assignedTo);
      assertEquals(2, Set.copyOf(assignedTo).size(), c + " assigned to " + assignedTo);
    }
  }

  /**
   * A node killed: every entity stops at once, with what is in flight; agents and teams are remembered, the
   * keeper and the teams' queue checks wake the conversations (here: a read of each starts them).
   */
  private static void crashEverything(List<String> convs, List<String> agents, String team) {
    convs.forEach(c -> f.directory.stop(Kind.CONVERSATION, c));
    agents.forEach(a -> f.directory.stop(Kind.AGENT, a));
    f.directory.stop(Kind.TEAM, team);
    agents.forEach(f::agent);
    f.team(team);
    convs.forEach(f::conversation);
  }

  /** Once settled: each hold is an assignment of its conversation to that agent under that token, and back. */
  private static void agree(List<String> convs, List<String> agents) {
    f.eventually(() -> {
      Map<String, Conversation.State> states = new HashMap<>();
      convs.forEach(c -> states.put(c, f.conversation(c).state()));
      Map<String, String> heldBy = new HashMap<>();
      for (String a : agents) {
        Agent.State as = f.agent(a).state();
        as.holds().forEach((c, h) -> {
          Conversation.State cs = states.get(c);
          if (cs.status() != Conversation.Status.ASSIGNED || !a.equals(cs.agentId()) || !h.hold().equals(cs.hold())) {
            throw new AssertionError(a + " holds " + c + " (" + h.hold() + ") but it is " + cs.status() + " with "
                + cs.agentId() + " (" + cs.hold() + ")");
          }
          heldBy.put(c, a);
        });
      }
      states.forEach((c, cs) -> {
        if (cs.status() == Conversation.Status.ASSIGNED && !cs.agentId().equals(heldBy.get(c))) {
          throw new AssertionError(c + " assigned to " + cs.agentId() + " who does not hold it");
        }
        if (cs.status() == Conversation.Status.WAITING && !f.inQueue(cs.team(), c)) {
          throw new AssertionError(c + " waits but is not in its team's queue");
        }
      });
    });
  }

  private static boolean allEscalated(List<String> convs) {
    return convs.stream().allMatch(c -> f.conversation(c).state().status() == Conversation.Status.ESCALATED);
  }

  private static Set<String> statuses(List<String> convs) {
    Set<String> out = new TreeSet<>();
    convs.forEach(c -> out.add(c + "=" + f.conversation(c).state().status()));
    return out;
  }
}

package io.switchboard.persistence;

import static io.switchboard.persistence.TestCluster.ask;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.conversation.Conversation;
import io.switchboard.persistence.TestCluster.Node;
import io.switchboard.routing.EscalationTarget;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Invariants;
import io.switchboard.testkit.Invariants.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/**
 * Three nodes in one JVM on one PostgreSQL database; conversations are routed through the two nodes that
 * stay while the third dies abruptly (its system terminated without leaving, then downed by a survivor): a
 * node that is not the oldest, and the oldest, which holds the shard coordinators and the singletons (the
 * deadline keeper). Then invariants 1-5 of DESIGN.md hold, and the reply windows that were running on the
 * dead node fire on a survivor, once and not before they were due, without anything touching those
 * conversations (the keeper wakes them). Prints how late they fired.
 */
class ClusterNodeLossTest {
  private static final Duration WINDOW = Duration.ofSeconds(8);
  /** The test's own: a queue entry lost with the dead node is rebuilt within seconds (default 60 s). */
  static final String CONFIG = "switchboard.core.queue-check-interval = 5s";

  private enum Victim { MEMBER, OLDEST, HOLDER_OF_THE_ROUND_ROBIN_TEAM }

  @Test
  void aNodeThatIsNotTheOldestDiesWhileTheOthersRoute() {
    run("loss_member", Victim.MEMBER);
  }

  @Test
  void theOldestNodeHoldingTheCoordinatorsAndSingletonsDiesWhileTheOthersRoute() {
    run("loss_oldest", Victim.OLDEST);
  }

  /**
   * Invariant 5 when the round-robin team itself moves with the dead node (the two tests above check it only
   * when it does not). Before the team waited for its members' status after a recovery, it offered to the
   * members whose status reached it first, and started its cursor again: {f1=11, f2=39, f3=10}.
   */
  @Test
  void roundRobinStaysFairWhenTheTeamMovesWithTheDeadNode() {
    run("loss_team", Victim.HOLDER_OF_THE_ROUND_ROBIN_TEAM);
  }

  private void run(String name, Victim which) {
    try (TestCluster cluster = new TestCluster(name, CONFIG)) {
      List<Node> nodes = List.of(cluster.start(), cluster.start(), cluster.start());
      Scenario s = new Scenario("t" + Long.toUnsignedString(System.nanoTime(), 36), nodes);
      s.setUp();
      Node victim = switch (which) {
        case OLDEST -> cluster.oldest();
        case MEMBER -> nodes.stream().filter(n -> n != cluster.oldest()).findFirst().get();
        case HOLDER_OF_THE_ROUND_ROBIN_TEAM -> nodes.stream()
            .filter(n -> TestCluster.running(n, Team.ENTITY_TYPE_KEY).contains(s.t + "/fair")).findFirst().get();
      };
      List<Node> senders = nodes.stream().filter(n -> n != victim).toList();
      s.via = senders;
      // before: traffic through the survivors-to-be, every conversation settled (assigned, reply window running, or queued)
      s.route("rr", 0, 24);
      // not a multiple of the three members: a round-robin cursor that started again would show
      s.route("fair", 0, 31);
      s.settle();
      Set<String> onVictim = TestCluster.runningConversations(victim);
      Set<String> teamsOnVictim = TestCluster.running(victim, Team.ENTITY_TYPE_KEY);
      Set<String> agentsOnVictim = TestCluster.running(victim, Agent.ENTITY_TYPE_KEY);
      Map<String, Instant> armed = new TreeMap<>();
      Snapshot before = s.snapshot();
      before.convs().forEach((c, v) -> {
        if (onVictim.contains(c) && v.state().status() == Conversation.Status.ASSIGNED && v.state().replyDeadline() != null) {
          armed.put(c, v.state().replyDeadline());
        }
      });
      assertFalse(armed.isEmpty(), "reply windows running on " + victim + ": it held " + onVictim);
      Instant killedAt = Instant.now();
      cluster.kill(victim, senders.get(0));
      // during the outage and the moves: new conversations only (the dead node's ones are left to the keeper)
      s.route("rr", 24, 48);
      s.route("fair", 31, 60);
      s.collectAcks();
      // the windows armed on the dead node fire on a survivor; their conversations are not touched meanwhile
      Map<String, Instant> firedAt = new TreeMap<>();
      senders.get(0).kit().createTestProbe().awaitAssert(Duration.ofSeconds(90), Duration.ofMillis(500), () -> {
        for (String c : armed.keySet()) {
          if (firedAt.containsKey(c)) continue;
          for (Object e : TestCluster.events(senders.get(0), "Conversation|" + c)) {
            Instant at = e instanceof Conversation.Rerouted r && r.lapsed() ? r.at()
                : e instanceof Conversation.Escalated x && x.reason().startsWith("reply_window_lapsed") ? x.at() : null;
            if (at != null && !at.isBefore(armed.get(c).minusMillis(1))) {
              firedAt.put(c, at);
              break;
            }
          }
        }
        assertEquals(armed.keySet(), firedAt.keySet(), "reply windows of the dead node's conversations that fired");
        return null;
      });
      long lateMs = armed.keySet().stream().mapToLong(c -> Duration.between(armed.get(c), firedAt.get(c)).toMillis())
          .max().orElse(0);
      Snapshot after = s.settle();
      List<Invariants.Fired> fired = Invariants.checkDeadlineHistory(s.convs, s.agents, s.teams,
          pid -> TestCluster.events(senders.get(0), pid));
      Map<String, Integer> fair = new TreeMap<>();
      for (String a : s.fairAgents) fair.put(a, after.agents().get(a).state().holds().size());
      System.out.printf("%s killed %s after %s: acknowledged %d, unacknowledged %d, reply windows armed on it %d,"
              + " fired on a survivor %d, at most %d ms late (killed %d ms before its first due window),"
              + " deadlines fired in all %d, views asked again %d, teams on it %s, agents on it %s, round-robin %s%n",
          name, victim, killedAt, s.ackedCount(), s.maybeCount(),
          armed.size(), firedAt.size(), lateMs,
          Duration.between(killedAt, armed.values().stream().min(Instant::compareTo).get()).toMillis(), fired.size(),
          TestCluster.reasked.get(), teamsOnVictim, agentsOnVictim, fair);
      boolean teamMoved = teamsOnVictim.contains(s.t + "/fair");
      if (teamMoved && which != Victim.HOLDER_OF_THE_ROUND_ROBIN_TEAM) {
        System.out.println(name + ": the round-robin team moved with the dead node, its fairness is"
            + " roundRobinStaysFairWhenTheTeamMovesWithTheDeadNode's to check: " + fair);
      } else if (s.fairAgents.stream().anyMatch(agentsOnVictim::contains)) {
        // invariant 5 is among equally available agents: one on the dead node missed the offers made while it
        // moved (they timed out and went to the next member), so the check is among the others
        Map<String, Integer> available = new TreeMap<>(fair);
        available.keySet().removeAll(agentsOnVictim);
        System.out.println(name + ": a round-robin member moved with the dead node, fairness among the others: "
            + available + " (all: " + fair + ")");
        Invariants.checkRoundRobinFair(available);
      } else {
        Invariants.checkRoundRobinFair(fair);
      }
      // every acknowledged one is assigned; an unacknowledged one (lost with the dead node) may never have been stored
      long fairAcked = s.acked.keySet().stream().filter(c -> c.contains("fair")).count();
      int fairAssigned = fair.values().stream().mapToInt(Integer::intValue).sum();
      assertTrue(fairAssigned >= fairAcked && fairAssigned <= 60, "round-robin team's conversations assigned: "
          + fairAssigned + ", acknowledged " + fairAcked + " of 60");
    }
  }

  /** A tenant routed through the given nodes, with the bookkeeping the invariant checks need. */
  static final class Scenario {
    final String t;
    /** The nodes messages go through (the live ones, once the membership changes). */
    List<Node> via;
    final List<String> agents = new ArrayList<>();
    final List<String> fairAgents = new ArrayList<>();
    final List<String> teams = new ArrayList<>();
    final List<String> convs = new ArrayList<>();
    final Map<String, Integer> acked = new HashMap<>();
    final Map<String, Integer> maybe = new HashMap<>();
    private final List<Map.Entry<String, TestProbe<Outcome>>> pending = new ArrayList<>();
    private Map<String, Map<String, Integer>> previousLoad = new HashMap<>();
    private int next;

    Scenario(String tenant, List<Node> via) {
      this.t = tenant;
      this.via = via;
    }

    Node node() {
      return via.get(Math.floorMod(next++, via.size()));
    }

    void setUp() {
      String sup = t + "/sup";
      for (int i = 1; i <= 4; i++) agents.add(t + "/a" + i);
      for (int i = 1; i <= 3; i++) fairAgents.add(t + "/f" + i);
      teams.addAll(List.of(t + "/rr", t + "/fair"));
      for (String a : agents) online(a, AgentProfile.withCapacity(5));
      for (String a : fairAgents) online(a, AgentProfile.withCapacity(1000));
      online(sup, new AgentProfile(Map.of("*", 100), Map.of(), Set.of(), AgentProfile.Role.SUPERVISOR));
      agents.addAll(fairAgents);
      agents.add(sup);
      configure(t + "/rr", TeamConfig.of(agents.subList(0, 4), StrategyKind.ROUND_ROBIN, WINDOW)
          .withEscalation(EscalationTarget.supervisor(sup), 1));
      // no reply window: nothing is re-routed, the counts are round robin's own choices
      configure(t + "/fair", TeamConfig.of(fairAgents, StrategyKind.ROUND_ROBIN, Duration.ZERO));
      for (String team : teams) {
        Node n = node();
        n.kit().createTestProbe().awaitAssert(TestCluster.ANSWER, Duration.ofMillis(100), () -> {
          Team.View v = TestCluster.snapshot(n, List.of(), List.of(), List.of(team)).teams().get(team);
          v.config().members().forEach(m -> assertEquals(Presence.ONLINE, v.members().get(m).presence(), m));
          return null;
        });
      }
    }

    private void online(String agent, AgentProfile profile) {
      Node n = node();
      assertTrue(ask(n, r -> n.directory().agent(agent, new Agent.SetProfile(profile, r))).ok());
      assertTrue(ask(n, r -> n.directory().agent(agent, new Agent.SetPresence(Presence.ONLINE, r))).ok());
    }

    private void configure(String team, TeamConfig config) {
      Node n = node();
      assertTrue(ask(n, r -> n.directory().team(team, new Team.Configure(config, r))).ok());
    }

    /** Opening messages of conversations {@code from..to-1} of team {@code team}, spread over the nodes, not awaited. */
    void route(String team, int from, int to) {
      for (int i = from; i < to; i++) {
        String c = EntityIds.conversationId(t, "whatsapp", team + i);
        convs.add(c);
        Node n = node();
        TestProbe<Outcome> probe = n.kit().createTestProbe(Outcome.class);
        n.directory().conversation(c, new Conversation.Inbound("m-" + team + i, "hello", RoutingHint.toTeam(t + "/" + team),
            probe.ref()));
        pending.add(Map.entry(c, probe));
      }
    }

    /**
     * The answers to the messages sent: acknowledged, or (no answer in time, or refused) perhaps stored. One
     * deadline for all of them: a message sent to a shard of the dead node before its removal is lost (Cluster
     * Sharding), and waiting the whole answer time for each lost one took minutes.
     */
    void collectAcks() {
      long deadline = System.nanoTime() + TestCluster.ANSWER.toNanos();
      for (Map.Entry<String, TestProbe<Outcome>> p : pending) {
        boolean ok;
        try {
          Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), Duration.ofMillis(10).toNanos()));
          ok = p.getValue().expectMessageClass(Outcome.class, left).ok();
        } catch (AssertionError noAnswer) {
          ok = false;
        }
        (ok ? acked : maybe).merge(p.getKey(), 1, Integer::sum);
      }
      pending.clear();
    }

    int ackedCount() {
      return acked.values().stream().mapToInt(Integer::intValue).sum();
    }

    int maybeCount() {
      return maybe.values().stream().mapToInt(Integer::intValue).sum();
    }

    Snapshot snapshot() {
      return TestCluster.snapshot(node(), convs, agents, teams);
    }

    /**
     * Polls every entity until nothing is in flight, checking capacity at each poll, then invariants 1-3.
     * Redelivery (3 s) and the queue checks (5 s here) repair what a dead node lost.
     */
    Snapshot settle() {
      if (!pending.isEmpty()) collectAcks();
      List<String> problems = List.of();
      long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < until) {
        Snapshot s = snapshot();
        previousLoad = Invariants.checkCapacity(s, previousLoad);
        problems = Invariants.unsettled(s);
        if (problems.isEmpty()) {
          Invariants.checkSettled(s, acked, maybe);
          return s;
        }
        via.get(0).kit().createTestProbe().expectNoMessage(Duration.ofMillis(200));
      }
      throw new AssertionError("the cluster did not settle within 60 s: " + problems);
    }
  }
}

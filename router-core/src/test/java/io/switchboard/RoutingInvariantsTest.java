package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.conversation.Conversation;
import io.switchboard.routing.BusinessHours;
import io.switchboard.routing.EscalationTarget;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Fixture;
import io.switchboard.testkit.Invariants;
import io.switchboard.testkit.Invariants.Snapshot;
import io.switchboard.testkit.LocalDirectory.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The five invariants of DESIGN.md under random interleavings: inbound messages on many
 * conversations, presence and capacity changes, replies, claims racing auto-assignment, transfers,
 * resolves (three teams with a wrap-up after them, ended early now and then), time advanced through ManualTime, entities stopped mid-flight, and crashes of every entity at
 * once (a node killed, as the fault test does to the jar). After every step the
 * system is let settle (time advances by the redelivery interval when a lost message must be
 * re-sent) and then checked; the journals are replayed at the end to check every deadline fired
 * once and never early. {@code -Dseed=N} replays a run; {@code -Dinvariant.ops=N} sets its length.
 */
class RoutingInvariantsTest {
  // A 2 h service window (24 h in production) keeps the longest time step short: ManualTime runs every
  // timer tick of a step, so a day-long step costs the test minutes. The 24 h default is tested in
  // ConversationClocksTest.
  private static final Fixture f = new Fixture(com.typesafe.config.ConfigFactory.parseString(
      "switchboard.core.service-window = 2h"));
  private static final Duration[] TIME_STEPS = {
      Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(2), Duration.ofMinutes(5),
      Duration.ofMinutes(11), Duration.ofMinutes(31), Duration.ofMinutes(125)};

  @AfterAll
  static void close() {
    f.close();
  }

  @Test
  void everyInvariantHoldsAfterEveryStepOfTenThousandRandomOperations() {
    long seed = Long.getLong("seed", System.nanoTime());
    int ops = Integer.getInteger("invariant.ops", 10_000);
    Run run = new Run(seed);
    try {
      run.setUp();
      for (int i = 0; i < ops; i++) run.step(i);
      run.checkDeadlineHistory();
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("invariant run failed with seed " + seed + " (replay: mvn test -pl router-core"
          + " -Dtest=RoutingInvariantsTest -Dseed=" + seed + "), after step " + run.stepNo + " [" + run.lastOp
          + "]: " + e.getMessage(), e);
    }
    System.out.printf("invariants held: seed %d, %d operations, %d settle rounds, %d restarts, stats %s%n",
        seed, ops, run.settleRounds, run.restarts, run.stats);
    assertTrue(run.stats.getOrDefault("assigned", 0) > 0, "the run assigned conversations");
    if (ops >= 5_000) {
      assertTrue(run.stats.getOrDefault("grants-found-by-scan", 0) > 0,
          "agents stopped between a grant's write and their batch, and their scans found those grants");
      assertTrue(run.stats.getOrDefault("wrap-ups", 0) > 0 && run.stats.getOrDefault("wrap-ups-ended-early", 0) > 0,
          "resolves started wrap-ups, and agents ended some early");
    }
  }

  private static final class Run {
    final Random rnd;
    final String t;
    final List<String> agents = new ArrayList<>();
    final List<String> teams = new ArrayList<>();
    final List<String> convs = new ArrayList<>();
    final Map<String, Integer> acked = new HashMap<>();
    final Map<String, Integer> maybe = new HashMap<>();
    final Map<String, String> lastMessageId = new HashMap<>();
    final Map<String, Integer> stats = new java.util.TreeMap<>();
    Map<String, Map<String, Integer>> previousLoad = new HashMap<>();
    final TestProbe<Outcome> replies = f.testKit.createTestProbe(Outcome.class);
    final TestProbe<Conversation.View> convProbe = f.testKit.createTestProbe(Conversation.View.class);
    final TestProbe<Agent.View> agentProbe = f.testKit.createTestProbe(Agent.View.class);
    final TestProbe<Team.View> teamProbe = f.testKit.createTestProbe(Team.View.class);
    final ActorRef<Outcome> ignore = f.testKit.system().ignoreRef();
    int stepNo;
    String lastOp = "set-up";
    long settleRounds;
    int restarts;
    int messageSeq;

    Run(long seed) {
      rnd = new Random(seed);
      t = "inv" + Long.toUnsignedString(seed, 36);
    }

    void setUp() {
      for (int i = 1; i <= 6; i++) agents.add(t + "/a" + i);
      String sup = t + "/sup";
      agents.add(sup);
      String rr = t + "/rr", lb = t + "/lb", pool = t + "/pool", skills = t + "/skills";
      teams.addAll(List.of(rr, lb, pool, skills));
      for (int i = 0; i < 30; i++) convs.add(Fixture.conv(t, "c" + i));
      for (String a : agents) {
        boolean isSup = a.equals(sup);
        f.profile(a, new AgentProfile(Map.of("*", 1 + rnd.nextInt(3)),
            Map.of("billing", 1 + rnd.nextInt(3), "tech", rnd.nextInt(3)), Set.of("en"),
            isSup ? AgentProfile.Role.SUPERVISOR : AgentProfile.Role.AGENT));
        f.presence(a, Presence.ONLINE);
      }
      ok(f.configureTeam(rr, TeamConfig.of(List.of(t + "/a1", t + "/a2", t + "/a3", t + "/a4"),
          StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5))
          .withEscalation(EscalationTarget.supervisor(sup), 2)
          .withQueueWait(Duration.ofMinutes(10), lb)
          .withWrapUp(Duration.ofMinutes(10))));
      ok(f.configureTeam(lb, TeamConfig.of(List.of(t + "/a3", t + "/a4", t + "/a5"), StrategyKind.LEAST_BUSY,
          Duration.ofMinutes(3)).withEscalation(EscalationTarget.team(pool), 1).withIdleAutoResolve(
          Duration.ofMinutes(30)).withRerouteAnsweredOnOffline(true).withWrapUp(Duration.ofSeconds(30))));
      ok(f.configureTeam(pool, TeamConfig.of(List.of(t + "/a5", t + "/a6", sup), StrategyKind.MANUAL,
          Duration.ZERO).withEscalation(EscalationTarget.supervisor(sup), 0)
          .withQueueWait(Duration.ofMinutes(30), null).withWrapUp(Duration.ofMinutes(5))));
      // Open on weekdays 08:00-20:00 UTC only: conversations wait outside those hours.
      Map<java.time.DayOfWeek, List<BusinessHours.Shift>> week = new LinkedHashMap<>();
      for (java.time.DayOfWeek d : List.of(java.time.DayOfWeek.MONDAY, java.time.DayOfWeek.TUESDAY,
          java.time.DayOfWeek.WEDNESDAY, java.time.DayOfWeek.THURSDAY, java.time.DayOfWeek.FRIDAY)) {
        week.put(d, List.of(new BusinessHours.Shift(java.time.LocalTime.of(8, 0), java.time.LocalTime.of(20, 0))));
      }
      ok(f.configureTeam(skills, TeamConfig.of(List.of(t + "/a2", t + "/a4", t + "/a6"), StrategyKind.SKILL_BASED,
          Duration.ofMinutes(5)).withEscalation(EscalationTarget.supervisor(sup), 1)
          .withBusinessHours(new BusinessHours("UTC", week))));
      settle();
    }

    private void ok(Outcome o) {
      if (!o.ok()) throw new AssertionError("set-up refused: " + o);
    }

    private <T> T pick(List<T> list) {
      return list.get(rnd.nextInt(list.size()));
    }

    private void count(String key) {
      stats.merge(key, 1, Integer::sum);
    }

    void step(int i) {
      stepNo = i;
      int r = rnd.nextInt(100);
      boolean midFlight = rnd.nextInt(10) == 0;
      ActorRef<Outcome> to = midFlight ? ignore : replies.ref();
      String conv = pick(convs);
      String agent = pick(agents);
      if (r < 30) {
        boolean duplicate = lastMessageId.containsKey(conv) && rnd.nextInt(8) == 0;
        String id = duplicate ? lastMessageId.get(conv) : "m" + (++messageSeq);
        RoutingHint hint = rnd.nextInt(4) == 0
            ? new RoutingHint(t + "/skills", rnd.nextInt(3), Map.of(rnd.nextBoolean() ? "billing" : "tech", 1), "en")
            : new RoutingHint(pick(teams.subList(0, 3)), rnd.nextInt(3), Map.of(), null);
        lastOp = "inbound " + id + " on " + conv + " hint " + hint + (midFlight ? " (mid-flight stop)" : "");
        f.directory.conversation(conv, new Conversation.Inbound(id, "hi", hint, to));
        if (midFlight) {
          if (!duplicate) maybe.merge(conv, 1, Integer::sum);
          f.directory.stop(Kind.CONVERSATION, conv);
          restarts++;
        } else if (await().ok() && !duplicate) {
          acked.merge(conv, 1, Integer::sum);
        }
        lastMessageId.put(conv, id);
        count("inbound");
      } else if (r < 45) {
        Conversation.State s = f.conversation(conv).state();
        String by = s.agentId() != null && rnd.nextInt(5) > 0 ? s.agentId() : agent;
        boolean template = rnd.nextInt(10) < 3;
        lastOp = "reply by " + by + " on " + conv + (template ? " (template)" : "");
        f.directory.conversation(conv, new Conversation.AgentReply(by, "answer", template, to));
        count(midFlight ? "reply" : "reply-" + (await().ok() ? "ok" : "refused"));
      } else if (r < 53) {
        Presence p = rnd.nextInt(10) < 6 ? Presence.ONLINE : rnd.nextBoolean() ? Presence.AWAY : Presence.OFFLINE;
        lastOp = "presence " + agent + " " + p;
        f.directory.agent(agent, new Agent.SetPresence(p, to));
        if (!midFlight) await();
        count("presence");
      } else if (r < 58) {
        int cap = rnd.nextInt(4);
        lastOp = "capacity " + agent + " " + cap;
        AgentProfile old = f.agent(agent).state().profile();
        f.directory.agent(agent, new Agent.SetProfile(old.withCapacity(Map.of("*", cap)), to));
        if (!midFlight) await();
        count("capacity");
      } else if (r < 68) {
        // a claim, often racing the team's own offer for a conversation that just arrived
        if (rnd.nextBoolean()) {
          String id = "m" + (++messageSeq);
          f.directory.conversation(conv, new Conversation.Inbound(id, "race", RoutingHint.toTeam(pick(teams)),
              ignore));
          maybe.merge(conv, 1, Integer::sum);
          lastMessageId.put(conv, id);
        }
        lastOp = "claim " + conv + " by " + agent;
        f.directory.agent(agent, new Agent.Claim(conv, to));
        count(midFlight ? "claim" : "claim-" + await().code());
      } else if (r < 73) {
        boolean toAgent = rnd.nextBoolean();
        lastOp = "transfer " + conv + " to " + (toAgent ? agent : "team");
        f.directory.conversation(conv, toAgent
            ? new Conversation.Transfer(agent, null, "test", to)
            : new Conversation.Transfer(null, pick(teams), "test", to));
        count(midFlight ? "transfer" : "transfer-" + await().code());
      } else if (r < 80) {
        lastOp = "resolve " + conv;
        f.directory.conversation(conv, new Conversation.Resolve("test", to));
        count(midFlight ? "resolve" : "resolve-" + await().code());
      } else if (r < 90) {
        Duration d = TIME_STEPS[rnd.nextInt(TIME_STEPS.length)];
        lastOp = "advance " + d;
        f.advance(d);
        count("advance");
      } else if (r < 92) {
        // the node killed: every entity at once, after time moved on half the time (timers fired, their
        // messages in flight); agents and teams are remembered and the keeper wakes conversations, which
        // the snapshot's reads of every entity stand for here
        boolean moved = rnd.nextBoolean();
        Duration d = TIME_STEPS[rnd.nextInt(3)];
        lastOp = "crash of every entity" + (moved ? " " + d + " on" : "");
        if (moved) f.advance(d);
        convs.forEach(c -> f.directory.stop(Kind.CONVERSATION, c));
        agents.forEach(a -> f.directory.stop(Kind.AGENT, a));
        teams.forEach(tm -> f.directory.stop(Kind.TEAM, tm));
        restarts += convs.size() + agents.size() + teams.size();
        count("crash");
      } else if (r < 94) {
        // an agent ends a wrap-up before its deadline (one running when there is one, else a refusal)
        String wrapper = agent, wrapping = conv;
        for (String a : agents) {
          var running = f.agent(a).state().holds().entrySet().stream().filter(e -> e.getValue().wrappingUp())
              .map(Map.Entry::getKey).findFirst();
          if (running.isPresent() && rnd.nextInt(4) != 0) {
            wrapper = a;
            wrapping = running.get();
            break;
          }
        }
        lastOp = "end wrap-up of " + wrapping + " by " + wrapper;
        f.directory.agent(wrapper, new Agent.EndWrapUp(wrapping, to));
        count(midFlight ? "end-wrap-up" : "end-wrap-up-" + await().code());
      } else {
        int k = rnd.nextInt(3);
        Kind kind = k == 0 ? Kind.CONVERSATION : k == 1 ? Kind.AGENT : Kind.TEAM;
        String id = k == 0 ? conv : k == 1 ? agent : pick(teams);
        lastOp = "stop " + kind + " " + id;
        f.directory.stop(kind, id);
        restarts++;
        count("stop");
      }
      if (midFlight && r >= 30) {
        Kind kind = r < 45 || r >= 68 ? Kind.CONVERSATION : Kind.AGENT;
        f.directory.stop(kind, kind == Kind.CONVERSATION ? conv : agent);
        restarts++;
      }
      settle();
    }

    /**
     * The answer to this step's command. An opening message waits for its probe of the team; when a
     * mid-flight stop lost that probe or its offer, the message is stored only once the probe times
     * out, which takes (manual) time: let it pass if nothing came.
     */
    private Outcome await() {
      try {
        return replies.expectMessageClass(Outcome.class, Duration.ofSeconds(2));
      } catch (AssertionError nothingYet) {
        f.advance(f.settings.prerouteTimeout());
        return replies.expectMessageClass(Outcome.class, Duration.ofSeconds(10));
      }
    }

    // ---- settling and checking ----

    private Snapshot snapshot() {
      convs.forEach(c -> f.directory.conversation(c, new Conversation.Get(convProbe.ref())));
      agents.forEach(a -> f.directory.agent(a, new Agent.Get(agentProbe.ref())));
      teams.forEach(tm -> f.directory.team(tm, new Team.Get(teamProbe.ref())));
      // After a crash of every entity each agent answers once its recovery and its scan for its grants are done; the
      // persistence testkit's tag query reads the whole in-memory journal (the JDBC journal reads the tag's rows
      // from an index), which late in a long run on a busy machine took more than 10 s for the seven agents at once
      Duration max = Duration.ofSeconds(30);
      Map<String, Conversation.View> cs = new HashMap<>();
      convProbe.receiveSeveralMessages(convs.size(), max).forEach(v -> cs.put(v.conversationId(), v));
      Map<String, Agent.View> as = new HashMap<>();
      agentProbe.receiveSeveralMessages(agents.size(), max).forEach(v -> as.put(v.agentId(), v));
      Map<String, Team.View> ts = new HashMap<>();
      teamProbe.receiveSeveralMessages(teams.size(), max).forEach(v -> ts.put(v.teamId(), v));
      return new Snapshot(f.clock.instant(), cs, as, ts);
    }

    /** Polls until nothing is in flight; re-sending of lost messages needs the redelivery timers, so time moves on. */
    void settle() {
      List<String> problems = List.of();
      int advances = 0;
      for (int round = 0; round < 600; round++) {
        settleRounds++;
        Snapshot s = snapshot();
        previousLoad = Invariants.checkCapacity(s, previousLoad);
        problems = Invariants.unsettled(s);
        if (problems.isEmpty()) {
          checkSettled(s);
          return;
        }
        if (round % 20 == 19) {
          // first the quick re-sends, then the slower queue checks
          f.advance(++advances <= 5 ? f.settings.redeliveryInterval() : f.settings.queueCheckInterval());
        }
      }
      throw new AssertionError("the system did not settle: " + problems);
    }

    /** Invariants 1-3 once settled. */
    private void checkSettled(Snapshot s) {
      int assigned = Invariants.checkSettled(s, acked, maybe);
      stats.merge("assigned", assigned, Integer::sum);
    }

    /** Invariant 4 from the journals: each deadline fired at most once, and never before it was due. */
    void checkDeadlineHistory() {
      PersistenceTestKit journal = PersistenceTestKit.create(f.testKit.system());
      stats.put("deadlines-fired", Invariants.checkDeadlineHistory(convs, agents, teams, journal::persistedInStorage).size());
      // grants whose only record was the conversation's write when their agent stopped, found by its scan
      stats.put("wrap-ups", agents.stream().flatMap(a -> journal.persistedInStorage("Agent|" + a).stream())
          .mapToInt(e -> e instanceof Agent.WrapUpStarted ? 1 : 0).sum());
      stats.put("wrap-ups-ended-early", agents.stream().flatMap(a -> journal.persistedInStorage("Agent|" + a).stream())
          .mapToInt(e -> e instanceof Agent.WrapUpEnded w && w.reason().equals("ended") ? 1 : 0).sum());
      stats.put("grants-found-by-scan", agents.stream()
          .flatMap(a -> journal.persistedInStorage("Agent|" + a).stream())
          .filter(e -> e instanceof Agent.HoldsRecorded r && r.scannedTo() != null)
          .mapToInt(e -> ((Agent.HoldsRecorded) e).holds().size()).sum());
    }
  }
}

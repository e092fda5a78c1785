package io.switchboard.persistence;

import static io.switchboard.persistence.StoreTestKit.agent;
import static io.switchboard.persistence.StoreTestKit.ask;
import static io.switchboard.persistence.StoreTestKit.conversation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Directory;
import io.switchboard.EntityIds;
import io.switchboard.RouterCore;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.conversation.Conversation;
import io.switchboard.persistence.readmodel.ConversationSummary;
import io.switchboard.persistence.readmodel.ReadModelQueries;
import io.switchboard.persistence.readmodel.ReadModels;
import io.switchboard.persistence.readmodel.RoutingStats;
import io.switchboard.routing.EscalationTarget;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;

/**
 * The read models (Pekko Projections into SQL tables) agree with the entities: after a randomized
 * run, with a whole-system restart in the middle, every conversation's row, the counts per state,
 * each agent's open conversations and the per-agent and per-team figures match what the entities
 * and their journals say. Runs on each store through a subclass.
 */
abstract class ReadModelsTest {
  private static final String T = "rm";
  private static final String SALES = "rm/sales", SUPPORT = "rm/support", BOSS = "rm/boss";
  private static final List<String> AGENTS = List.of("rm/a1", "rm/a2", "rm/a3", "rm/a4", "rm/a5");
  private static final Duration REPLY_WINDOW = Duration.ofSeconds(2);
  private static final Duration SETTLE = Duration.ofSeconds(120);

  protected abstract StoreSettings freshStore();

  private record Running(ActorTestKit kit, Directory d, ReadModelQueries queries, StoreSettings store) {}

  private static Running start(StoreSettings store) throws Exception {
    return start(store, tenant -> false);
  }

  private static Running start(StoreSettings store, java.util.function.Predicate<String> withoutWebhook)
      throws Exception {
    ActorTestKit kit = StoreTestKit.start(store, "readmodels", """
        switchboard.core.offline-grace = 1s
        switchboard.core.redelivery-interval = 1s
        switchboard.read-models.batch-within = 50ms
        """);
    Directory d = RouterCore.init(kit.system());
    ReadModels rm = ReadModels.start(kit.system(), store, agents -> {}, withoutWebhook);
    rm.ready().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return new Running(kit, d, rm.queries(), store);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static String contact(int i) {
    return EntityIds.conversationId(T, "whatsapp", "+3460000" + i);
  }

  private static void configure(Running r) {
    for (String a : AGENTS) {
      assertTrue(ask(r.kit(), to -> r.d().agent(a, new Agent.SetProfile(AgentProfile.withCapacity(2), to))).ok());
      assertTrue(ask(r.kit(), to -> r.d().agent(a, new Agent.SetPresence(Presence.ONLINE, to))).ok());
    }
    assertTrue(ask(r.kit(), to -> r.d().team(SALES, new Team.Configure(
        TeamConfig.of(AGENTS.subList(0, 3), StrategyKind.ROUND_ROBIN, REPLY_WINDOW)
            .withEscalation(EscalationTarget.supervisor(BOSS), 1), to))).ok());
    assertTrue(ask(r.kit(), to -> r.d().team(SUPPORT, new Team.Configure(
        TeamConfig.of(AGENTS.subList(2, 5), StrategyKind.LEAST_BUSY, REPLY_WINDOW)
            .withEscalation(EscalationTarget.team(SALES), 1), to))).ok());
  }

  @Test
  void aConversationsFirstResponseAndTheWaitingPoolShowInTheReadModels() throws Exception {
    Running r = start(freshStore());
    try {
      assertTrue(TestStores.tables(r.store()).containsAll(Set.of("pekko_projection_offset_store",
          "pekko_projection_management")), "projection tables created at start: " + TestStores.tables(r.store()));
      assertTrue(ask(r.kit(), to -> r.d().agent("rm/solo", new Agent.SetProfile(AgentProfile.withCapacity(1), to))).ok());
      assertTrue(ask(r.kit(), to -> r.d().agent("rm/solo", new Agent.SetPresence(Presence.ONLINE, to))).ok());
      assertTrue(ask(r.kit(), to -> r.d().team(SALES, new Team.Configure(
          TeamConfig.of(List.of("rm/solo"), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5)), to))).ok());
      // The first conversation takes the only agent; the next three wait, the urgent one ahead.
      inbound(r, contact(1), 0);
      r.kit().createTestProbe().awaitAssert(SETTLE, () -> {
        assertEquals(Conversation.Status.ASSIGNED, conversation(r.kit(), r.d(), contact(1)).status());
        return null;
      });
      inbound(r, contact(2), 0);
      inbound(r, contact(3), 5);
      inbound(r, contact(4), 0);
      assertTrue(ask(r.kit(), to -> r.d().conversation(contact(1),
          new Conversation.AgentReply("rm/solo", "hello", false, to))).ok());

      r.kit().createTestProbe().awaitAssert(SETTLE, Duration.ofMillis(200), () -> {
        List<String> pool = await(r.queries().waitingPool(T, SALES, 10, 0)).stream()
            .map(ConversationSummary::conversationId).toList();
        assertEquals(List.of(contact(3), contact(2), contact(4)), pool);
        List<ConversationSummary> open = await(r.queries().openConversationsOf("rm/solo"));
        assertEquals(1, open.size());
        ConversationSummary c1 = open.get(0);
        assertEquals(contact(1), c1.conversationId());
        assertEquals("whatsapp", c1.channel());
        assertEquals("+34600001", c1.contact());
        assertNotNull(c1.firstResponseAt(), "first response recorded");
        RoutingStats agentStats = await(r.queries().statsOf("agent", "rm/solo")).orElseThrow();
        RoutingStats teamStats = await(r.queries().statsOf("team", SALES)).orElseThrow();
        Duration expected = Duration.between(c1.openedAt(), c1.firstResponseAt());
        for (RoutingStats s : List.of(agentStats, teamStats)) {
          assertEquals(1, s.assignments(), s.toString());
          assertEquals(1, s.firstResponses(), s.toString());
          assertEquals(expected.toMillis(), s.averageFirstResponse().toMillis(), s.toString());
          assertEquals(expected.toMillis(), s.maxFirstResponse().toMillis(), s.toString());
        }
        Map<Conversation.Status, Long> counts = await(r.queries().countByStatus(T, SALES));
        assertEquals(3L, counts.get(Conversation.Status.WAITING));
        assertEquals(1L, counts.get(Conversation.Status.ASSIGNED));
        assertEquals(0L, counts.get(Conversation.Status.RESOLVED));
        return null;
      });

      // Resolving frees the agent: the urgent conversation is next, and the figures count the resolution.
      assertTrue(ask(r.kit(), to -> r.d().conversation(contact(1), new Conversation.Resolve("rm/solo", to))).ok());
      r.kit().createTestProbe().awaitAssert(SETTLE, Duration.ofMillis(200), () -> {
        assertEquals(List.of(contact(3)), await(r.queries().openConversationsOf("rm/solo")).stream()
            .map(ConversationSummary::conversationId).toList());
        assertEquals(Conversation.Status.RESOLVED, await(r.queries().conversation(contact(1))).orElseThrow().status());
        assertEquals(1, await(r.queries().statsOf("agent", "rm/solo")).orElseThrow().resolutions());
        assertEquals(List.of(contact(1)), await(r.queries().conversations(T, SALES, Conversation.Status.RESOLVED,
            10, 0)).stream().map(ConversationSummary::conversationId).toList());
        return null;
      });
    } finally {
      r.kit().shutdownTestKit();
    }
  }

  @Test
  void aTenantKnownToHaveNoWebhookGetsNoOutboxRowsUntilItHasOne() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean noWebhook = new java.util.concurrent.atomic.AtomicBoolean(true);
    Running r = start(freshStore(), tenant -> tenant.equals(T) && noWebhook.get());
    try {
      assertTrue(ask(r.kit(), to -> r.d().agent("rm/solo", new Agent.SetProfile(AgentProfile.withCapacity(5), to))).ok());
      assertTrue(ask(r.kit(), to -> r.d().agent("rm/solo", new Agent.SetPresence(Presence.ONLINE, to))).ok());
      assertTrue(ask(r.kit(), to -> r.d().team(SALES, new Team.Configure(
          TeamConfig.of(List.of("rm/solo"), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5)), to))).ok());
      inbound(r, contact(1), 0);
      r.kit().createTestProbe().awaitAssert(SETTLE, Duration.ofMillis(200), () -> {
        assertEquals(Conversation.Status.ASSIGNED, await(r.queries().conversation(contact(1))).orElseThrow().status());
        return null;
      });
      assertEquals(outbox(0), outboxCounts(r.store()), "no outbox rows while the tenant has no webhook");
      // the tenant gets a webhook: its events from then on are in the outbox
      noWebhook.set(false);
      inbound(r, contact(2), 0);
      r.kit().createTestProbe().awaitAssert(SETTLE, Duration.ofMillis(200), () -> {
        assertEquals(outbox(1), outboxCounts(r.store()));
        return null;
      });
    } finally {
      r.kit().shutdownTestKit();
    }
  }

  /** Outbox rows per type as {@link #outboxCounts} gives them: {@code assigned} assignments, nothing else. */
  private static Map<String, Long> outbox(long assigned) {
    return new TreeMap<>(Map.of("conversation.assigned", assigned, "conversation.escalated", 0L,
        "conversation.rerouted", 0L, "conversation.resolved", 0L));
  }

  private static void inbound(Running r, String conv, int priority) {
    assertTrue(ask(r.kit(), to -> r.d().conversation(conv, new Conversation.Inbound("m-" + System.nanoTime(),
        "hi", new RoutingHint(SALES, priority, Map.of(), null), to))).ok());
  }

  @Test
  void afterARandomizedRunWithARestartTheReadModelsAgreeWithTheEntities() throws Exception {
    long seed = Long.getLong("seed", System.nanoTime());
    int ops = Integer.getInteger("readmodel.ops", 300);
    System.out.println("ReadModelsTest seed=" + seed + " ops=" + ops + " (replay with -Dseed=" + seed + ")");
    Random rnd = new Random(seed);
    StoreSettings store = freshStore();
    Running r = start(store);
    configure(r);
    int contacts = 30;
    for (int i = 0; i < ops; i++) {
      if (i == ops / 2) {
        r.kit().shutdownTestKit();
        r = start(store);
      }
      step(r, rnd, contacts);
    }
    Running end = r;
    try {
      for (String a : AGENTS) {
        assertTrue(ask(end.kit(), to -> end.d().agent(a, new Agent.SetPresence(Presence.ONLINE, to))).ok());
      }
      end.kit().createTestProbe().awaitAssert(SETTLE, Duration.ofSeconds(1), () -> {
        assertAgree(end, contacts);
        return null;
      });
    } finally {
      end.kit().shutdownTestKit();
    }
  }

  private static void step(Running r, Random rnd, int contacts) {
    String conv = contact(rnd.nextInt(contacts));
    String agentId = AGENTS.get(rnd.nextInt(AGENTS.size()));
    int dice = rnd.nextInt(100);
    if (dice < 35) {
      String team = rnd.nextBoolean() ? SALES : SUPPORT;
      ask(r.kit(), to -> r.d().conversation(conv, new Conversation.Inbound("m-" + rnd.nextLong(), "hello",
          new RoutingHint(team, rnd.nextInt(3), Map.of(), null), to)));
    } else if (dice < 62) {
      String holder = conversation(r.kit(), r.d(), conv).agentId();
      if (holder != null) {
        ask(r.kit(), to -> r.d().conversation(conv, new Conversation.AgentReply(holder, "on it", false, to)));
      }
    } else if (dice < 68) {
      ask(r.kit(), to -> r.d().conversation(conv, new Conversation.Resolve(agentId, to)));
    } else if (dice < 80) {
      Presence p = Presence.values()[rnd.nextInt(10) < 6 ? 0 : 1 + rnd.nextInt(2)];
      ask(r.kit(), to -> r.d().agent(agentId, new Agent.SetPresence(p, to)));
    } else if (dice < 83) {
      ask(r.kit(), to -> r.d().agent(agentId, new Agent.Claim(conv, to)));
    } else if (dice < 88) {
      String team = rnd.nextBoolean() ? SALES : SUPPORT;
      ask(r.kit(), to -> r.d().conversation(conv, new Conversation.Transfer(null, team, BOSS, to)));
    } else {
      // let clocks run: reply windows lapse, offline graces end, re-routes and escalations happen
      r.kit().createTestProbe().expectNoMessage(Duration.ofMillis(100 + rnd.nextInt(600)));
    }
  }

  private static void assertAgree(Running r, int contacts) throws Exception {
    Map<Conversation.Status, Long> expectedCounts = new EnumMap<>(Conversation.Status.class);
    for (Conversation.Status s : Conversation.Status.values()) expectedCounts.put(s, 0L);
    Map<String, Set<String>> expectedOpen = new TreeMap<>();
    for (String a : AGENTS) expectedOpen.put(a, new TreeSet<>());
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < contacts; i++) {
      String id = contact(i);
      Conversation.State s = conversation(r.kit(), r.d(), id);
      Optional<ConversationSummary> row = await(r.queries().conversation(id));
      if (s.status() == Conversation.Status.NEW) {
        assertTrue(row.isEmpty(), id + " never opened but has a row " + row);
        continue;
      }
      ids.add(id);
      expectedCounts.merge(s.status(), 1L, Long::sum);
      if (s.status() == Conversation.Status.ASSIGNED) expectedOpen.get(s.agentId()).add(id);
      ConversationSummary c = row.orElseThrow(() -> new AssertionError(id + " has no row; entity " + s));
      String what = id + ": entity " + s + "\n row " + c;
      assertEquals(s.status(), c.status(), what);
      assertEquals(s.team(), c.team(), what);
      assertEquals(s.agentId(), c.agentId(), what);
      assertEquals(s.contact().episodes(), c.episode(), what);
      assertEquals(s.round().reroutesTotal(), c.reroutes(), what);
      for (String cause : io.switchboard.conversation.RerouteCause.CODES) {
        assertEquals(s.round().reroutesByCause().getOrDefault(cause, 0), c.reroutesByCause().get(cause),
            cause + " " + what);
      }
      assertEquals(s.priority(), c.priority(), what);
      assertEquals(s.escalatedTo(), c.escalatedTo(), what);
      assertEquals(s.reason(), c.reason(), what);
      if (s.status() == Conversation.Status.WAITING) {
        // the stores keep microseconds (rounded), the entity nanoseconds
        assertTrue(Duration.between(s.round().waitingSince(), c.waitingSince()).abs().toNanos() <= 1_000, what);
      }
      // The wake-up index may wake a conversation early, never after its next deadline (a passivated
      // or lost conversation would miss it).
      java.time.Instant next = s.nextDeadline();
      if (next != null) {
        java.time.Instant wake = wakeAt(r.store(), id);
        assertNotNull(wake, id + " has a deadline at " + next + " but no wake-up: " + what);
        assertFalse(wake.isAfter(next.plusNanos(1_000)), id + " would be woken at " + wake + ", after its deadline "
            + next + ": " + what);
      }
    }
    assertEquals(expectedCounts, await(r.queries().countByStatus(T, null)));
    System.out.println("ReadModelsTest states " + expectedCounts);
    for (String a : AGENTS) {
      Set<String> open = new TreeSet<>();
      await(r.queries().openConversationsOf(a)).forEach(c -> open.add(c.conversationId()));
      assertEquals(expectedOpen.get(a), open, "open conversations of " + a);
      Agent.State as = agent(r.kit(), r.d(), a);
      assertEquals(expectedOpen.get(a), new TreeSet<>(as.holds().keySet()), a + " holds");
    }
    assertFiguresMatchTheJournal(r, ids);
  }

  /** When the wake-up index says the conversation must run again (null: no row, or no time). */
  private static java.time.Instant wakeAt(StoreSettings store, String conversationId) throws Exception {
    try (Connection con = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
         java.sql.PreparedStatement ps = con.prepareStatement("SELECT wake_at FROM sb_wakeup WHERE conversation_id = ?")) {
      ps.setString(1, conversationId);
      try (ResultSet rs = ps.executeQuery()) {
        java.time.OffsetDateTime t = rs.next() ? rs.getObject(1, java.time.OffsetDateTime.class) : null;
        return t == null ? null : t.toInstant();
      }
    }
  }

  /** Outbox rows per event type; fails if any event is there twice. */
  private static Map<String, Long> outboxCounts(StoreSettings store) throws Exception {
    Map<String, Long> counts = new TreeMap<>();
    try (Connection con = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
         Statement st = con.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT event_id, COUNT(*) FROM sb_webhook_outbox GROUP BY event_id "
          + "HAVING COUNT(*) > 1")) {
        assertFalse(rs.next(), "an event is in the webhook outbox twice");
      }
      try (ResultSet rs = st.executeQuery("SELECT event_type, COUNT(*) FROM sb_webhook_outbox GROUP BY event_type")) {
        while (rs.next()) counts.put(rs.getString(1), rs.getLong(2));
      }
    }
    for (String t : List.of("assigned", "rerouted", "escalated", "resolved")) {
      counts.putIfAbsent("conversation." + t, 0L);
    }
    return counts;
  }

  /** Per-agent figures recounted straight from the conversations' journals; per-team figures sum to the same totals. */
  private static void assertFiguresMatchTheJournal(Running r, List<String> ids) throws Exception {
    JdbcReadJournal journal = PersistenceQuery.get(r.kit().system()).getReadJournalFor(JdbcReadJournal.class,
        JdbcReadJournal.Identifier());
    Map<String, long[]> perAgent = new HashMap<>();
    long[] total = new long[5];
    BiConsumer<String, Integer> count = (agentId, i) -> {
      total[i]++;
      if (agentId != null) perAgent.computeIfAbsent(agentId, k -> new long[5])[i]++;
    };
    for (String id : ids) {
      List<EventEnvelope> events = await(journal.currentEventsByPersistenceId("Conversation|" + id, 0, Long.MAX_VALUE)
          .runWith(Sink.seq(), r.kit().system()));
      boolean answered = false;
      for (EventEnvelope env : events) {
        Object e = env.event();
        if (e instanceof Conversation.MessageReceived m && m.opensEpisode()) answered = false;
        else if (e instanceof Conversation.Assigned a) count.accept(a.agentId(), 0);
        else if (e instanceof Conversation.AgentReplied a && a.firstOfAssignment() && !answered) {
          answered = true;
          count.accept(a.agentId(), 1);
        } else if (e instanceof Conversation.Rerouted x) count.accept(x.fromAgent(), 2);
        else if (e instanceof Conversation.Escalated x) count.accept(x.fromAgent(), 3);
        else if (e instanceof Conversation.Resolved x) count.accept(x.agentId(), 4);
      }
    }
    for (RoutingStats s : await(r.queries().stats(T, "agent"))) {
      long[] expected = perAgent.getOrDefault(s.subject(), new long[5]);
      assertEquals(List.of(expected[0], expected[1], expected[2], expected[3], expected[4]),
          List.of(s.assignments(), s.firstResponses(), s.reroutes(), s.escalations(), s.resolutions()),
          "assignments, first responses, re-routes, escalations, resolutions of " + s.subject());
    }
    long[] teams = new long[5];
    for (RoutingStats s : await(r.queries().stats(T, "team"))) {
      teams[0] += s.assignments();
      teams[1] += s.firstResponses();
      teams[2] += s.reroutes();
      teams[3] += s.escalations();
      teams[4] += s.resolutions();
    }
    assertEquals(List.of(total[0], total[1], total[2], total[3], total[4]),
        List.of(teams[0], teams[1], teams[2], teams[3], teams[4]), "team figures summed");
    Map<String, Long> outbox = outboxCounts(r.store());
    assertEquals(Map.of("conversation.assigned", total[0], "conversation.rerouted", total[2],
        "conversation.escalated", total[3], "conversation.resolved", total[4]), outbox,
        "webhook outbox rows, once per event");
    System.out.printf("ReadModelsTest agreed on %d conversations: assignments %d, first responses %d, re-routes %d, "
        + "escalations %d, resolutions %d%n", ids.size(), total[0], total[1], total[2], total[3], total[4]);
  }
}

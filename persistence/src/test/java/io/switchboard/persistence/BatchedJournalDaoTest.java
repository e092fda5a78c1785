package io.switchboard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.CborSerializable;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BatchedJournalDao}, selected by {@link Store#pekkoConfig} on the local PostgreSQL: many
 * entities persisting at once (so the journal batches tagged and untagged events of different
 * entities together, several events per atomic write) lose nothing, recover in order after a
 * restart, and the read journal sees every tagged event exactly once, in ordering order, live and
 * afterwards. A batch that fails leaves nothing behind and the journal keeps working.
 */
class BatchedJournalDaoTest {
  private static final Duration ANSWER = Duration.ofSeconds(60);
  private static final String TYPE = "BatchedDaoTest";
  private static final String TAG_A = "bjd-a", TAG_B = "bjd-b";
  private static final int ENTITIES = 48, WRITES_PER_ENTITY = 20;

  @TempDir
  Path dir;

  // --- a small event-sourced entity: each Write persists its events as one atomic write ---

  record Ev(String entity, int n, List<String> tags) implements CborSerializable {}

  sealed interface Cmd extends CborSerializable {}

  record Write(List<Ev> events, ActorRef<Written> replyTo) implements Cmd {}

  record Get(ActorRef<Recovered> replyTo) implements Cmd {}

  record Written(String entity, int lastN) implements CborSerializable {}

  record Recovered(List<Ev> events) implements CborSerializable {}

  static final class Entity extends EventSourcedBehavior<Cmd, Ev, List<Ev>> {
    private final String id;

    Entity(String id) {
      super(PersistenceId.of(TYPE, id));
      this.id = id;
    }

    @Override
    public List<Ev> emptyState() {
      return new ArrayList<>();
    }

    @Override
    public CommandHandler<Cmd, Ev, List<Ev>> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Write.class, (state, w) -> Effect().persist(w.events())
              .thenRun(s -> w.replyTo().tell(new Written(id, w.events().get(w.events().size() - 1).n()))))
          .onCommand(Get.class, (state, g) -> Effect().none().thenRun(s -> g.replyTo().tell(new Recovered(s))))
          .build();
    }

    @Override
    public EventHandler<List<Ev>, Ev> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, e) -> {
        state.add(e);
        return state;
      });
    }

    @Override
    public Set<String> tagsFor(Ev event) {
      return Set.copyOf(event.tags());
    }
  }

  private static String pid(String entity) {
    return PersistenceId.of(TYPE, entity).id();
  }

  // --- the tests ---

  @Test
  void onBothStoresTheJournalsDaoIsTheBatchedOneWhichWritesWithThePluginOnH2() throws Exception {
    for (StoreSettings store : List.of(TestStores.h2(dir), TestStores.postgres("batcheddao"))) {
      String dao = Store.pekkoConfig(store).getString("jdbc-journal.dao");
      assertEquals(RecoveryJournalDao.class.getName(), dao);
      assertTrue(BatchedJournalDao.class.isAssignableFrom(Class.forName(dao)));
    }
  }

  @Test
  void concurrentTaggedAndUntaggedWritesAreRecoveredInOrderAndEveryTaggedEventIsReadOnceInOrderingOrder()
      throws Exception {
    StoreSettings store = TestStores.postgres("batcheddao");
    Map<String, List<List<Ev>>> writes = plan(new Random(42));
    Map<String, List<Ev>> expected = new LinkedHashMap<>();
    writes.forEach((entity, ws) -> expected.put(entity, ws.stream().flatMap(List::stream).toList()));
    List<Ev> taggedA = tagged(expected, TAG_A), taggedB = tagged(expected, TAG_B);
    assertTrue(taggedA.size() > 100 && taggedB.size() > 50 && taggedA.size() < total(expected) / 2,
        "the plan mixes tagged and untagged events: " + taggedA.size() + " of " + total(expected));

    ActorTestKit first = StoreTestKit.start(store, "batcheddao", "");
    try {
      assertEquals(RecoveryJournalDao.class.getName(),
          first.system().settings().config().getString("jdbc-journal.dao"));
      // Live: started before the writes, so it follows the orderings while transactions commit out of order.
      CompletionStage<List<EventEnvelope>> live = readJournal(first.system())
          .eventsByTag(TAG_A, Offset.noOffset()).take(taggedA.size()).runWith(Sink.seq(), first.system());

      TestProbe<Written> written = first.createTestProbe(Written.class);
      Map<String, ActorRef<Cmd>> refs = new HashMap<>();
      for (String entity : writes.keySet()) refs.put(entity, first.spawn(new Entity(entity), entity));
      for (int w = 0; w < WRITES_PER_ENTITY; w++) {
        for (Map.Entry<String, List<List<Ev>>> e : writes.entrySet()) {
          refs.get(e.getKey()).tell(new Write(e.getValue().get(w), written.ref()));
        }
      }
      Map<String, Integer> lastWritten = new HashMap<>();
      for (Written r : written.receiveSeveralMessages(ENTITIES * WRITES_PER_ENTITY, ANSWER)) {
        Integer before = lastWritten.put(r.entity(), r.lastN());
        assertTrue(before == null || before < r.lastN(), r.entity() + " confirmed " + r.lastN() + " after " + before);
      }
      expected.forEach((entity, evs) ->
          assertEquals(evs.get(evs.size() - 1).n(), lastWritten.get(entity), entity + " last write"));

      assertReadOnceInOrderingOrder(live.toCompletableFuture().get(ANSWER.toSeconds(), TimeUnit.SECONDS), taggedA);
      assertJournalRows(store, expected);
    } finally {
      first.shutdownTestKit();
    }

    ActorTestKit second = StoreTestKit.start(store, "batcheddao", "");
    try {
      TestProbe<Recovered> recovered = second.createTestProbe(Recovered.class);
      for (Map.Entry<String, List<Ev>> e : expected.entrySet()) {
        second.spawn(new Entity(e.getKey()), e.getKey()).tell(new Get(recovered.ref()));
        assertEquals(e.getValue(), recovered.expectMessageClass(Recovered.class, ANSWER).events(), e.getKey());
      }
      JdbcReadJournal journal = readJournal(second.system());
      for (Map.Entry<String, List<Ev>> tag : Map.of(TAG_A, taggedA, TAG_B, taggedB).entrySet()) {
        List<EventEnvelope> current = journal.currentEventsByTag(tag.getKey(), Offset.noOffset())
            .runWith(Sink.seq(), second.system()).toCompletableFuture().get(ANSWER.toSeconds(), TimeUnit.SECONDS);
        assertReadOnceInOrderingOrder(current, tag.getValue());
      }
    } finally {
      second.shutdownTestKit();
    }
  }

  @Test
  void aBatchThatFailsIsRolledBackWhollyAndTheJournalKeepsWriting() throws Exception {
    StoreSettings store = TestStores.postgres("batcheddaofail");
    ActorTestKit kit = StoreTestKit.start(store, "batcheddaofail", "");
    try {
      TestProbe<Recovered> recovered = kit.createTestProbe(Recovered.class);
      TestProbe<Written> written = kit.createTestProbe(Written.class);
      ActorRef<Cmd> doomed = kit.spawn(new Entity("doomed"), "doomed");
      doomed.tell(new Get(recovered.ref()));
      assertEquals(List.of(), recovered.expectMessageClass(Recovered.class, ANSWER).events());
      // Another writer took sequence number 2 behind the entity's back: its tagged write of 1 and 2 must fail whole.
      try (Connection con = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
           PreparedStatement ps = con.prepareStatement("INSERT INTO event_journal (persistence_id, sequence_number, "
               + "writer, write_timestamp, adapter_manifest, event_ser_id, event_ser_manifest, event_payload) "
               + "VALUES (?, 2, 'someone-else', 0, '', 0, '', '\\x00'::bytea)")) {
        ps.setString(1, pid("doomed"));
        assertEquals(1, ps.executeUpdate());
      }
      doomed.tell(new Write(List.of(new Ev("doomed", 0, List.of(TAG_A)), new Ev("doomed", 1, List.of())),
          written.ref()));
      written.expectTerminated(doomed, ANSWER);

      try (Connection con = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
           PreparedStatement ps = con.prepareStatement("SELECT sequence_number, writer FROM event_journal "
               + "WHERE persistence_id = ? ORDER BY sequence_number")) {
        ps.setString(1, pid("doomed"));
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next());
          assertEquals(2, rs.getLong(1));
          assertEquals("someone-else", rs.getString(2));
          assertFalse(rs.next(), "sequence number 1 of the failed batch was kept");
        }
        try (ResultSet rs = con.createStatement().executeQuery("SELECT count(*) FROM event_tag")) {
          assertTrue(rs.next());
          assertEquals(0, rs.getLong(1), "a tag of the failed batch was kept");
        }
      }

      // The pool's connections are fine afterwards: tagged writes of another entity go through and stay.
      ActorRef<Cmd> next = kit.spawn(new Entity("next"), "next");
      List<Ev> evs = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        List<Ev> batch = List.of(new Ev("next", 2 * i, List.of(TAG_A)), new Ev("next", 2 * i + 1, List.of()));
        evs.addAll(batch);
        next.tell(new Write(batch, written.ref()));
      }
      written.receiveSeveralMessages(10, ANSWER);
      List<EventEnvelope> current = readJournal(kit.system()).currentEventsByTag(TAG_A, Offset.noOffset())
          .runWith(Sink.seq(), kit.system()).toCompletableFuture().get(ANSWER.toSeconds(), TimeUnit.SECONDS);
      assertReadOnceInOrderingOrder(current, evs.stream().filter(e -> e.tags().contains(TAG_A)).toList());
      next.tell(new Get(recovered.ref()));
      assertEquals(evs, recovered.expectMessageClass(Recovered.class, ANSWER).events());
    } finally {
      kit.shutdownTestKit();
    }
  }

  // --- helpers ---

  /** Per entity, its writes in order: 1 to 4 events each; a quarter of the entities never tag. */
  private static Map<String, List<List<Ev>>> plan(Random rnd) {
    Map<String, List<List<Ev>>> out = new LinkedHashMap<>();
    for (int e = 0; e < ENTITIES; e++) {
      String entity = "e" + e;
      boolean tags = e % 4 != 0;
      List<List<Ev>> writes = new ArrayList<>();
      int n = 0;
      for (int w = 0; w < WRITES_PER_ENTITY; w++) {
        List<Ev> write = new ArrayList<>();
        for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
          double p = rnd.nextDouble();
          List<String> t = !tags || p >= 0.3 ? List.of() : p < 0.15 ? List.of(TAG_A, TAG_B) : List.of(TAG_A);
          write.add(new Ev(entity, n++, t));
        }
        writes.add(List.copyOf(write));
      }
      out.put(entity, writes);
    }
    return out;
  }

  private static List<Ev> tagged(Map<String, List<Ev>> events, String tag) {
    return events.values().stream().flatMap(List::stream).filter(e -> e.tags().contains(tag)).toList();
  }

  private static int total(Map<String, List<Ev>> events) {
    return events.values().stream().mapToInt(List::size).sum();
  }

  private static JdbcReadJournal readJournal(ActorSystem<?> system) {
    return PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
  }

  /**
   * Exactly the expected events, each once, in increasing ordering (so in sequence-number order per
   * entity), each with its own payload.
   */
  private static void assertReadOnceInOrderingOrder(List<EventEnvelope> read, List<Ev> expected) {
    Map<String, Ev> want = new HashMap<>();
    for (Ev e : expected) want.put(pid(e.entity()) + "#" + (e.n() + 1), e);
    Set<String> seen = new HashSet<>();
    long previous = Long.MIN_VALUE;
    for (EventEnvelope env : read) {
      long ordering = ((Sequence) env.offset()).value();
      assertTrue(ordering > previous, "ordering " + ordering + " after " + previous);
      previous = ordering;
      String key = env.persistenceId() + "#" + env.sequenceNr();
      assertTrue(seen.add(key), key + " read twice");
      assertEquals(want.get(key), env.event(), key);
    }
    assertEquals(want.keySet(), seen, "tagged events read");
  }

  /**
   * Every event has a row with sequence numbers 1..n per entity, orderings unique across the
   * journal and increasing with the sequence number per entity.
   */
  private static void assertJournalRows(StoreSettings store, Map<String, List<Ev>> expected) throws SQLException {
    Map<String, List<long[]>> rows = new HashMap<>();
    Set<Long> orderings = new HashSet<>();
    int count = 0;
    try (Connection con = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
         ResultSet rs = con.createStatement().executeQuery("SELECT persistence_id, sequence_number, ordering "
             + "FROM event_journal ORDER BY persistence_id, sequence_number")) {
      while (rs.next()) {
        count++;
        assertTrue(orderings.add(rs.getLong(3)), "ordering " + rs.getLong(3) + " twice");
        rows.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new long[] {rs.getLong(2), rs.getLong(3)});
      }
    }
    assertEquals(total(expected), count, "journal rows");
    for (Map.Entry<String, List<Ev>> e : expected.entrySet()) {
      List<long[]> r = rows.get(pid(e.getKey()));
      assertEquals(e.getValue().size(), r.size(), e.getKey());
      for (int i = 0; i < r.size(); i++) {
        assertEquals(i + 1, r.get(i)[0], e.getKey() + " sequence numbers");
        if (i > 0) assertTrue(r.get(i)[1] > r.get(i - 1)[1], e.getKey() + " orderings increase");
      }
    }
  }
}

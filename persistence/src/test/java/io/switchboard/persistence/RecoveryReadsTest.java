package io.switchboard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.CborSerializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recoveries answered from the snapshot load's one statement ({@link PrefetchingSnapshotDao},
 * {@link RecoveryJournalDao}, {@link RecoveryReads}) on H2 and the local PostgreSQL: many entities,
 * new ones and existing ones of every shape (no events, events without a snapshot, a snapshot with
 * and without events after it, more events after it than the statement reads), recovering at once in
 * a new actor system, each get exactly the events written before; and entities stopped while their
 * writes are in flight and started again at once, again and again, each time recover every event
 * the incarnations before handed to the journal (all of which the store ends up holding).
 */
class RecoveryReadsTest {
  private static final Duration ANSWER = Duration.ofSeconds(60);
  private static final String TYPE = "RecoveryReadsTest";
  private static final int NEW = 300, RESTARTED = 12, ROUNDS = 25;

  /** Every event an entity handed to the journal, by entity. */
  private static final Map<String, java.util.Queue<Ev>> HANDED = new java.util.concurrent.ConcurrentHashMap<>();

  @TempDir
  Path dir;

  record Ev(String entity, int incarnation, int n) implements CborSerializable {}

  record State(List<Ev> events) implements CborSerializable {}

  sealed interface Cmd extends CborSerializable {}

  record Write(int incarnation, int count, ActorRef<Done> replyTo) implements Cmd {}

  record Get(ActorRef<Recovered> replyTo) implements Cmd {}

  record Done(String entity) implements CborSerializable {}

  record Recovered(String entity, List<Ev> events) implements CborSerializable {}

  /** Ids starting with "s" snapshot every 10 events (keeping 2); the others never. */
  static final class Entity extends EventSourcedBehavior<Cmd, Ev, State> {
    private final String id;

    Entity(String id) {
      super(PersistenceId.of(TYPE, id));
      this.id = id;
    }

    @Override
    public State emptyState() {
      return new State(List.of());
    }

    @Override
    public CommandHandler<Cmd, Ev, State> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Write.class, (state, w) -> {
            List<Ev> evs = new ArrayList<>();
            for (int i = 0; i < w.count(); i++) evs.add(new Ev(id, w.incarnation(), state.events().size() + 1 + i));
            // handed to the journal in this same message, whatever stops the entity after it
            HANDED.computeIfAbsent(id, k -> new java.util.concurrent.ConcurrentLinkedQueue<>()).addAll(evs);
            return Effect().persist(evs).thenRun(s -> {
              if (w.replyTo() != null) w.replyTo().tell(new Done(id));
            });
          })
          .onCommand(Get.class, (state, g) -> Effect().none().thenRun(s ->
              g.replyTo().tell(new Recovered(id, s.events()))))
          .build();
    }

    @Override
    public EventHandler<State, Ev> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, e) -> {
        List<Ev> next = new ArrayList<>(state.events());
        next.add(e);
        return new State(next);
      });
    }

    @Override
    public RetentionCriteria retentionCriteria() {
      return id.startsWith("s") ? RetentionCriteria.snapshotEvery(10, 2) : RetentionCriteria.disabled();
    }
  }

  @Test
  void onH2() throws Exception {
    run(TestStores.h2(dir));
  }

  @Test
  void onPostgres() throws Exception {
    run(TestStores.postgres("recoveryreads"));
  }

  /** Existing entities: id, events written (ids with "s" snapshot every 10). */
  private static Map<String, Integer> existing() {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (int i = 0; i < 10; i++) {
      m.put("e" + i + "-3", 3);            // events, no snapshot
      m.put("s" + i + "-10", 10);          // a snapshot, nothing after it
      m.put("s" + i + "-27", 27);          // a snapshot and events after it
      m.put("s" + i + "-5", 5);            // below the first snapshot
    }
    m.put("e-300", 300);                   // more events than the snapshot load reads (256)
    m.put("e-256", 256);                   // exactly as many
    return m;
  }

  private void run(StoreSettings store) throws Exception {
    HANDED.clear();
    Map<String, Integer> existing = existing();
    ActorTestKit first = StoreTestKit.start(store, "recoveryreads", "");
    try {
      assertEquals(PrefetchingSnapshotDao.class.getName(),
          first.system().settings().config().getString("jdbc-snapshot-store.dao"));
      TestProbe<Done> done = first.createTestProbe(Done.class);
      for (Map.Entry<String, Integer> e : existing.entrySet()) {
        ActorRef<Cmd> ref = first.spawn(new Entity(e.getKey()), e.getKey());
        // one event per write, so that the snapshots are taken as they come (every 10th sequence number)
        for (int n = 0; n < e.getValue(); n++) ref.tell(new Write(0, 1, done.ref()));
      }
      done.receiveSeveralMessages(existing.values().stream().mapToInt(Integer::intValue).sum(), ANSWER);
    } finally {
      first.shutdownTestKit();
    }

    Map<String, List<Recovered>> seen = new HashMap<>();
    List<String> restarted = new ArrayList<>();
    for (int i = 0; i < RESTARTED; i++) restarted.add((i % 2 == 0 ? "s" : "e") + "restarted" + i);
    ActorTestKit second = StoreTestKit.start(store, "recoveryreads", "");
    try {
      // New and existing entities recovering at once, each asked as soon as it is spawned.
      TestProbe<Recovered> recovered = second.createTestProbe(Recovered.class);
      Map<String, Integer> expected = new HashMap<>(existing);
      for (int i = 0; i < NEW; i++) expected.put((i % 2 == 0 ? "s" : "e") + "new" + i, 0);
      Map<String, ActorRef<Cmd>> refs = new HashMap<>();
      for (String id : expected.keySet()) {
        ActorRef<Cmd> ref = second.spawn(new Entity(id), id);
        refs.put(id, ref);
        ref.tell(new Get(recovered.ref()));
      }
      for (Recovered r : recovered.receiveSeveralMessages(expected.size(), ANSWER)) {
        assertEquals(events(r.entity(), 0, expected.get(r.entity())), r.events(), r.entity());
      }
      long[] counts = RecoveryReads.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(second.system())).counts();
      assertTrue(counts[0] >= expected.size() * 9 / 10, "answered from the snapshot load: " + counts[0] + " of "
          + expected.size() + " (asked of the database: " + counts[1] + ")");

      // Stopped with writes in flight, started again at once: every event the store holds from the
      // incarnations before is recovered (the journal waits for the in-flight write; the read the
      // snapshot load made while it ran is not used).
      for (int round = 1; round <= ROUNDS; round++) {
        for (String id : restarted) {
          ActorRef<Cmd> ref = second.spawn(new Entity(id), id + "-" + round);
          ref.tell(new Get(recovered.ref()));
          ref.tell(new Write(round, 1 + round % 3, null));
          ref.tell(new Write(round, 1, null));
          refs.put(id, ref);
        }
        for (Recovered r : recovered.receiveSeveralMessages(restarted.size(), ANSWER)) {
          seen.computeIfAbsent(r.entity(), k -> new ArrayList<>()).add(r);
        }
        for (String id : restarted) second.stop(refs.get(id), ANSWER);
      }
    } finally {
      second.shutdownTestKit();
    }
    // What the store holds in the end, read by a third system once nothing can be in flight.
    ActorTestKit third = StoreTestKit.start(store, "recoveryreads", "");
    try {
      TestProbe<Recovered> last = third.createTestProbe(Recovered.class);
      for (String id : restarted) third.spawn(new Entity(id), id).tell(new Get(last.ref()));
      Map<String, List<Ev>> finalEvents = new HashMap<>();
      for (Recovered r : last.receiveSeveralMessages(restarted.size(), ANSWER)) finalEvents.put(r.entity(), r.events());
      for (String id : restarted) {
        List<Ev> all = finalEvents.get(id);
        List<Recovered> rounds = seen.get(id);
        assertEquals(ROUNDS, rounds.size(), id);
        assertTrue(all.size() > ROUNDS, id + " kept some of its in-flight writes: " + all.size());
        // Every write handed to the journal is stored: none lost to a later incarnation that recovered
        // without it and wrote the same sequence numbers.
        assertEquals(new java.util.HashSet<>(HANDED.get(id)), new java.util.HashSet<>(all), id + ": handed vs stored");
        for (int round = 1; round <= ROUNDS; round++) {
          int before = round;
          List<Ev> written = all.stream().filter(e -> e.incarnation() < before).toList();
          assertEquals(written, rounds.get(round - 1).events(), id + " recovered in round " + round);
        }
      }
    } finally {
      third.shutdownTestKit();
    }
  }

  /**
   * Not a test (runs only with {@code RECOVERY_MEASURE=<n>}): recoveries one after the other, each
   * entity asked as soon as it is spawned and the next spawned once it answered, on the local
   * PostgreSQL with the plugin's DAOs and then with these, back to back: {@code n} new entities, then
   * {@code n} existing ones (a snapshot at 10 and 7 events after it). Prints the time from spawn to the
   * answer. The statements each ran: the store's log with {@code log_min_duration_statement = 0} on the
   * database ({@code SWITCHBOARD_TEST_PG_URL}), its persistence ids named {@code <dao>-new-<i>}.
   */
  @Test
  @org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable(named = "RECOVERY_MEASURE", matches = "[0-9]+")
  void measure() throws Exception {
    int n = Integer.parseInt(System.getenv("RECOVERY_MEASURE"));
    StoreSettings store = TestStores.postgres("recoverymeasure");
    Map<String, com.typesafe.config.Config> daos = new LinkedHashMap<>();
    daos.put("plugin", com.typesafe.config.ConfigFactory.parseString("jdbc-journal.dao = "
        + BatchedJournalDao.class.getName() + "\njdbc-snapshot-store.dao = "
        + "org.apache.pekko.persistence.jdbc.snapshot.dao.DefaultSnapshotDao"));
    daos.put("prefetch", com.typesafe.config.ConfigFactory.empty());
    for (int pass = 0; pass < 2; pass++) {
      for (Map.Entry<String, com.typesafe.config.Config> dao : daos.entrySet()) {
        String p = dao.getKey() + pass;
        ActorTestKit kit = StoreTestKit.start(store, "recoverymeasure", "", dao.getValue());
        try {
          TestProbe<Done> done = kit.createTestProbe(Done.class);
          for (int i = 0; i < n; i++) {
            ActorRef<Cmd> ref = kit.spawn(new Entity("s" + p + "-old-" + i), "w" + i);
            for (int e = 0; e < 17; e++) ref.tell(new Write(0, 1, done.ref()));
            done.receiveSeveralMessages(17, ANSWER);
            kit.stop(ref, ANSWER);
          }
          TestProbe<Recovered> probe = kit.createTestProbe(Recovered.class);
          for (String kind : List.of("new", "old")) {
            long[] micros = new long[n];
            for (int i = 0; i < n; i++) {
              long t0 = System.nanoTime();
              kit.spawn(new Entity("s" + p + "-" + kind + "-" + i), kind + i).tell(new Get(probe.ref()));
              probe.receiveMessage(ANSWER);
              micros[i] = (System.nanoTime() - t0) / 1000;
            }
            java.util.Arrays.sort(micros);
            System.out.printf("RECOVERY dao=%s pass=%d kind=%s n=%d spawn->answer p50=%.2fms p90=%.2fms p99=%.2fms "
                + "mean=%.2fms%n", dao.getKey(), pass, kind, n, micros[n / 2] / 1e3, micros[n * 9 / 10] / 1e3,
                micros[n * 99 / 100] / 1e3, java.util.Arrays.stream(micros).average().orElse(0) / 1e3);
          }
        } finally {
          kit.shutdownTestKit();
        }
      }
    }
  }

  private static List<Ev> events(String entity, int incarnation, int count) {
    List<Ev> out = new ArrayList<>();
    for (int n = 1; n <= count; n++) out.add(new Ev(entity, incarnation, n));
    return out;
  }
}

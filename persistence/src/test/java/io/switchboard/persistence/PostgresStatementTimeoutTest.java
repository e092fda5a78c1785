package io.switchboard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.CborSerializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.junit.jupiter.api.Test;

/**
 * The journal's write bound on PostgreSQL ({@link Store#pekkoConfig}: {@code statement_timeout} on the journal's
 * pool), which an agent's settling after a recovery relies on (docs/ARCHITECTURE.md, "One durable write per
 * routed conversation"): a write held up longer than the bound is cancelled by the database, its persist fails,
 * and it never lands afterwards, even once whatever held it up has gone.
 */
class PostgresStatementTimeoutTest {
  private static final Duration ANSWER = Duration.ofSeconds(30);
  private static final String TYPE = "StatementTimeoutTest";

  // --- a small event-sourced entity: Write persists one event, Get replies with the recovered events ---

  record Ev(int n) implements CborSerializable {}

  sealed interface Cmd extends CborSerializable {}

  record Write(int n, ActorRef<Integer> replyTo) implements Cmd {}

  record Get(ActorRef<Recovered> replyTo) implements Cmd {}

  record Recovered(List<Ev> events) implements CborSerializable {}

  static final class Entity extends EventSourcedBehavior<Cmd, Ev, List<Ev>> {
    Entity(String id) {
      super(PersistenceId.of(TYPE, id));
    }

    @Override
    public List<Ev> emptyState() {
      return new ArrayList<>();
    }

    @Override
    public CommandHandler<Cmd, Ev, List<Ev>> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Write.class, (state, w) -> Effect().persist(new Ev(w.n())).thenRun(s -> w.replyTo().tell(w.n())))
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
  }

  @Test
  void aJournalWriteBlockedLongerThanTheBoundIsCancelledByTheDatabaseAndNeverLands() throws Exception {
    StoreSettings store = TestStores.postgres("stmttimeout");
    ActorTestKit kit = StoreTestKit.start(store, "stmttimeout", "");
    try (Connection lock = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
         Connection monitor = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password())) {
      // The journal's own pool (shared with the snapshot store) says what bounds its statements.
      SlickExtensionImpl slick = (SlickExtensionImpl) SlickExtension.get(kit.system());
      try (Connection pooled = slick.database(kit.system().settings().config().getConfig("jdbc-journal"))
          .database().source().createConnection();
           Statement st = pooled.createStatement();
           ResultSet rs = st.executeQuery("SHOW statement_timeout")) {
        assertTrue(rs.next());
        assertEquals("5s", rs.getString(1), "statement_timeout on a connection of the journal's pool");
      }

      TestProbe<Recovered> recovered = kit.createTestProbe(Recovered.class);
      TestProbe<Integer> written = kit.createTestProbe(Integer.class);
      ActorRef<Cmd> entity = kit.spawn(new Entity("held"), "held-1");
      entity.tell(new Get(recovered.ref()));
      assertEquals(List.of(), recovered.expectMessageClass(Recovered.class, ANSWER).events(), "recovered before the lock");

      // A second session holds the journal table, as a long migration, a VACUUM FULL or a stuck transaction would.
      lock.setAutoCommit(false);
      String journal = store.pgSchema() + ".event_journal";
      try (Statement st = lock.createStatement()) {
        st.execute("LOCK TABLE " + journal + " IN ACCESS EXCLUSIVE MODE");
      }
      try {
        entity.tell(new Write(1, written.ref()));
        // The write reaches the database and waits on the lock ...
        written.awaitAssert(ANSWER, () -> {
          assertTrue(!waitingOn(monitor, journal).isEmpty(), "the journal's write waits on the lock");
          return null;
        });
        // ... its persist is reported failed (the entity stops, as on any journal failure) ...
        written.expectTerminated(entity, ANSWER);
        // ... and the database has cancelled it while the lock is still held: nothing of the node waits on it.
        written.awaitAssert(ANSWER, () -> {
          List<String> waiting = waitingOn(monitor, journal);
          assertTrue(waiting.isEmpty(), "statements still waiting on the lock: " + waiting);
          return null;
        });
      } finally {
        lock.rollback();
      }

      // The lock gone, the cancelled write has not landed: the entity recovers without it and writes anew.
      assertEquals(0, journalRows(monitor, PersistenceId.of(TYPE, "held").id()), "rows of the cancelled write");
      ActorRef<Cmd> again = kit.spawn(new Entity("held"), "held-2");
      again.tell(new Get(recovered.ref()));
      assertEquals(List.of(), recovered.expectMessageClass(Recovered.class, ANSWER).events(), "recovered after the lock");
      again.tell(new Write(2, written.ref()));
      assertEquals(2, written.expectMessageClass(Integer.class, ANSWER));
      assertEquals(1, journalRows(monitor, PersistenceId.of(TYPE, "held").id()), "rows after the later write");
      again.tell(new Get(recovered.ref()));
      assertEquals(List.of(new Ev(2)), recovered.expectMessageClass(Recovered.class, ANSWER).events());
    } finally {
      kit.shutdownTestKit();
      try (Connection c = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
           Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + store.pgSchema() + " CASCADE");
      }
    }
  }

  /**
   * The statements waiting for a lock on {@code table}: their session, wait and text. Only the node writes to
   * this test's schema, so these are the node's ({@code pg_blocking_pids} of the lock's session would also name
   * other sessions of the database, such as another schema's {@code CREATE INDEX CONCURRENTLY}, which waits for
   * every open transaction).
   */
  private static List<String> waitingOn(Connection monitor, String table) {
    try (PreparedStatement ps = monitor.prepareStatement("SELECT a.pid, a.wait_event_type, a.query"
        + " FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid"
        + " WHERE NOT l.granted AND l.relation = to_regclass(?)")) {
      ps.setString(1, table);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(rs.getInt(1) + " " + rs.getString(2) + ": " + rs.getString(3));
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int journalRows(Connection con, String persistenceId) throws SQLException {
    try (PreparedStatement ps = con.prepareStatement("SELECT count(*) FROM event_journal WHERE persistence_id = ?")) {
      ps.setString(1, persistenceId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}

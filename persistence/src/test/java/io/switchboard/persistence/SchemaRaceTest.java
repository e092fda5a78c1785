package io.switchboard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.switchboard.persistence.readmodel.ReadModels;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Several nodes starting at once on an empty PostgreSQL database (issue 13: {@code CREATE TABLE IF NOT
 * EXISTS} racing between nodes failed a node's start with "duplicate key value violates unique constraint
 * pg_type_typname_nsp_index"): {@link Store#createSchema} serializes them with an advisory lock, so every
 * one succeeds. Five fresh databases, as many concurrent creations on each as a small cluster has nodes.
 */
class SchemaRaceTest {
  private static final int NODES = 4;
  private static final int DATABASES = 5;
  private static final List<String> created = new ArrayList<>();

  /** Only for the projections' offset tables (the library creates them through an actor system). */
  private static final ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "schema-race",
      Store.pekkoConfig(publicSchema()).withFallback(ConfigFactory.load()));

  /** The store settings on the {@code public} schema (the offset tables' schema is the actor system's setting). */
  private static StoreSettings publicSchema() {
    StoreSettings base = TestStores.postgres("unused");
    return base.withPostgres(base.pgUrl(), "public");
  }

  @Test
  void nodesCreatingTheSchemaAtOnceOnAFreshDatabaseAllSucceed() throws Exception {
    ExecutorService nodes = Executors.newFixedThreadPool(NODES);
    try {
      for (int round = 0; round < DATABASES; round++) {
        StoreSettings s = freshDatabase("sb_schema_race_" + round);
        CyclicBarrier start = new CyclicBarrier(NODES);
        List<Future<?>> runs = new ArrayList<>();
        for (int n = 0; n < NODES; n++) {
          runs.add(nodes.submit((Callable<Void>) () -> {
            start.await(30, TimeUnit.SECONDS);
            Store.createSchema(s); // each its own connection, as each node has
            return null;
          }));
        }
        for (Future<?> run : runs) run.get(120, TimeUnit.SECONDS); // a SchemaException fails the test here
        // then the projections' offset tables (ReadModels.start), also at once, each on a pool of its own
        List<HikariDataSource> pools = new ArrayList<>();
        List<CompletableFuture<Done>> offsets = new ArrayList<>();
        for (int n = 0; n < NODES; n++) {
          HikariDataSource pool = pool(s);
          pools.add(pool);
          offsets.add(ReadModels.createOffsetTables(system, s, pool).toCompletableFuture());
        }
        try {
          for (CompletableFuture<Done> o : offsets) o.get(120, TimeUnit.SECONDS);
        } finally {
          pools.forEach(HikariDataSource::close);
        }
        assertTrue(TestStores.tables(s).containsAll(List.of("event_journal", "event_tag", "snapshot",
            "durable_state", "sb_conversation", "sb_wakeup", "pekko_projection_offset_store",
            "pekko_projection_management")), "round " + round + ": " + TestStores.tables(s));
        assertEquals(0, heldSchemaLocks(s), "the lock is released after the schema is created");
      }
    } finally {
      nodes.shutdownNow();
    }
  }

  /** A new, empty database with the {@code public} schema (what a fresh cluster's store is). */
  private static StoreSettings freshDatabase(String prefix) throws SQLException {
    StoreSettings base = TestStores.postgres("unused");
    String name = prefix + "_" + Long.toUnsignedString(System.nanoTime(), 36);
    String server = base.pgUrl().substring(0, base.pgUrl().lastIndexOf('/') + 1);
    try (Connection con = DriverManager.getConnection(server + "postgres", base.pgUser(), base.pgPassword());
         Statement st = con.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    synchronized (created) {
      created.add(name);
    }
    return base.withPostgres(server + name, "public");
  }

  private static HikariDataSource pool(StoreSettings s) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(s.jdbcUrl());
    hc.setUsername(s.user());
    hc.setPassword(s.password());
    hc.setMaximumPoolSize(1);
    return new HikariDataSource(hc);
  }

  private static int heldSchemaLocks(StoreSettings s) throws SQLException {
    try (Connection con = DriverManager.getConnection(s.jdbcUrl(), s.user(), s.password());
         Statement st = con.createStatement();
         var rs = st.executeQuery("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
             + "WHERE l.locktype = 'advisory' AND d.datname = current_database()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @AfterAll
  static void dropDatabases() throws SQLException {
    system.terminate();
    StoreSettings base = TestStores.postgres("unused");
    String server = base.pgUrl().substring(0, base.pgUrl().lastIndexOf('/') + 1);
    try (Connection con = DriverManager.getConnection(server + "postgres", base.pgUser(), base.pgPassword());
         Statement st = con.createStatement()) {
      for (String name : created) st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
}

package io.switchboard.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.switchboard.Text;
import io.switchboard.persistence.readmodel.ReadModelSchema;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The durable store: the Pekko configuration that points journal, snapshots and read journal at it,
 * and the schema, created at start. Both are derived from {@link StoreSettings} in code, so no
 * {@code reference.conf} of this library overrides {@code pekko.persistence.*}: the application
 * layers {@link #pekkoConfig} over its own configuration.
 */
public final class Store {
  private Store() {}

  /**
   * Journal and snapshot store on one shared connection pool to the configured store, the read journal
   * on another; {@link RecoveryJournalDao} and {@link PrefetchingSnapshotDao} as their DAOs (a recovery in one
   * statement; on PostgreSQL batched writes of tagged events); the projections' dialect,
   * offset schema and threads; how often the read journal polls.
   */
  public static Config pekkoConfig(StoreSettings s) {
    String db = "pekko-persistence-jdbc.shared-databases.default";
    String refresh = s.readRefreshInterval().toMillis() + "ms";
    Config config = ConfigFactory.parseMap(Map.ofEntries(
        Map.entry("jdbc-read-journal.refresh-interval", refresh),
        Map.entry("jdbc-read-journal.journal-sequence-retrieval.query-delay", refresh),
        Map.entry("pekko.projection.jdbc.dialect", s.kind() == StoreSettings.Kind.H2 ? "h2-dialect" : "postgres-dialect"),
        Map.entry("pekko.projection.jdbc.offset-store.schema", s.kind() == StoreSettings.Kind.H2 ? "" : s.pgSchema()),
        Map.entry("pekko.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size",
            s.readPoolSize()),
        Map.entry("pekko.persistence.journal.plugin", "jdbc-journal"),
        // Writes waiting for the journal (the plugin's 1,000 fails the writes beyond it, and ten failures
        // open its circuit breaker, which then fails every write and recovery for 30 s; a restart that
        // woke 20,000 conversations at once did that on H2). Senders are bounded elsewhere (HTTP
        // max-in-flight, the keeper's max-in-flight, one write at a time per entity).
        Map.entry("jdbc-journal.bufferSize", 10_000),
        Map.entry("pekko.persistence.snapshot-store.plugin", "jdbc-snapshot-store"),
        Map.entry("jdbc-journal.use-shared-db", "default"),
        Map.entry("jdbc-snapshot-store.use-shared-db", "default"),
        Map.entry("jdbc-read-journal.use-shared-db", "read"),
        Map.entry("jdbc-durable-state-store.use-shared-db", "default"),
        // tag queries that read only the rows they return (see TagRangeReadJournalDao)
        Map.entry("jdbc-read-journal.dao", TagRangeReadJournalDao.class.getName()),
        // an agent's scan for its grants' assignments reads the committed rows, without the read journal's gap
        // detection (see HoldScanReadJournal)
        Map.entry(HoldScanReadJournal.ID + ".class", HoldScanReadJournal.class.getName()),
        Map.entry("switchboard.core.grant-read-journal", HoldScanReadJournal.ID),
        // Store outages (docs/ARCHITECTURE.md): once the store is back, the journal's and snapshot
        // store's circuit breakers let a call through within a second, whatever the outage's length (the
        // defaults, 30 s and 60 s, kept new conversations failing for half a minute after the store came
        // back). They do not back off exponentially: after a few seconds down their state is the same
        // however long the outage lasts.
        Map.entry("jdbc-journal.circuit-breaker.reset-timeout", "1s"),
        Map.entry("jdbc-snapshot-store.circuit-breaker.reset-timeout", "1s"),
        Map.entry("jdbc-snapshot-store.circuit-breaker.call-timeout", "10s"),
        // projections restart after a failed query with this back-off (the default grows to 30 s)
        Map.entry("pekko.projection.restart-backoff.min-backoff", "500ms"),
        Map.entry("pekko.projection.restart-backoff.max-backoff", "2s")));
    // The pools: journal and snapshot store on one, the read journal on its own (below).
    Map<String, Object> pools = new java.util.HashMap<>();
    for (var pool : Map.of(db, s.poolSize(), "pekko-persistence-jdbc.shared-databases.read", s.readPoolSize())
        .entrySet()) {
      String p = pool.getKey();
      pools.put(p + ".profile", s.slickProfile());
      pools.put(p + ".db.url", s.jdbcUrl());
      pools.put(p + ".db.user", s.user());
      pools.put(p + ".db.password", s.password());
      pools.put(p + ".db.driver", s.driver());
      pools.put(p + ".db.numThreads", pool.getValue());
      pools.put(p + ".db.maxConnections", pool.getValue());
      // Store outages: a connection the store does not give within a second fails the call, so a stopped
      // store fails writes and recoveries in about a second (HikariCP's 30 s would hold every caller past
      // the HTTP ask timeout). No idle connection is kept at all cost: with one, HikariCP's connection
      // adder retries without end while the store is down, backing off to 5 s between attempts, and the
      // pool reconnected up to 5 s after the store's return; without, it tries only while a call waits,
      // which the circuit breakers space out. That is also why the read journal (the projections' and the
      // sequence actor's polling, which no breaker spaces out) has a pool of its own.
      pools.put(p + ".db.minConnections", 0);
      pools.put(p + ".db.connectionTimeout", 1000);
      pools.put(p + ".db.validationTimeout", 500);
    }
    if (s.kind() == StoreSettings.Kind.POSTGRES) {
      // The journal's write bound: PostgreSQL cancels any statement of the write pool after 5 s, so that a
      // conversation's write of an agent's grant lands within grant-ttl + 5 s of the grant or never, which the
      // agent's settling after a recovery relies on (docs/ARCHITECTURE.md, "One durable write per routed
      // conversation"; switchboard.core.grant-settle).
      pools.put(db + ".db.properties.options", "-c statement_timeout=5000");
    }
    config = ConfigFactory.parseMap(pools).withFallback(config);
    // Stores written with pekko.cluster.sharding.state-store-mode = persistence (before issue 13): the
    // coordinator's remembered shards are read from the old coordinator's events under the same persistence
    // id (docs/ARCHITECTURE.md, "Running a cluster"). Only that event class is bound: nothing else changes.
    config = ConfigFactory.parseString("""
        jdbc-journal.event-adapters.coordinator-migration = "org.apache.pekko.cluster.sharding.OldCoordinatorStateMigrationEventAdapter"
        jdbc-journal.event-adapter-bindings { "org.apache.pekko.cluster.sharding.ShardCoordinator$Internal$DomainEvent" = coordinator-migration }
        """).withFallback(config);
    // A recovery in one statement: the snapshot load reads the journal's highest sequence number and the
    // events after the snapshot with it (PrefetchingSnapshotDao), the journal answers from that read
    // (RecoveryJournalDao, which also writes batches with tagged events as JDBC batches on PostgreSQL, see
    // BatchedJournalDao; the plugin's own write on H2).
    return config
        .withValue("jdbc-journal.dao", ConfigValueFactory.fromAnyRef(RecoveryJournalDao.class.getName()))
        .withValue("jdbc-snapshot-store.dao", ConfigValueFactory.fromAnyRef(PrefetchingSnapshotDao.class.getName()));
  }

  /** The configuration of an application on this store: {@link #pekkoConfig} over {@code app}. */
  public static Config on(Config app) {
    return pekkoConfig(StoreSettings.from(app)).withFallback(app);
  }

  /**
   * Creates the tables and indexes of journal, snapshots, durable state and Switchboard's read models
   * if they are missing (the projections' offset tables are created by {@code ReadModels.start}).
   * Idempotent, and safe when several nodes run it at once: on PostgreSQL they take turns under
   * {@link SchemaLock}. Blocking JDBC, so call it at start-up before the actor system, never from an actor.
   *
   * @throws SchemaException naming the statement that failed and the store
   */
  public static void createSchema(StoreSettings s) {
    List<String> statements = schemaStatements(s);
    try {
      if (s.kind() == StoreSettings.Kind.H2) Files.createDirectories(s.h2Dir());
    } catch (IOException e) {
      throw new SchemaException("cannot create the H2 directory " + s.h2Dir() + ": " + e.getMessage(), e);
    }
    // Nodes starting at once on an empty database take turns (SchemaLock); the DDL runs on the session
    // that holds the lock. On H2 (one process's file) there is nothing to wait for.
    try (SchemaLock lock = SchemaLock.acquire(s, SchemaLock.TIMEOUT)) {
      if (lock.connection() != null) {
        apply(s, statements, lock.connection());
      } else {
        try (Connection con = DriverManager.getConnection(s.jdbcUrl(), s.user(), s.password())) {
          apply(s, statements, con);
        }
      }
    } catch (SQLException e) {
      throw new SchemaException("cannot connect to " + s.describe() + ": " + e.getMessage(), e);
    }
  }

  private static void apply(StoreSettings s, List<String> statements, Connection con) throws SQLException {
    try (Statement st = con.createStatement()) {
      con.setAutoCommit(true); // CREATE INDEX CONCURRENTLY cannot run inside a transaction
      if (s.kind() == StoreSettings.Kind.POSTGRES) {
        st.execute("CREATE SCHEMA IF NOT EXISTS " + s.pgSchema());
        st.execute("SET search_path TO " + s.pgSchema()); // the script's foreign key names its table unqualified
      }
      for (String sql : statements) {
        try {
          st.execute(sql);
        } catch (SQLException e) {
          throw new SchemaException("creating the schema on " + s.describe() + " failed at: " + Text.firstLine(sql)
              + ": " + e.getMessage(), e);
        }
      }
    }
  }

  /**
   * At shutdown, after the last journal write and projection batch: on H2, {@code CHECKPOINT SYNC}
   * (every commit is already in the file, see {@link StoreSettings#jdbcUrl}; this also forces it to
   * the disk); nothing on PostgreSQL, whose commits are durable when they return. Blocking JDBC.
   *
   * @throws SQLException when the store does not answer
   */
  public static void sync(StoreSettings s, javax.sql.DataSource pool) throws SQLException {
    if (s.kind() != StoreSettings.Kind.H2) return;
    try (Connection con = pool.getConnection(); Statement st = con.createStatement()) {
      st.execute("CHECKPOINT SYNC");
    }
  }

  /** The plugin's own DDL, made idempotent and pointed at the configured schema. */
  static List<String> schemaStatements(StoreSettings s) {
    boolean h2 = s.kind() == StoreSettings.Kind.H2;
    String ddl = resource(h2 ? "schema/h2/h2-create-schema.sql" : "schema/postgres/postgres-create-schema.sql");
    if (!h2) ddl = ddl.replace("public.", s.pgSchema() + ".");
    ddl = ddl.replace("CREATE UNIQUE INDEX \"", "CREATE UNIQUE INDEX IF NOT EXISTS \"")
        .replace("CREATE UNIQUE INDEX event_", "CREATE UNIQUE INDEX IF NOT EXISTS event_")
        .replace("CREATE INDEX CONCURRENTLY state_", "CREATE INDEX CONCURRENTLY IF NOT EXISTS state_");
    List<String> out = new ArrayList<>();
    for (String sql : ddl.split(";")) {
      if (!sql.isBlank()) out.add(sql.trim());
    }
    // What TagRangeReadJournalDao's tag query scans: the rows of one tag within an ordering range.
    out.add(h2 ? "CREATE INDEX IF NOT EXISTS \"event_tag_by_tag_idx\" ON PUBLIC.\"event_tag\" (\"tag\", \"event_id\")"
        : "CREATE INDEX IF NOT EXISTS event_tag_by_tag_idx ON " + s.pgSchema() + ".event_tag (tag, event_id)");
    out.addAll(ReadModelSchema.statements());
    return out;
  }

  private static String resource(String name) {
    try (InputStream in = Store.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) throw new SchemaException("pekko-persistence-jdbc's " + name + " is not on the class path", null);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SchemaException("cannot read " + name + ": " + e.getMessage(), e);
    }
  }

  /** The schema could not be created or checked; the message says where and why. */
  public static final class SchemaException extends RuntimeException {
    public SchemaException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}

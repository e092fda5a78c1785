package io.switchboard.persistence.readmodel;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.switchboard.CoreSettings;
import io.switchboard.conversation.Conversation;
import io.switchboard.persistence.SchemaLock;
import io.switchboard.persistence.Store;
import io.switchboard.persistence.StoreSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.GroupedProjection;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * The read models: one Pekko Projection per conversation tag ({@code conversation-0..n-1}), run as
 * a sharded daemon process (one instance per tag somewhere in the cluster), each reading its tag's
 * events through the JDBC read journal and writing {@code sb_conversation} and
 * {@code sb_routing_stats} with its offset in one transaction (exactly once). Queries go to those
 * tables through {@link #queries()}, never to the journal.
 *
 * <p>Connections come from a pool of their own ({@code read-pool-size} for the projections, as many
 * again for queries), so a burst of queries never starves the journal.
 */
public final class ReadModels {
  public static final String PROJECTION_NAME = "conversations";

  private final HikariDataSource dataSource;
  private final ReadModelQueries queries;
  private final CompletionStage<Done> ready;

  private ReadModels(HikariDataSource dataSource, ReadModelQueries queries, CompletionStage<Done> ready) {
    this.dataSource = dataSource;
    this.queries = queries;
    this.ready = ready;
  }

  /**
   * Creates the projections' offset tables if missing and starts the projections (unless
   * {@code switchboard.read-models.enabled} is off). The store's own tables come from
   * {@code Store.createSchema}, which must have run. The pool closes when the system terminates.
   */
  public static ReadModels start(ActorSystem<?> system, StoreSettings store) {
    return start(system, store, agents -> {});
  }

  /**
   * @param agentsWritten told, after each committed batch, the agents whose live-stream log
   *     ({@code sb_agent_event}) got lines: must be quick and never block (a tell)
   */
  public static ReadModels start(ActorSystem<?> system, StoreSettings store,
      java.util.function.Consumer<java.util.Set<String>> agentsWritten) {
    return start(system, store, agentsWritten, tenant -> false);
  }

  /**
   * @param agentsWritten told, after each committed batch, the agents whose live-stream log
   *     ({@code sb_agent_event}) got lines: must be quick and never block (a tell)
   * @param withoutWebhook whether a tenant is known, now, to have no outbound webhook: its conversation
   *     events are then not written to the webhook outbox, whose dispatcher would only delete them
   *     (docs/ARCHITECTURE.md, "Read models"); false when unsure. Called on the projection's threads: must be
   *     quick and never block (a read of this node's copy of the tenants)
   */
  public static ReadModels start(ActorSystem<?> system, StoreSettings store,
      java.util.function.Consumer<java.util.Set<String>> agentsWritten,
      java.util.function.Predicate<String> withoutWebhook) {
    Config config = system.settings().config();
    Config rm = config.getConfig("switchboard.read-models");
    int tags = CoreSettings.from(config).readModelTags();
    HikariDataSource dataSource = pool(store);
    // The last phase before the system terminates: the HTTP requests are answered, the entities and
    // the projections have stopped (cluster sharding has shut down), so no write is left to wait for.
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "sync-store-and-close-read-model-pool", () -> CompletableFuture.supplyAsync(() -> {
          try {
            Store.sync(store, dataSource);
          } catch (java.sql.SQLException e) {
            system.log().warn("could not sync {} at shutdown: {}", store.describe(), e.getMessage());
          } finally {
            dataSource.close();
          }
          return Done.getInstance();
        }, blocking));
    Executor queryExecutor = system.dispatchers().lookup(
        DispatcherSelector.fromConfig("switchboard.read-models.query-dispatcher"));
    ReadModelQueries queries = new ReadModelQueries(dataSource, queryExecutor);
    CompletionStage<Done> ready;
    if (!rm.getBoolean("enabled") || tags <= 0) {
      ready = CompletableFuture.completedFuture(Done.getInstance());
    } else {
      Supplier<PooledSession> sessions = () -> new PooledSession(dataSource);
      int batch = rm.getInt("batch-size");
      int kept = rm.getInt("agent-events-kept");
      Duration within = rm.getDuration("batch-within");
      DeadlineKeeper.Settings wakeups = DeadlineKeeper.Settings.from(rm);
      ready = createOffsetTables(system, store, dataSource).thenApply(done -> {
        ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, PROJECTION_NAME, tags,
            shard -> ProjectionBehavior.create(projection(system, sessions, shard, batch, within,
                wakeups.checkAfter(), kept, agentsWritten, withoutWebhook)),
            ProjectionBehavior.stopMessage());
        // One keeper per cluster: it reads the index the projections write and wakes conversations.
        ClusterSingleton.get(system).init(SingletonActor.of(DeadlineKeeper.create(queries, wakeups,
            ClusterSharding.get(system), Clock.systemUTC()), "deadline-keeper"));
        return done;
      });
    }
    return new ReadModels(dataSource, queries, ready);
  }

  /**
   * The projections' offset tables (the library's DDL), under the same {@link SchemaLock} as
   * {@code Store.createSchema}: nodes starting at once on an empty database would otherwise race on
   * {@code CREATE TABLE IF NOT EXISTS} here too. The lock is taken and released on the blocking dispatcher.
   */
  public static CompletionStage<Done> createOffsetTables(ActorSystem<?> system, StoreSettings store,
      javax.sql.DataSource dataSource) {
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    Supplier<PooledSession> sessions = () -> new PooledSession(dataSource);
    return CompletableFuture.supplyAsync(() -> SchemaLock.acquire(store, SchemaLock.TIMEOUT), blocking)
        .thenCompose(lock -> JdbcProjection.createTablesIfNotExists(sessions, system)
            .whenCompleteAsync((done, failure) -> lock.close(), blocking));
  }

  private static GroupedProjection<org.apache.pekko.persistence.query.Offset, EventEnvelope<Conversation.Event>>
      projection(ActorSystem<?> system, Supplier<PooledSession> sessions, int shard, int batch, Duration within,
          Duration checkAfter, int agentEventsKept, java.util.function.Consumer<java.util.Set<String>> agentsWritten,
          java.util.function.Predicate<String> withoutWebhook) {
    String tag = Conversation.TAG_PREFIX + shard;
    Supplier<JdbcHandler<List<EventEnvelope<Conversation.Event>>, PooledSession>> handler =
        () -> new ConversationProjectionHandler(shard, checkAfter, agentEventsKept, agentsWritten, withoutWebhook);
    return JdbcProjection.groupedWithin(
            ProjectionId.of(PROJECTION_NAME, tag),
            EventSourcedProvider.<Conversation.Event>eventsByTag(system, JdbcReadJournal.Identifier(), tag),
            sessions, handler, system)
        .withGroup(batch, within);
  }

  private static HikariDataSource pool(StoreSettings store) {
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("switchboard-read-models");
    hc.setJdbcUrl(store.jdbcUrl());
    hc.setUsername(store.user());
    hc.setPassword(store.password());
    hc.setDriverClassName(store.driver());
    hc.setMaximumPoolSize(2 * store.readPoolSize());
    hc.setMinimumIdle(1);
    // a stopped store fails queries, pings and projection batches in 2 s, not HikariCP's 30 s
    hc.setConnectionTimeout(2000);
    hc.setValidationTimeout(1000);
    hc.setInitializationFailTimeout(-1); // start even if the store is down; queries and projections retry
    // The projection's INSERT batches (conversation rows, outbox, agent lines) sent as multi-row INSERTs: the
    // driver's own rewrite (pgjdbc), a few statements per batch instead of one per row; nothing here reads
    // an INSERT batch's per-row counts, which the rewrite does not give. UPDATE and MERGE batches are unchanged.
    if (store.kind() == StoreSettings.Kind.POSTGRES) hc.addDataSourceProperty("reWriteBatchedInserts", "true");
    return new HikariDataSource(hc);
  }

  /** Completes when the offset tables exist and the projections are started; fails with the reason otherwise. */
  public CompletionStage<Done> ready() {
    return ready;
  }

  public ReadModelQueries queries() {
    return queries;
  }

  /** The read models' connection pool, for other tables of the same store (the webhook outbox). */
  public javax.sql.DataSource dataSource() {
    return dataSource;
  }

  /** Closes the connection pool (also done on actor-system termination). */
  public void close() {
    dataSource.close();
  }
}

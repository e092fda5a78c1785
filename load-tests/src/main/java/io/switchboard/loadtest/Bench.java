package io.switchboard.loadtest;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.switchboard.persistence.Store;
import io.switchboard.persistence.StoreSettings;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/** What the in-process benchmarks share: a fresh store, a one-node cluster on it, waiting for answers. */
final class Bench {
  private Bench() {}

  /** A fresh store of {@code kind}: an H2 directory of its own, or schema {@code schema} of PostgreSQL (dropped first). */
  static StoreSettings freshStore(String kind, String schema) throws Exception {
    StoreSettings s = settingsOf(kind);
    if (s.kind() == StoreSettings.Kind.H2) return s.withH2(Files.createTempDirectory("switchboard-bench"));
    StoreSettings pg = s.withPostgres(s.pgUrl(), schema);
    try (var con = java.sql.DriverManager.getConnection(s.pgUrl(), s.pgUser(), s.pgPassword());
         var st = con.createStatement()) {
      st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
    return pg;
  }

  /** The store another process of the same benchmark made: an H2 directory, or a PostgreSQL schema. */
  static StoreSettings existingStore(String kind, String where) {
    StoreSettings s = settingsOf(kind);
    return s.kind() == StoreSettings.Kind.H2 ? s.withH2(java.nio.file.Path.of(where)) : s.withPostgres(s.pgUrl(), where);
  }

  /** Where {@code s} keeps its data, as {@link #existingStore} reads it. */
  static String whereOf(StoreSettings s) {
    return s.kind() == StoreSettings.Kind.H2 ? s.h2Dir().toString() : s.pgSchema();
  }

  private static StoreSettings settingsOf(String kind) {
    Config base = ConfigFactory.parseString("switchboard.persistence.store = " + kind).withFallback(ConfigFactory.load());
    return StoreSettings.from(base);
  }

  /**
   * The configuration of a node as the runnable gateway runs one (idle conversations passivate after
   * {@code -Dbench.passivate-after}, default 2m; agents and teams remembered in the journal; the
   * sharding and stash settings of http-gateway's application.conf), for
   * benchmarks that start the read models and their keeper.
   */
  static String node() {
    return "switchboard.core.passivate-after = " + System.getProperty("bench.passivate-after", "2m") + "\n"
        + "pekko.persistence.max-concurrent-recoveries = " + System.getProperty("bench.max-recoveries", "50") + "\n"
        + """
        switchboard.core.remember-agents-and-teams = on
        pekko.cluster.sharding.remember-entities-store = eventsourced
        pekko.cluster.sharding.state-store-mode = ddata
        pekko.cluster.sharding.distributed-data.durable.keys = []
        pekko.cluster.sharding.waiting-for-state-timeout = 30s
        pekko.persistence.typed.stash-capacity = 100000
        """;
  }

  /** Heap in use after full collections, in bytes. */
  static long usedHeapAfterGc() throws InterruptedException {
    java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
      TimeUnit.MILLISECONDS.sleep(500);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  /** The conversation entities running on this node now. */
  static int runningConversations(ActorSystem<?> system) {
    CompletionStage<org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState> state =
        org.apache.pekko.actor.typed.javadsl.AskPattern.ask(
            org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(system).shardState(),
            r -> new org.apache.pekko.cluster.sharding.typed.GetShardRegionState(
                io.switchboard.conversation.Conversation.ENTITY_TYPE_KEY, r),
            java.time.Duration.ofSeconds(30), system.scheduler());
    return await(state).getShards().stream().mapToInt(sh -> sh.getEntityIds().size()).sum();
  }

  /** The top of the live heap's class histogram (jcmd GC.class_histogram), {@code lines} lines. */
  static String histogram(int lines) {
    try {
      Object out = java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
          new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
          new Object[] {new String[0]}, new String[] {String[].class.getName()});
      return String.join("\n", java.util.Arrays.asList(out.toString().split("\n")).subList(0, lines + 3));
    } catch (Exception e) {
      return "(no histogram: " + e + ")";
    }
  }

  /** A one-node cluster on {@code store}, with {@code extra} configuration on top, once it is Up. */
  static ActorSystem<Void> start(StoreSettings store, String extra) throws InterruptedException {
    Store.createSchema(store);
    Config config = Store.pekkoConfig(store).withFallback(ConfigFactory.parseString(extra)).withFallback(
        ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
            pekko.cluster.jmx.enabled = off
            pekko.loglevel = WARNING
            pekko.log-dead-letters = off
            """)).withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench", config);
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    while (cluster.selfMember().status() != MemberStatus.up()) TimeUnit.MILLISECONDS.sleep(20);
    return system;
  }

  static <T> T await(CompletionStage<T> stage) {
    return await(stage, java.time.Duration.ofMinutes(5));
  }

  static <T> T await(CompletionStage<T> stage, java.time.Duration max) {
    CompletableFuture<T> f = stage.toCompletableFuture();
    try {
      return f.get(max.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static void stop(ActorSystem<?> system) {
    system.terminate();
    await(system.getWhenTerminated());
  }

}

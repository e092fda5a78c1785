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
    Config base = ConfigFactory.parseString("switchboard.persistence.store = " + kind).withFallback(ConfigFactory.load());
    StoreSettings s = StoreSettings.from(base);
    if (s.kind() == StoreSettings.Kind.H2) return s.withH2(Files.createTempDirectory("switchboard-bench"));
    StoreSettings pg = s.withPostgres(s.pgUrl(), schema);
    try (var con = java.sql.DriverManager.getConnection(s.pgUrl(), s.pgUser(), s.pgPassword());
         var st = con.createStatement()) {
      st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
    return pg;
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
    CompletableFuture<T> f = stage.toCompletableFuture();
    try {
      return f.get(5, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static void stop(ActorSystem<?> system) {
    system.terminate();
    await(system.getWhenTerminated());
  }

}

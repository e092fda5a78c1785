package io.switchboard.loadtest;

import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.RouterCore;
import io.switchboard.conversation.Conversation;
import io.switchboard.persistence.StoreSettings;
import io.switchboard.persistence.readmodel.ReadModels;
import io.switchboard.routing.RoutingHint;
import io.switchboard.team.Team;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Storage figures of the routing core on one store (argument {@code h2} or {@code postgres}; the
 * PostgreSQL connection comes from {@code SWITCHBOARD_PG_*}, schema {@code bench} is dropped first):
 * conversation events persisted per second (each inbound message on an open conversation is one
 * {@code MessageReceived} event, untagged; the conversations name a team that is not configured, so
 * they escalate once and then only store messages, with no other entity involved), and the time a
 * conversation with 1,000 events takes to
 * recover in a fresh actor system, with snapshots every 100 events and without snapshots. Also: new
 * conversations per second (each writes two tagged events) and how fast the read-model projections,
 * started afterwards, catch up with every tagged event in the journal.
 * A benchmark, not a test: run it by hand, see README.
 */
public final class StoreBenchmark {
  private static final Duration ASK = Duration.ofSeconds(30);

  public static void main(String[] args) throws Exception {
    String kind = args.length > 0 ? args[0] : "h2";
    int conversations = Integer.getInteger("bench.conversations", 1_000);
    int seconds = Integer.getInteger("bench.seconds", 20);
    int inFlight = Integer.getInteger("bench.in-flight", 256);
    StoreSettings store = Bench.freshStore(kind, "bench");
    System.out.printf("store: %s; %d conversations, %d asks in flight, warm-up 10 s then %d s%n",
        store.describe(), conversations, inFlight, seconds);

    String withSnapshots = EntityIds.conversationId("bench", "whatsapp", "long");
    String noSnapshots = EntityIds.conversationId("bench", "whatsapp", "long-nosnap");
    ActorSystem<Void> system = start(store, 100);
    try {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < conversations; i++) ids.add(EntityIds.conversationId("bench", "whatsapp", "c" + i));
      run(system, ids, inFlight, Duration.ofSeconds(10)); // warm-up, opens every conversation
      long events = run(system, ids, inFlight, Duration.ofSeconds(seconds));
      System.out.printf("events persisted per second: %.0f (%d MessageReceived events in %d s)%n",
          events / (double) seconds, events, seconds);

      // New conversations: each writes two tagged events (MessageReceived opening it, then Escalated,
      // as its team does not exist), which the read-model projections then catch up with.
      int opened = Integer.getInteger("bench.new-conversations", 20_000);
      List<String> fresh = new ArrayList<>();
      for (int i = 0; i < opened; i++) fresh.add(EntityIds.conversationId("bench", "whatsapp", "new" + i));
      long t0 = System.nanoTime();
      long accepted = runOnce(system, fresh, inFlight);
      double openSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("new conversations per second (2 tagged events each): %.0f (%d in %.1f s)%n",
          accepted / openSeconds, accepted, openSeconds);
      long t1 = System.nanoTime();
      ReadModels readModels = ReadModels.start(system, store);
      await(readModels.ready());
      while (await(readModels.queries().countByStatus("bench", null)).get(Conversation.Status.ESCALATED)
          < accepted + conversations) {
        TimeUnit.MILLISECONDS.sleep(100);
      }
      double catchUp = (System.nanoTime() - t1) / 1e9;
      System.out.printf("read models caught up with %d tagged events in %.1f s: %.0f events projected per second%n",
          2 * (accepted + conversations), catchUp, 2 * (accepted + conversations) / catchUp);

      fill(system, withSnapshots, 1_000);
      system.terminate();
      await(system.getWhenTerminated());
      // The same 1,000 events without snapshots: a system whose snapshot interval is never reached.
      system = start(store, 1_000_000);
      fill(system, noSnapshots, 1_000);
    } finally {
      system.terminate();
      await(system.getWhenTerminated());
    }
    System.out.printf("recovery of a conversation with 1,000 events, with snapshots every 100: %s%n",
        recoveryMillis(store, withSnapshots, 100));
    System.out.printf("recovery of a conversation with 1,000 events, without snapshots:       %s%n",
        recoveryMillis(store, noSnapshots, 1_000_000));
  }

  private static ActorSystem<Void> start(StoreSettings store, int snapshotEvery) throws InterruptedException {
    ActorSystem<Void> system = Bench.start(store, "switchboard.core.snapshot-every = " + snapshotEvery);
    RouterCore.init(system);
    return system;
  }

  /** Inbound messages on the conversations, {@code inFlight} at a time, for {@code duration}; returns how many were stored. */
  private static long run(ActorSystem<Void> system, List<String> ids, int inFlight, Duration duration) {
    ClusterSharding sharding = ClusterSharding.get(system);
    long end = System.nanoTime() + duration.toNanos();
    long[] seq = {0};
    return await(Source.repeat(0)
        .takeWhile(x -> System.nanoTime() < end)
        .map(x -> ids.get((int) (seq[0]++ % ids.size())))
        .mapAsyncUnordered(inFlight, id -> sharding.entityRefFor(Conversation.ENTITY_TYPE_KEY, id)
            .<Outcome>ask(r -> new Conversation.Inbound("m" + System.nanoTime(), "benchmark message",
                RoutingHint.toTeam("bench/void"), r), ASK))
        .filter(Outcome::ok)
        .runWith(Sink.fold(0L, (n, o) -> n + 1), system));
  }

  /** One inbound message to each conversation, {@code inFlight} at a time; returns how many were stored. */
  private static long runOnce(ActorSystem<Void> system, List<String> ids, int inFlight) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return await(Source.from(ids)
        .mapAsyncUnordered(inFlight, id -> sharding.entityRefFor(Conversation.ENTITY_TYPE_KEY, id)
            .<Outcome>ask(r -> new Conversation.Inbound("m" + System.nanoTime(), "benchmark message",
                RoutingHint.toTeam("bench/void"), r), ASK))
        .filter(Outcome::ok)
        .runWith(Sink.fold(0L, (n, o) -> n + 1), system));
  }

  private static void fill(ActorSystem<Void> system, String id, int events) {
    ClusterSharding sharding = ClusterSharding.get(system);
    for (int i = 0; i < events; i++) {
      int n = i;
      Outcome o = await(sharding.entityRefFor(Conversation.ENTITY_TYPE_KEY, id).<Outcome>ask(r ->
          new Conversation.Inbound("fill-" + n, "message " + n, RoutingHint.toTeam("bench/void"), r), ASK));
      if (!o.ok()) throw new IllegalStateException("fill refused: " + o);
    }
  }

  /** Median of 5 recoveries, each in a fresh actor system: time from the first message to its answer. */
  private static String recoveryMillis(StoreSettings store, String id, int snapshotEvery) throws Exception {
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ActorSystem<Void> system = start(store, snapshotEvery);
      try {
        // Warm up sharding (coordinator, region, shard allocation) on another entity: only recovery is timed.
        await(ClusterSharding.get(system).entityRefFor(Team.ENTITY_TYPE_KEY, "bench/void")
            .<Team.View>ask(Team.Get::new, ASK));
        long t0 = System.nanoTime();
        Conversation.View v = await(ClusterSharding.get(system).entityRefFor(Conversation.ENTITY_TYPE_KEY, id)
            .<Conversation.View>ask(Conversation.Get::new, ASK));
        ms.add((System.nanoTime() - t0) / 1e6);
        if (v.state().contact().messages() < 1_000) throw new IllegalStateException(id + " recovered " + v.state().contact().messages());
      } finally {
        system.terminate();
        await(system.getWhenTerminated());
      }
    }
    List<Double> sorted = ms.stream().sorted().toList();
    return String.format("median %.0f ms (runs: %s)", sorted.get(2),
        ms.stream().map(d -> String.format("%.0f", d)).toList());
  }

  private static <T> T await(CompletionStage<T> stage) {
    return Bench.await(stage);
  }

}

package io.switchboard.loadtest;

import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.RouterCore;
import io.switchboard.RoutingObserver;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.conversation.Conversation;
import io.switchboard.persistence.StoreSettings;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The routing core's figures without HTTP, on a real store (argument 2: {@code h2} or
 * {@code postgres}, as {@link StoreBenchmark}):
 * <ul>
 *   <li>{@code routing}: new conversations routed per second end to end through the entities
 *       (inbound stored, team decides, agent reserves, conversation assigns), with the latency from
 *       the opening message to the assignment as the core reports it; {@code -Dbench.teams} teams
 *       (each team is one single-writer actor, so its decisions are sequential), agents with room;
 *   <li>{@code timers}: {@code -Dbench.timers} conversations assigned with a reply window
 *       ({@code -Dbench.window}, seconds) that nobody answers; how late each window's expiry fires
 *       (its escalation observed versus assignment + window), with all of them live at once.
 * </ul>
 * A benchmark, not a test: run it by hand (README, "Benchmarks"). Warm-up first, then measure.
 */
public final class CoreBenchmark {
  private static final Duration ASK = Duration.ofSeconds(60);

  /** What the core reports, timed on arrival (the observer runs inside the entities: stay cheap). */
  static final class Recorder implements RoutingObserver {
    final AtomicLong assigned = new AtomicLong();
    final ConcurrentLinkedQueue<Long> routingMicros = new ConcurrentLinkedQueue<>();
    final Map<String, Long> assignedAtNanos = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<Long> lateMillis = new ConcurrentLinkedQueue<>();
    volatile long windowNanos;
    volatile boolean recordLatency;

    @Override
    public void assigned(String conversationId, String agentId, String teamId, Duration waited) {
      assigned.incrementAndGet();
      if (recordLatency) routingMicros.add(waited.toNanos() / 1_000);
      if (windowNanos > 0) assignedAtNanos.put(conversationId, System.nanoTime());
    }

    @Override
    public void escalated(String conversationId, String fromAgent, String supervisor, String toTeam, String reason) {
      Long at = assignedAtNanos.get(conversationId);
      if (at != null && reason != null && reason.startsWith("reply_window_lapsed")) {
        lateMillis.add((System.nanoTime() - at - windowNanos) / 1_000_000);
      }
    }
  }

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "routing";
    String kind = args.length > 1 ? args[1] : "h2";
    StoreSettings store = Bench.freshStore(kind, "corebench");
    Recorder rec = new Recorder();
    ActorSystem<Void> system = Bench.start(store, "switchboard.core.redelivery-interval = 3s");
    RouterCore.init(system, Clock.systemUTC(), rec);
    try {
      System.out.printf("store: %s; mode %s; %d cores%n", store.describe(), mode,
          Runtime.getRuntime().availableProcessors());
      if (mode.equals("routing")) routing(system, rec);
      else if (mode.equals("timers")) timers(system, rec);
      else throw new IllegalArgumentException("mode is routing or timers, not " + mode);
    } finally {
      Bench.stop(system);
    }
  }

  private static void routing(ActorSystem<Void> system, Recorder rec) throws Exception {
    int teams = Integer.getInteger("bench.teams", 4);
    int agentsPerTeam = Integer.getInteger("bench.agents", 10);
    int warmup = Integer.getInteger("bench.warmup", 20_000);
    int measured = Integer.getInteger("bench.conversations", 40_000);
    int inFlight = Integer.getInteger("bench.in-flight", 256);
    List<String> teamIds = setUp(system, teams, agentsPerTeam, 1_000_000, Duration.ZERO, 3);
    System.out.printf("%d teams x %d agents; warm-up %d conversations, then %d, %d in flight%n", teams, agentsPerTeam,
        warmup, measured, inFlight);
    send(system, "w", warmup, teamIds, inFlight);
    waitFor(rec.assigned, warmup);
    rec.assigned.set(0);
    rec.recordLatency = true;
    long t0 = System.nanoTime();
    long stored = send(system, "m", measured, teamIds, inFlight);
    double storedSeconds = (System.nanoTime() - t0) / 1e9;
    waitFor(rec.assigned, measured);
    double seconds = (System.nanoTime() - t0) / 1e9;
    long[] lat = rec.routingMicros.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf("new conversations stored: %.0f/s; routed (assigned): %.0f/s (%d in %.1f s)%n",
        stored / storedSeconds, measured / seconds, measured, seconds);
    System.out.printf("opening message -> assigned: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms%n",
        pct(lat, 50) / 1e3, pct(lat, 95) / 1e3, pct(lat, 99) / 1e3, lat.length == 0 ? 0 : lat[lat.length - 1] / 1e3);
  }

  private static void timers(ActorSystem<Void> system, Recorder rec) throws Exception {
    int n = Integer.getInteger("bench.timers", 100_000);
    int agents = Integer.getInteger("bench.agents", 100);
    Duration window = Duration.ofSeconds(Integer.getInteger("bench.window", 180));
    int inFlight = Integer.getInteger("bench.in-flight", 256);
    rec.windowNanos = window.toNanos();
    List<String> teamIds = setUp(system, 4, agents / 4, n / agents + 10, window, 0);
    System.out.printf("%d conversations, reply window %s nobody answers, %d agents%n", n, window, agents);
    long t0 = System.nanoTime();
    send(system, "t", n, teamIds, inFlight);
    waitFor(rec.assigned, n);
    double setup = (System.nanoTime() - t0) / 1e9;
    System.out.printf("all %d assigned in %.1f s (%.0f/s): %d reply windows live%n", n, setup, n / setup, n);
    long deadline = System.nanoTime() + window.toNanos() + TimeUnit.MINUTES.toNanos(5);
    while (rec.lateMillis.size() < n && System.nanoTime() < deadline) TimeUnit.MILLISECONDS.sleep(200);
    long[] late = rec.lateMillis.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf("expiries observed: %d of %d; lateness p50 %d ms, p99 %d ms, max %d ms (negative = early by "
        + "clock skew of the measurement)%n", late.length, n, pct(late, 50), pct(late, 99),
        late.length == 0 ? 0 : late[late.length - 1]);
  }

  /** Teams of online agents with {@code capacity} each; returns the team ids. */
  private static List<String> setUp(ActorSystem<Void> system, int teams, int agentsPerTeam, int capacity,
      Duration replyWindow, int maxReroutes) throws InterruptedException {
    ClusterSharding sharding = ClusterSharding.get(system);
    List<String> teamIds = new ArrayList<>();
    for (int t = 0; t < teams; t++) {
      List<String> members = new ArrayList<>();
      for (int a = 0; a < agentsPerTeam; a++) {
        String agent = "bench/t" + t + "-a" + a;
        members.add(agent);
        ask(sharding.entityRefFor(Agent.ENTITY_TYPE_KEY, agent).ask(r -> new Agent.SetProfile(
            AgentProfile.withCapacity(capacity), r), ASK));
        ask(sharding.entityRefFor(Agent.ENTITY_TYPE_KEY, agent).ask(r -> new Agent.SetPresence(Presence.ONLINE, r), ASK));
      }
      String teamId = "bench/t" + t;
      TeamConfig config = TeamConfig.of(members, StrategyKind.ROUND_ROBIN, replyWindow)
          .withEscalation(null, maxReroutes);
      ask(sharding.entityRefFor(Team.ENTITY_TYPE_KEY, teamId).ask(r -> new Team.Configure(config, r), ASK));
      while (Bench.await(sharding.entityRefFor(Team.ENTITY_TYPE_KEY, teamId).<Team.View>ask(Team.Get::new, ASK))
          .members().values().stream().filter(m -> m.presence() == Presence.ONLINE).count() < agentsPerTeam) {
        TimeUnit.MILLISECONDS.sleep(50);
      }
      teamIds.add(teamId);
    }
    return teamIds;
  }

  /** {@code n} opening messages of new conversations spread over the teams; returns how many were stored. */
  private static long send(ActorSystem<Void> system, String prefix, int n, List<String> teams, int inFlight) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return Bench.await(Source.range(0, n - 1)
        .mapAsyncUnordered(inFlight, i -> sharding.entityRefFor(Conversation.ENTITY_TYPE_KEY,
                EntityIds.conversationId("bench", "whatsapp", prefix + i))
            .<Outcome>ask(r -> new Conversation.Inbound(prefix + "-m" + i, "hello",
                RoutingHint.toTeam(teams.get(i % teams.size())), r), ASK))
        .filter(Outcome::ok)
        .runWith(Sink.fold(0L, (c, o) -> c + 1), system));
  }

  private static void waitFor(AtomicLong counter, long n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (counter.get() < n && System.nanoTime() < deadline) TimeUnit.MILLISECONDS.sleep(20);
    if (counter.get() < n) throw new IllegalStateException("only " + counter.get() + " of " + n + " in 10 minutes");
  }

  private static void ask(java.util.concurrent.CompletionStage<Outcome> answer) {
    Outcome o = Bench.await(answer);
    if (!o.ok()) throw new IllegalStateException("set-up refused: " + o);
  }

  private static long pct(long[] sorted, double p) {
    if (sorted.length == 0) return 0;
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)];
  }

}

package io.switchboard.loadtest;

import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.RouterCore;
import io.switchboard.RoutingObserver;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.conversation.Conversation;
import io.switchboard.conversation.RerouteCause;
import io.switchboard.persistence.StoreSettings;
import io.switchboard.persistence.readmodel.ReadModels;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
 *       (opening message, team's choice, agent's reservation, message and assignment stored), with
 *       the latency from the message's arrival to the assignment as the core reports it;
 *       {@code -Dbench.teams} teams (each one single-writer actor), agents with room;
 *   <li>{@code timers}: {@code -Dbench.timers} conversations assigned with a reply window
 *       ({@code -Dbench.window}, seconds) that nobody answers; how late each window's expiry is
 *       observed (its escalation stored) after the deadline the conversation persisted, with all of them
 *       live at once. {@code -Dbench.lapse-rate} (per second; 0, the default: as fast as the node routes
 *       them) paces the opening messages, so that the windows lapse at that rate (the window then lasts
 *       the opening of all of them and a minute more, at least 180 s);
 *   <li>{@code heap}: {@code -Dbench.conversations} open conversations (assigned, reply window and
 *       service window running); heap in use after full collections, before and after, per open
 *       conversation (agents' holds included), and the top of the class histogram;
 *   <li>{@code restart}: see {@link RestartBenchmark}.
 * </ul>
 * {@code -Dbench.node=on} runs the entities as the gateway does: read models with the wake-up keeper,
 * idle conversations passivating after {@code -Dbench.passivate-after} (default 2m), agents and teams
 * remembered. Off (the default), nothing passivates and no projection runs.
 * A benchmark, not a test: run it by hand (README, "Benchmarks"). Warm-up first, then measure.
 */
public final class CoreBenchmark {
  static final Duration ASK = Duration.ofSeconds(60);

  /** What the core reports, timed on arrival (the observer runs inside the entities: stay cheap). */
  static final class Recorder implements RoutingObserver {
    final AtomicLong assigned = new AtomicLong();
    final AtomicLong lapsed = new AtomicLong();
    final ConcurrentLinkedQueue<Long> routingMicros = new ConcurrentLinkedQueue<>();
    /** When each reply window's lapse was stored (re-route or escalation), wall clock. */
    final Map<String, Instant> lapsedAt = new ConcurrentHashMap<>();
    volatile boolean recordLatency;

    @Override
    public void assigned(String conversationId, String agentId, String teamId, Duration waited) {
      assigned.incrementAndGet();
      if (recordLatency) routingMicros.add(waited.toNanos() / 1_000);
    }

    @Override
    public void rerouted(String conversationId, String fromAgent, String teamId, RerouteCause cause) {
      if (cause == RerouteCause.REPLY_WINDOW_LAPSED) lapse(conversationId);
    }

    @Override
    public void escalated(String conversationId, String fromAgent, String supervisor, String toTeam, String reason) {
      if (RerouteCause.ofReason(reason) == RerouteCause.REPLY_WINDOW_LAPSED) lapse(conversationId);
    }

    private void lapse(String conversationId) {
      if (lapsedAt.putIfAbsent(conversationId, Instant.now()) == null) lapsed.incrementAndGet();
    }
  }

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "routing";
    String kind = args.length > 1 ? args[1] : "h2";
    if (mode.startsWith("restart")) {
      RestartBenchmark.main(args);
      return;
    }
    boolean node = Boolean.parseBoolean(System.getProperty("bench.node", "false").replace("on", "true"));
    StoreSettings store = Bench.freshStore(kind, "corebench");
    Recorder rec = new Recorder();
    ActorSystem<Void> system = Bench.start(store, "switchboard.core.redelivery-interval = 3s\n" + (node ? Bench.node() : ""));
    RouterCore.init(system, Clock.systemUTC(), rec);
    if (node) Bench.await(ReadModels.start(system, store).ready());
    try {
      System.out.printf("store: %s; mode %s; node %s; %d cores; max heap %d MB%n", store.describe(), mode, node,
          Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
      switch (mode) {
        case "routing" -> routing(system, rec);
        case "timers" -> timers(system, rec);
        case "heap" -> heap(system, rec, node);
        default -> throw new IllegalArgumentException("mode is routing, timers, heap or restart, not " + mode);
      }
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
    List<String> teamIds = setUp(system, "t", teams, agentsPerTeam, (warmup + measured) / (teams * agentsPerTeam) + 10,
        Duration.ZERO, 3);
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
    int lapseRate = Integer.getInteger("bench.lapse-rate", 0);
    // paced: the windows are opened at lapse-rate per second, so they lapse at that rate; the window outlasts
    // the opening of all of them (a minute more), so that all are live at once
    int windowSeconds = Integer.getInteger("bench.window", lapseRate > 0 ? Math.max(180, n / lapseRate + 60) : 180);
    Duration window = Duration.ofSeconds(windowSeconds);
    int inFlight = Integer.getInteger("bench.in-flight", 256);
    List<String> teamIds = setUp(system, "t", 4, agents / 4, n / agents + 10, window, 0);
    System.out.printf("%d conversations, reply window %s nobody answers, %d agents, opened %s%n", n, window, agents,
        lapseRate > 0 ? "at " + lapseRate + "/s (lapsing at that rate)" : "as fast as the node routes them");
    long t0 = System.nanoTime();
    send(system, "t", 0, n, teamIds, inFlight, lapseRate);
    waitFor(rec.assigned, n);
    double setup = (System.nanoTime() - t0) / 1e9;
    System.out.printf("all %d assigned in %.1f s (%.0f/s): %d reply windows live%n", n, setup, n / setup, n);
    // each window's deadline as its conversation persisted it (asking does not move it)
    Map<String, Instant> deadlines = new ConcurrentHashMap<>();
    ClusterSharding sharding = ClusterSharding.get(system);
    Bench.await(Source.range(0, n - 1)
        .mapAsyncUnordered(inFlight, i -> sharding.entityRefFor(Conversation.ENTITY_TYPE_KEY, conversation("t", i))
            .<Conversation.View>ask(Conversation.Get::new, ASK))
        .runWith(Sink.foreach(v -> {
          if (v.state().replyDeadline() != null) deadlines.put(v.conversationId(), v.state().replyDeadline());
        }), system));
    Instant first = deadlines.values().stream().min(Instant::compareTo).orElseThrow();
    System.out.printf("deadlines read: %d; the first is due in %d ms, %d lapsed already%n", deadlines.size(),
        Duration.between(Instant.now(), first).toMillis(), rec.lapsed.get());
    long until = System.nanoTime() + window.toNanos() + TimeUnit.MINUTES.toNanos(5);
    while (rec.lapsed.get() < n && System.nanoTime() < until) TimeUnit.MILLISECONDS.sleep(200);
    long[] late = deadlines.entrySet().stream().filter(e -> rec.lapsedAt.containsKey(e.getKey()))
        .mapToLong(e -> Duration.between(e.getValue(), rec.lapsedAt.get(e.getKey())).toMillis()).sorted().toArray();
    System.out.printf("expiries observed: %d of %d; lateness after the persisted deadline p50 %d ms, p95 %d ms, "
        + "p99 %d ms, max %d ms%n", late.length, n, pct(late, 50), pct(late, 95), pct(late, 99),
        late.length == 0 ? 0 : late[late.length - 1]);
    // the rate the deadlines fell due at (first to last deadline), and the rate their lapses were stored at
    Instant lastDeadline = deadlines.values().stream().max(Instant::compareTo).orElseThrow();
    Instant firstLapse = rec.lapsedAt.values().stream().min(Instant::compareTo).orElse(first);
    Instant lastLapse = rec.lapsedAt.values().stream().max(Instant::compareTo).orElse(first);
    System.out.printf("deadlines fell due at %.0f/s (over %.1f s); lapses stored at %.0f/s (over %.1f s)%n",
        n / Math.max(1e-3, Duration.between(first, lastDeadline).toMillis() / 1e3),
        Duration.between(first, lastDeadline).toMillis() / 1e3,
        late.length / Math.max(1e-3, Duration.between(firstLapse, lastLapse).toMillis() / 1e3),
        Duration.between(firstLapse, lastLapse).toMillis() / 1e3);
  }

  private static void heap(ActorSystem<Void> system, Recorder rec, boolean node) throws Exception {
    int n = Integer.getInteger("bench.conversations", 1_000_000);
    int agents = Integer.getInteger("bench.agents", 1000);
    int teams = Integer.getInteger("bench.teams", 10);
    int inFlight = Integer.getInteger("bench.in-flight", 256);
    List<String> teamIds = setUp(system, "t", teams, agents / teams, n / agents + 10, Duration.ofHours(2), 3);
    long before = Bench.usedHeapAfterGc();
    System.out.printf("%d teams x %d agents set up; heap in use %d MB; opening %d conversations%n", teams,
        agents / teams, before >> 20, n);
    long t0 = System.nanoTime();
    send(system, "h", n, teamIds, inFlight);
    waitFor(rec.assigned, n);
    double seconds = (System.nanoTime() - t0) / 1e9;
    int running = Bench.runningConversations(system);
    System.out.printf("%d open conversations (assigned, reply windows of 2 h running) in %.0f s (%.0f/s); %d running%n",
        n, seconds, n / seconds, running);
    if (node) { // idle ones stop after passivate-after; wait until that happened to (nearly) all
      long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
      while ((running = Bench.runningConversations(system)) > n / 100 && System.nanoTime() < until) {
        TimeUnit.SECONDS.sleep(5);
      }
      System.out.printf("after passivation: %d conversations running%n", running);
    }
    long after = Bench.usedHeapAfterGc();
    System.out.printf("heap in use %d MB; per open conversation %.0f bytes (%d running, timers included)%n", after >> 20,
        (after - before) / (double) n, running);
    System.out.println(Bench.histogram(Integer.getInteger("bench.histogram", 15)));
    String dump = System.getProperty("bench.heap-dump");
    if (dump != null) { // live objects only, for a heap analyser (hprof)
      java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
          .dumpHeap(dump, true);
      System.out.println("heap dump: " + dump);
    }
  }

  static String conversation(String prefix, int i) {
    return EntityIds.conversationId("bench", "whatsapp", prefix + i);
  }

  /** Teams {@code prefix0..} of online agents with {@code capacity} each; returns the team ids. */
  static List<String> setUp(ActorSystem<?> system, String prefix, int teams, int agentsPerTeam, int capacity,
      Duration replyWindow, int maxReroutes) throws InterruptedException {
    ClusterSharding sharding = ClusterSharding.get(system);
    List<String> teamIds = new ArrayList<>();
    for (int t = 0; t < teams; t++) {
      List<String> members = new ArrayList<>();
      for (int a = 0; a < agentsPerTeam; a++) {
        String agent = "bench/" + prefix + t + "-a" + a;
        members.add(agent);
        ask(sharding.entityRefFor(Agent.ENTITY_TYPE_KEY, agent).ask(r -> new Agent.SetProfile(
            AgentProfile.withCapacity(capacity), r), ASK));
        ask(sharding.entityRefFor(Agent.ENTITY_TYPE_KEY, agent).ask(r -> new Agent.SetPresence(Presence.ONLINE, r), ASK));
      }
      String teamId = "bench/" + prefix + t;
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
  static long send(ActorSystem<?> system, String prefix, int n, List<String> teams, int inFlight) {
    return send(system, prefix, 0, n, teams, inFlight);
  }

  /** Conversations {@code prefix<from>..prefix<from+n-1>}. */
  static long send(ActorSystem<?> system, String prefix, int from, int n, List<String> teams, int inFlight) {
    return send(system, prefix, from, n, teams, inFlight, 0);
  }

  /** The same, at most {@code perSecond} opening messages a second (0: as fast as they are answered). */
  static long send(ActorSystem<?> system, String prefix, int from, int n, List<String> teams, int inFlight,
      int perSecond) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Source<Integer, ?> ids = Source.range(from, from + n - 1);
    if (perSecond > 0) ids = ids.throttle(perSecond, Duration.ofSeconds(1));
    return Bench.await(ids
        .mapAsyncUnordered(inFlight, i -> sharding.entityRefFor(Conversation.ENTITY_TYPE_KEY, conversation(prefix, i))
            .<Outcome>ask(r -> new Conversation.Inbound(prefix + "-m" + i, "hello",
                RoutingHint.toTeam(teams.get(i % teams.size())), r), ASK))
        .filter(Outcome::ok)
        .runWith(Sink.fold(0L, (c, o) -> c + 1), system), Duration.ofHours(2));
  }

  /** Waits until {@code counter} reaches {@code n}; fails when it stopped moving for two minutes. */
  static void waitFor(AtomicLong counter, long n) throws InterruptedException {
    long last = counter.get();
    long movedAt = System.nanoTime();
    while (counter.get() < n) {
      TimeUnit.MILLISECONDS.sleep(20);
      long now = counter.get();
      if (now != last) {
        last = now;
        movedAt = System.nanoTime();
      } else if (System.nanoTime() - movedAt > TimeUnit.MINUTES.toNanos(2)) {
        throw new IllegalStateException("only " + now + " of " + n + ", nothing moved for two minutes");
      }
    }
  }

  private static void ask(java.util.concurrent.CompletionStage<Outcome> answer) {
    Outcome o = Bench.await(answer);
    if (!o.ok()) throw new IllegalStateException("set-up refused: " + o);
  }

  static long pct(long[] sorted, double p) {
    if (sorted.length == 0) return 0;
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)];
  }
}

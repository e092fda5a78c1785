package io.switchboard.gateway.fault;

import static io.switchboard.gateway.fault.FaultRun.AGENTS;
import static io.switchboard.gateway.fault.FaultRun.DESK;
import static io.switchboard.gateway.fault.FaultRun.TENANT;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.gateway.fault.Api.Result;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The cluster run: three real nodes ({@code switchboard.jar}, {@link Node}) forming one cluster on one
 * PostgreSQL schema, each listing all three as seed nodes; customers' messages and agents' replies and
 * resolves spread round robin over the three nodes' HTTP ports (a load balancer that does not know a node
 * died: requests to a dead node are refused). Mode {@code KILL}: one node gets {@code kill -9} a third of
 * the way through the messages, and is started again once the dead node's conversations route again (or
 * after 90 s); mode {@code ROLLING}: each node in turn gets SIGTERM, is started again and is waited for
 * until ready. Same tenant, same checks as the single-node fault test ({@link Checks}): acknowledged
 * writes, reply windows armed before a stop, capacity, single assignment.
 *
 * <p>It prints one {@code CLUSTER} line per run. "Route again": a set of probe conversations, created before
 * the stop and spread over the shards, each sent a follow-up every 250 ms through the survivors from the
 * signal until one is acknowledged; the time of the last probe's first 202 after the signal (the probes whose
 * entities lived on the stopped node are the slow ones). Reply windows of the quiet team armed before a stop
 * are left untouched until the traffic is over (so that the wake-up keeper, not a query, starts them), then
 * read: late by (re-route time from the view) minus (deadline).
 */
public final class ClusterRun {
  public enum Mode { KILL, ROLLING }

  /**
   * @param victim the node killed in {@code KILL} mode (1 = the first, oldest: the singletons and coordinators)
   */
  public record Settings(Mode mode, int victim, int messages, int customers, Path jar, Path workDir,
      List<String> jvmOptions, String pgUrl, long seed) {
    public static Settings of(Mode mode, int victim, int messages, Path jar, Path workDir) {
      return new Settings(mode, victim, messages, 6, jar, workDir,
          List.of("-Xms256m", "-Xmx512m", "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2"),
          System.getenv().getOrDefault("SWITCHBOARD_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/switchboard_test"),
          System.nanoTime());
    }

    public Settings withJvmOptions(List<String> options) {
      return new Settings(mode, victim, messages, customers, jar, workDir, List.copyOf(options), pgUrl, seed);
    }

    public Settings withCustomers(int n) {
      return new Settings(mode, victim, messages, n, jar, workDir, jvmOptions, pgUrl, seed);
    }
  }

  /** The run's figures; {@link #line()} is its summary. */
  public record Report(Settings settings, long acked, long lost, int doubleAssignments, int overshoots,
      int windowsArmed, int windowsFired, long maxLateMs, String failures, List<String> routeAgain,
      List<String> stops, List<String> violations, Path dir) {
    public String line() {
      return String.format("CLUSTER mode=%s%s acknowledged=%d lost=%d double_assignments=%d overshoots=%d "
              + "deadlines_armed_on_stopped=%d fired=%d late_max=%.1fs %s route_again=%s stops=%s violations=%d",
          settings.mode().name().toLowerCase(), settings.mode() == Mode.KILL ? " victim=node" + settings.victim() : "",
          acked, lost, doubleAssignments, overshoots, windowsArmed, windowsFired, maxLateMs / 1000.0, failures,
          routeAgain, stops, violations.size());
    }
  }

  private static final int NODES = 3;
  private static final int PROBES = 40;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration READY_WITHIN = Duration.ofMinutes(3);
  private static final Duration ROUTE_AGAIN_WITHIN = Duration.ofSeconds(90);

  /** One slot of the cluster: its ports stay, its process changes at each restart. */
  private static final class Slot {
    final int number;
    final int port = Node.freePort();
    final int clusterPort = Node.freePort();
    volatile Node node;
    /** false from the stop signal until the new process is ready: traffic skips it (except the balancer's share) */
    volatile boolean up;
    int incarnation;

    Slot(int number) {
      this.number = number;
    }

    String base() {
      return "http://127.0.0.1:" + port;
    }
  }

  private final Settings s;
  private final Path dir;
  private final String apiKey = FaultRun.newApiKey();
  private final String schema = "cluster_" + Long.toUnsignedString(System.nanoTime(), 36);
  private final Api api = new Api(apiKey, REQUEST_TIMEOUT);
  private final ConnectorStub connector = new ConnectorStub();
  private final Map<String, Contact> contacts = new ConcurrentHashMap<>();
  private final List<Contact> followable = new ArrayList<>();
  private final AtomicInteger nextContact = new AtomicInteger();
  private final AtomicInteger attempted = new AtomicInteger();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicInteger overshoots = new AtomicInteger();
  private final AtomicInteger balancer = new AtomicInteger();
  private final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
  private final List<Slot> slots = new ArrayList<>();
  private final List<Node> allNodes = java.util.Collections.synchronizedList(new ArrayList<>());
  private final Checks checks = new Checks(api, contacts, violations, overshoots);
  /** failed requests: per node, per kind ("503-retry-after", "503", "5xx", "refused", ...) */
  private final Map<String, AtomicInteger> failed = new ConcurrentHashMap<>();
  /** slow 503s (an ask time-out), per kind of request: message, reply, resolve, agent_view */
  private final Map<String, Integer> slowByRequest = new java.util.concurrent.ConcurrentSkipListMap<>();
  /** first and last failure (nanos), per node and kind */
  private final Map<String, AtomicLongArray> failedWindow = new ConcurrentHashMap<>();
  private final Map<String, Checks.Before> armed = new ConcurrentHashMap<>();
  private final long t0 = System.nanoTime();
  private volatile long firstSignal;
  private volatile boolean trafficOver;

  private ClusterRun(Settings s) {
    this.s = s;
    try {
      this.dir = Files.createDirectories(s.workDir().resolve(s.mode().name().toLowerCase() + "-"
          + Long.toUnsignedString(System.currentTimeMillis(), 36)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Report run(Settings settings) {
    return new ClusterRun(settings).execute();
  }

  private Report execute() {
    ExecutorService clients = Executors.newFixedThreadPool(s.customers(), daemon("cluster-customer"));
    ScheduledExecutorService agents = Executors.newScheduledThreadPool(2, daemon("cluster-agent"));
    List<String> routeAgain = new ArrayList<>();
    List<String> stops = new ArrayList<>();
    long lost = 0;
    int[] consistency = {0, 0};
    int[] fired = {0};
    long[] late = {0};
    try {
      ensureDatabase();
      Map<String, String> env = environment();
      log("%s; logs in %s", s, dir);
      for (int i = 1; i <= NODES; i++) slots.add(new Slot(i));
      // the first alone (it forms the cluster; concurrent schema creation on an empty database is issue 13's
      // finding 1, not measured here), then the two others at once
      start(slots.get(0), env);
      awaitReady(slots.get(0));
      start(slots.get(1), env);
      start(slots.get(2), env);
      awaitReady(slots.get(1));
      awaitReady(slots.get(2));
      awaitMembers(NODES);
      log("three nodes up, %.1f s after the first start", (System.nanoTime() - t0) / 1e9);
      List<Contact> probes = createProbes();
      List<Future<?>> senders = new ArrayList<>();
      for (int i = 0; i < s.customers(); i++) {
        int n = i;
        senders.add(clients.submit(() -> customer(new Random(s.seed() + n))));
      }
      for (int i = 0; i < 2; i++) {
        int n = i;
        Random rnd = new Random(s.seed() - n - 1);
        AtomicInteger next = new AtomicInteger(n * 4);
        agents.scheduleWithFixedDelay(() -> agentTick(AGENTS.get(next.getAndIncrement() % AGENTS.size()), rnd),
            0, 15, TimeUnit.MILLISECONDS);
      }
      if (s.mode() == Mode.KILL) {
        awaitAcked(s.messages() / 3);
        Slot victim = slots.get(s.victim() - 1);
        captureArmed(victim);
        stops.add(String.format("node%d:kill@+%.1fs", victim.number, (System.nanoTime() - t0) / 1e9));
        long at = signal(victim, true, probes, routeAgain);
        startAgain(victim, env, stops, at);
      } else {
        for (Slot slot : slots) {
          awaitAcked(acked.get() + s.messages() / 6);
          captureArmed(slot);
          stops.add(String.format("node%d:term@+%.1fs", slot.number, (System.nanoTime() - t0) / 1e9));
          long at = signal(slot, false, probes, routeAgain);
          startAgain(slot, env, stops, at);
        }
      }
      for (Future<?> f : senders) f.get(30, TimeUnit.MINUTES);
      trafficOver = true;
      agents.shutdown();
      agents.awaitTermination(1, TimeUnit.MINUTES);
      Slot reader = slots.get(0);
      late[0] = windowsFired(reader, fired);
      lost = checks.durability(reader.node, "the end")[0];
      consistency = checks.consistency(reader.node);
    } catch (Exception e) {
      violations.add("the run failed: " + e);
      log("the run failed: %s", e);
    } finally {
      trafficOver = true;
      clients.shutdownNow();
      agents.shutdownNow();
      allNodes.forEach(Node::destroy);
      connector.close();
      api.close();
      dropSchema();
    }
    Report r = new Report(s, acked.get(), lost, consistency[0], overshoots.get(), armed.size(), fired[0], late[0],
        failures(), routeAgain, stops, List.copyOf(violations), dir);
    System.out.println(r.line());
    if (!r.violations().isEmpty()) {
      r.violations().stream().limit(30).forEach(v -> System.out.println("VIOLATION " + v));
    }
    return r;
  }

  // ---- nodes ----

  private Map<String, String> environment() throws IOException {
    Map<String, String> env = new HashMap<>();
    Path bootstrap = dir.resolve("bootstrap.json");
    Files.writeString(bootstrap, FaultRun.bootstrapFile(apiKey), StandardCharsets.UTF_8);
    // the node's own logging and sharding's (WARN: hand-offs that dropped messages, coordinator writes that timed
    // out), and what the cluster did (joins, leaves, downing, singletons) at INFO
    Files.writeString(dir.resolve("logback.xml"), """
        <configuration>
          <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>
          </appender>
          <logger name="org.apache.pekko.cluster.sharding" level="WARN"/>
          <logger name="org.apache.pekko.cluster.Cluster" level="INFO"/>
          <logger name="org.apache.pekko.cluster.sbr" level="INFO"/>
          <logger name="org.apache.pekko.cluster.singleton" level="INFO"/>
          <root level="WARN"><appender-ref ref="STDOUT"/></root>
        </configuration>
        """, StandardCharsets.UTF_8);
    env.put("SWITCHBOARD_BOOTSTRAP", bootstrap.toString());
    env.put("SWITCHBOARD_CONNECTOR_URL", connector.url());
    env.put("SWITCHBOARD_STORE", "postgres");
    env.put("SWITCHBOARD_PG_URL", s.pgUrl());
    env.put("SWITCHBOARD_PG_SCHEMA", schema);
    // one key of the tenants' secrets for every node (what one seals, the others open), as in production
    env.put("SWITCHBOARD_SECRETS_KEY", FaultRun.newSecretsKey());
    // three nodes on one PostgreSQL (100 connections here, shared): fewer connections each than one node's default
    env.put("SWITCHBOARD_DB_POOL_SIZE", "6");
    env.put("SWITCHBOARD_READ_POOL_SIZE", "2");
    return env;
  }

  private void start(Slot slot, Map<String, String> env) {
    List<String> jvm = new ArrayList<>(s.jvmOptions());
    if (jvm.stream().noneMatch(o -> o.startsWith("-Dlogback.configurationFile="))) { // else the caller's (e.g. DEBUG)
      jvm.add("-Dlogback.configurationFile=" + dir.resolve("logback.xml").toAbsolutePath());
    }
    // Every node lists all three in the same order, as README's commands do. Only the first of the list may join
    // itself (forming a new cluster) when no other seed answers within seed-node-timeout: node 1 at its first
    // start. A restarted node 1 did that when its peers answered late (5 s then, 15 s now: a second cluster on
    // the same database, acknowledged messages lost); -Dbench.restart-seeds-last=true lists a restarted node last.
    List<Slot> order = new ArrayList<>(slots);
    if (slot.incarnation > 0 && Boolean.getBoolean("bench.restart-seeds-last")) {
      order.remove(slot);
      order.add(slot);
    }
    String seeds = String.join(",", order.stream().map(sl -> "pekko://switchboard@127.0.0.1:" + sl.clusterPort).toList());
    slot.incarnation++;
    // Every node's first start applies the bootstrap file, as README's commands do: nodes 2 and 3 while the
    // shards rebalance towards them (Bootstrap asks each step again when an ask is dropped in a hand-off; before,
    // both stopped with "bootstrap ... failed" at load average 11-15). A restart does not apply it again.
    Map<String, String> own = new HashMap<>(env);
    own.put("SWITCHBOARD_SEED_NODES", seeds);
    if (slot.incarnation != 1) own.remove("SWITCHBOARD_BOOTSTRAP");
    Node n = Node.start(slot.number, "node-" + slot.number + "-" + slot.incarnation, s.jar(), jvm, own, dir,
        slot.port, slot.clusterPort);
    allNodes.add(n);
    slot.node = n;
  }

  private void awaitReady(Slot slot) {
    Node node = slot.node;
    try {
      Awaitility.await("node " + slot.number + " ready").atMost(READY_WITHIN).pollInterval(Duration.ofMillis(100))
          .until(() -> {
            if (!node.alive()) throw new IllegalStateException("node " + slot.number + " exited:\n" + node.tail(30));
            return api.get(slot.base(), "/health/ready").status() == 200;
          });
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException("node " + slot.number + " not ready within " + READY_WITHIN + ":\n"
          + node.tail(30), e);
    }
    slot.up = true;
  }

  /** Waits until the bootstrap's tenant answers on every node (authentication goes through the cluster). */
  private void awaitMembers(int n) {
    Awaitility.await("tenant answered on every node").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
        .until(() -> slots.stream().allMatch(sl -> api.get(sl.base(), "/v1/tenants/" + TENANT + "/agents/d1").ok()));
  }

  /**
   * SIGKILL or SIGTERM, the probes sent from that instant on while the process exits; returns, once the process
   * is gone and the probes routed again (or {@link #ROUTE_AGAIN_WITHIN} passed), when the signal was sent (nanos).
   */
  private long signal(Slot slot, boolean kill, List<Contact> probes, List<String> routeAgain) throws Exception {
    slot.up = false;
    long at = System.nanoTime();
    if (firstSignal == 0) firstSignal = at;
    java.util.concurrent.CompletableFuture<String> probing =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> routeAgain(slot, probes, at));
    if (kill) {
      slot.node.kill();
    } else {
      Duration took = slot.node.term(Duration.ofSeconds(30));
      if (took == null) violations.add("node " + slot.number + " did not exit within 30 s of SIGTERM");
      else log("node %d exited %.1f s after SIGTERM", slot.number, took.toMillis() / 1000.0);
    }
    routeAgain.add(probing.get(ROUTE_AGAIN_WITHIN.toSeconds() + 30, TimeUnit.SECONDS));
    return at;
  }

  private void startAgain(Slot slot, Map<String, String> env, List<String> stops, long signalAt) {
    start(slot, env);
    awaitReady(slot);
    stops.add(String.format("node%d:ready+%.1fs", slot.number, (System.nanoTime() - signalAt) / 1e9));
    log("node %d ready again %.1f s after its stop signal", slot.number, (System.nanoTime() - signalAt) / 1e9);
  }

  private List<Slot> upSlots() {
    return slots.stream().filter(sl -> sl.up).toList();
  }

  // ---- probes: when do the stopped node's conversations route again ----

  /** Follow-ups of one probe unanswered at once while it waits to route again (a 5 s ask timeout / 250 ms). */
  private static final int PROBE_OVERLAP = 20;

  private List<Contact> createProbes() {
    List<Contact> probes = new ArrayList<>();
    for (int i = 0; i < PROBES; i++) {
      Contact c = new Contact("probe" + i, false);
      // busy for good: neither customers nor agents touch a probe
      contacts.put(c.key, c);
      Awaitility.await("probe " + i).atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
          .until(() -> send(c, slots.get(c.id.hashCode() & 1).base()).status() == 202);
      probes.add(c);
    }
    return probes;
  }

  /** The probe's next message (one at a time per probe). */
  private static Map<String, Object> probeBody(Contact c) {
    int n = ++c.sent;
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("channel", "webchat");
    body.put("contact", c.id);
    body.put("messageId", c.id + "-" + n);
    body.put("text", "message " + n + " of " + c.id);
    return body;
  }

  private Result send(Contact c, String base) {
    Result r = api.post(base, "/v1/tenants/" + TENANT + "/messages", probeBody(c));
    if (r.status() == 202) {
      c.acked++;
      acked.incrementAndGet();
    }
    return r;
  }

  /**
   * Sends each probe a follow-up through the nodes still up every 250 ms, without waiting for the previous
   * one (at most {@link #PROBE_OVERLAP} unanswered per probe), until each is acknowledged once; a probe's
   * time is when its first 202 came. A request sent to a shard of the dead node before the node was removed
   * is lost there and answers 503 only after the ask timeout (5 s): waiting for it before sending the next
   * would measure that timeout, not when the conversation can route again.
   */
  private String routeAgain(Slot stopped, List<Contact> probes, long signalAt) {
    Map<String, Double> firstOk = new ConcurrentHashMap<>();
    Map<String, Integer> inFlight = new ConcurrentHashMap<>();
    long until = signalAt + ROUTE_AGAIN_WITHIN.toNanos();
    while (firstOk.size() < probes.size() && System.nanoTime() < until) {
      List<Slot> up = upSlots();
      for (Contact c : probes) {
        if (firstOk.containsKey(c.id) || up.isEmpty() || inFlight.getOrDefault(c.id, 0) >= PROBE_OVERLAP) continue;
        inFlight.merge(c.id, 1, Integer::sum);
        Slot via = up.get(Math.floorMod(c.id.hashCode() + balancer.incrementAndGet(), up.size()));
        api.async("POST", via.base(), "/v1/tenants/" + TENANT + "/messages", probeBody(c)).thenAccept(r -> {
          if (r.status() == 202) {
            synchronized (c) {
              c.acked++;
            }
            acked.incrementAndGet();
            firstOk.putIfAbsent(c.id, (System.nanoTime() - signalAt) / 1e9);
          }
          inFlight.merge(c.id, -1, (x, y) -> x + y == 0 ? null : x + y);
        });
      }
      sleepQuietly(250);
    }
    Awaitility.await("probes in flight").atMost(REQUEST_TIMEOUT.multipliedBy(2)).pollInterval(Duration.ofMillis(50))
        .until(inFlight::isEmpty);
    double max = firstOk.values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    long slow = firstOk.values().stream().filter(v -> v > 1.0).count();
    String figure = String.format("node%d:%s(%d/%d probes,%d>1s)", stopped.number,
        firstOk.size() < probes.size() ? "never" : String.format("%.1fs", max), firstOk.size(), probes.size(), slow);
    log("route again after the stop of node %d: %s", stopped.number, figure);
    return figure;
  }

  // ---- reply windows ----

  /** The quiet team's reply windows running now whose conversation's entity the stopping node may hold. */
  private void captureArmed(Slot slot) {
    Slot via = upSlots().stream().filter(sl -> sl != slot).findFirst().orElse(slot);
    Instant now = Instant.now();
    checks.armedWindows(via.node).forEach((k, b) -> {
      if (b.deadline().isAfter(now)) armed.putIfAbsent(k, b);
    });
  }

  /** Once traffic is over: each armed window lapsed, and how late (from the views' times); the max in ms. */
  private long windowsFired(Slot reader, int[] fired) {
    Map<String, Long> lateMs = new ConcurrentHashMap<>();
    try {
      Awaitility.await("reply windows armed before the stops").atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500)).pollDelay(Duration.ZERO).until(() -> {
            Set<String> todo = armed.keySet().stream().filter(k -> !lateMs.containsKey(k)).collect(Collectors.toSet());
            checks.viewsOnce(reader.node, todo).forEach((k, v) -> {
              JsonNode b = v.body();
              Checks.Before before = armed.get(k);
              if (v.status() != 200) return;
              boolean lapsed = b.path("reroutes").asInt() > before.reroutes() || "ESCALATED".equals(b.path("status").asText());
              if (!lapsed) return;
              Instant at = null;
              for (String f : List.of("assignedAt", "waitingSince")) {
                if (b.hasNonNull(f)) {
                  Instant t = Instant.parse(b.get(f).asText());
                  if (!t.isBefore(before.deadline()) && (at == null || t.isBefore(at))) at = t;
                }
              }
              lateMs.put(k, at == null ? -1 : Duration.between(before.deadline(), at).toMillis());
            });
            return lateMs.size() == armed.size();
          });
    } catch (ConditionTimeoutException e) {
      violations.add((armed.size() - lateMs.size()) + " of " + armed.size() + " reply windows armed before a stop "
          + "never fired");
    }
    fired[0] = lateMs.size();
    return lateMs.values().stream().mapToLong(Long::longValue).max().orElse(0);
  }

  // ---- traffic ----

  private void awaitAcked(long n) {
    Awaitility.await("acknowledged >= " + n).atMost(Duration.ofMinutes(30)).pollInterval(Duration.ofMillis(20))
        .until(() -> acked.get() >= n || attempted.get() >= s.messages() || violations.size() > 100);
  }

  /** The next node of the balancer: all three, dead or not (it is not told). */
  private Slot balanced() {
    return slots.get(Math.floorMod(balancer.incrementAndGet(), slots.size()));
  }

  private void customer(Random rnd) {
    while (!trafficOver && attempted.incrementAndGet() <= s.messages() && violations.size() <= 100) {
      Contact c = pick(rnd);
      Slot via = balanced();
      int n = c.sent + 1;
      c.sent = n;
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("channel", "webchat");
      body.put("contact", c.id);
      body.put("messageId", c.id + "-" + n);
      body.put("text", "message " + n + " of " + c.id);
      if (c.quiet) body.put("team", "quiet");
      Result r = call(via, "message", () -> api.post(via.base(), "/v1/tenants/" + TENANT + "/messages", body));
      if (r.status() == 202) {
        c.acked = c.acked + 1;
        acked.incrementAndGet();
        if (c.acked == 1 && !c.quiet) {
          synchronized (followable) {
            followable.add(c);
          }
        }
      } else if (r.status() >= 400 && r.status() < 500) {
        violations.add("message " + c.id + "-" + n + " answered " + r.status() + " " + r.raw());
      }
      c.busy.set(false);
      if (!r.ok()) sleepQuietly(50); // a client backs off a little after a failure
    }
  }

  private Contact pick(Random rnd) {
    if (rnd.nextInt(100) < 40) {
      synchronized (followable) {
        followable.removeIf(c -> !c.followable());
        for (int i = 0; i < 4 && !followable.isEmpty(); i++) {
          Contact c = followable.get(rnd.nextInt(followable.size()));
          if (c.followable() && c.busy.compareAndSet(false, true)) {
            if (c.followable()) return c;
            c.busy.set(false);
          }
        }
      }
    }
    Contact c = new Contact("c" + nextContact.incrementAndGet(), rnd.nextInt(100) < 20);
    contacts.put(c.key, c);
    return c;
  }

  /** One agent's turn through the balancer: its view (capacity checked), then a desk agent's reply or resolve. */
  private void agentTick(String agent, Random rnd) {
    if (trafficOver) return;
    Slot via = balanced();
    Result view = call(via, "agent_view", () -> api.get(via.base(), "/v1/tenants/" + TENANT + "/agents/" + agent));
    if (!view.ok() || view.body() == null) return;
    checks.checkCapacity(agent, view.body(), "during the run");
    if (!DESK.contains(agent)) return;
    for (JsonNode held : view.body().path("holding")) {
      Contact c = contacts.get(held.asText());
      if (c == null || c.quiet || !c.busy.compareAndSet(false, true)) continue;
      try {
        String path = "/v1/tenants/" + TENANT + "/conversations/" + c.key;
        Slot to = balanced();
        if (!c.replyAttempted) {
          c.replyAttempted = true;
          Result r = call(to, "reply", () -> api.post(to.base(), path + "/replies",
              Map.of("agent", agent, "text", "hello " + c.id + ", " + agent + " here")));
          if (r.status() == 202) c.replyAcked = true;
        } else if (!c.resolveAttempted && rnd.nextInt(3) == 0) {
          c.resolveAttempted = true;
          Result r = call(to, "resolve", () -> api.post(to.base(), path + "/resolve", Map.of("requestedBy", agent)));
          if (r.status() == 200) c.resolveAcked = true;
        }
      } finally {
        c.busy.set(false);
      }
    }
  }

  /** One call, its failure counted per node and kind, and the node's failure window widened. */
  private Result call(Slot via, String what, java.util.function.Supplier<Result> request) {
    long sent = System.nanoTime();
    Result r = request.get();
    if (r.ok() || r.status() >= 400 && r.status() < 500) return r;
    String kind = r.status() == 503 ? (r.retryAfter() != null ? "503ra" : "503")
        : r.status() != 0 ? Integer.toString(r.status()) : r.failure().name().toLowerCase();
    if (r.status() == 503 && r.retryAfter() != null && r.nanos() > Duration.ofSeconds(1).toNanos()) {
      kind = "503ra_slow";
      slowByRequest.merge(what, 1, Integer::sum);
    }
    failed.computeIfAbsent("node" + via.number + ":" + kind, k -> new AtomicInteger()).incrementAndGet();
    AtomicLongArray w = failedWindow.computeIfAbsent("node" + via.number + ":" + kind,
        k -> new AtomicLongArray(new long[] {Long.MAX_VALUE, 0}));
    w.accumulateAndGet(0, sent, Math::min);
    w.accumulateAndGet(1, sent + r.nanos(), Math::max);
    if (firstSignal == 0) violations.add("before any stop, node " + via.number + " answered " + kind + " " + r.raw());
    return r;
  }

  /** Per node: failures by kind, each with the window it fell in, in seconds from the first stop signal. */
  private String failures() {
    long base = firstSignal == 0 ? t0 : firstSignal;
    StringBuilder b = new StringBuilder();
    int total = failed.values().stream().mapToInt(AtomicInteger::get).sum();
    b.append("failed=").append(total);
    for (int n = 1; n <= NODES; n++) {
      String prefix = "node" + n + ":";
      List<String> kinds = new TreeMap<>(failed).entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
          .map(e -> {
            AtomicLongArray w = failedWindow.get(e.getKey());
            return String.format("%s=%d[%+.1fs..%+.1fs]", e.getKey().substring(prefix.length()), e.getValue().get(),
                (w.get(0) - base) / 1e9, (w.get(1) - base) / 1e9);
          }).toList();
      b.append(" node").append(n).append("={").append(String.join(",", kinds)).append('}');
    }
    b.append(" slow_by_request=").append(slowByRequest);
    return b.toString();
  }

  // ---- housekeeping ----

  private void ensureDatabase() {
    int slash = s.pgUrl().lastIndexOf('/');
    String name = s.pgUrl().substring(slash + 1).replaceAll("\\?.*", "");
    try (Connection con = DriverManager.getConnection(s.pgUrl().substring(0, slash + 1) + "postgres", "postgres", "");
         Statement st = con.createStatement()) {
      try (var rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
        if (rs.next()) return;
      }
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      log("could not create database %s: %s", name, e.getMessage());
    }
    // the schema up front, so that the nodes do not race to create it (issue 13, finding 1)
    try (Connection con = DriverManager.getConnection(s.pgUrl(), "postgres", ""); Statement st = con.createStatement()) {
      st.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
    } catch (SQLException e) {
      log("could not create schema %s: %s", schema, e.getMessage());
    }
  }

  private void dropSchema() {
    try (Connection con = DriverManager.getConnection(s.pgUrl(), "postgres", ""); Statement st = con.createStatement()) {
      st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } catch (SQLException e) {
      log("could not drop schema %s: %s", schema, e);
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static final java.time.format.DateTimeFormatter CLOCK = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss");

  private static void log(String format, Object... args) {
    System.out.printf("[cluster %s] %s%n", java.time.LocalTime.now().format(CLOCK), String.format(format, args));
  }
}

package io.switchboard.gateway.fault;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.gateway.fault.Api.Result;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The fault test's harness: a real node ({@code switchboard.jar} in a child process, {@link Node}) on H2 or
 * PostgreSQL, a stream of messages from several client threads over real HTTP (new conversations and
 * follow-ups; agents replying and resolving), the node stopped mid-stream with {@code kill -9} or
 * {@code kill -TERM} and started again on the same store, as many times as {@link Settings#stops} says.
 *
 * <p>After each restart, before traffic resumes, it checks through the API that every acknowledged (2xx)
 * message, resolve and reply is there, and that every reply window armed before the stop fires after it
 * (team {@code quiet}, whose agents never answer within its 3 s window); after a {@code TERM}, that new
 * requests got a 503 or a refused/closed connection at once. At the end, once traffic stopped: no agent
 * above its capacity and no conversation held by two agents (agents' holds, their open conversations in
 * the read model and the conversations' own views agree). A request that got no answer or a 503 is not
 * acknowledged: it may or may not be stored. Used by {@code FaultIT} (short, in {@code mvn verify}) and
 * {@code io.switchboard.loadtest.FaultBenchmark} (long, by hand).
 */
public final class FaultRun {
  public enum Store { H2, POSTGRES }

  /** {@code KILL}: {@link Process#destroyForcibly} (SIGKILL); {@code TERM}: {@link Process#destroy} (SIGTERM). */
  public enum Stop { KILL, TERM }

  /**
   * @param messages customer messages to send in all (new conversations and follow-ups)
   * @param customers client threads sending them, each on its own connection
   * @param stops how the node is stopped, in order, at evenly spaced points of the stream
   * @param jvmOptions of the nodes' JVMs
   */
  public record Settings(Store store, List<Stop> stops, int messages, int customers, Path jar, Path workDir,
      List<String> jvmOptions, String pgUrl, long seed) {
    public static Settings of(Store store, List<Stop> stops, int messages, Path jar, Path workDir) {
      return new Settings(store, List.copyOf(stops), messages, 6, jar, workDir,
          List.of("-Xms256m", "-Xmx768m", "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2"),
          System.getenv().getOrDefault("SWITCHBOARD_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/switchboard_test"),
          System.nanoTime());
    }

    public Settings withJvmOptions(List<String> options) {
      return new Settings(store, stops, messages, customers, jar, workDir, List.copyOf(options), pgUrl, seed);
    }

    public Settings withCustomers(int n) {
      return new Settings(store, stops, messages, n, jar, workDir, jvmOptions, pgUrl, seed);
    }
  }

  /**
   * What one stop did.
   *
   * @param ackedBefore messages acknowledged before it (since the start of the run)
   * @param lost of those, missing after the restart (conversation 404 or fewer messages)
   * @param windowsArmed quiet-team conversations assigned, unanswered, with a reply deadline after the stop
   * @param windowsFired of those, lapsed (re-routed or escalated) after the restart
   * @param firedS seconds from ready until the last of them had fired
   * @param exitS seconds from the signal until the process ended (null: not within the bound, then killed)
   * @param readyS seconds from the new process's start until {@code /health/ready} answered 200
   * @param inFlightAtStop how the requests sent before the signal and answered after it ended (a graceful stop
   *     answers them)
   * @param afterStop answers to requests sent after the signal: 2xx, 503, other statuses, refused, closed,
   *     timed_out (no answer within the client's time-out: a hung request)
   * @param slowestAfterStopMs the longest of those requests took
   */
  public record StopFigures(int number, Stop stop, long ackedBefore, long lost, long resolvesAcked, long resolvesLost,
      long repliesAcked, long repliesLost, int windowsArmed, int windowsFired, double firedS, Double exitS,
      double readyS, Map<String, Integer> inFlightAtStop, Map<String, Integer> afterStop, long slowestAfterStopMs) {
    public String line(Store store) {
      return String.format("STOP store=%s n=%d mode=%s acked_before=%d lost=%d resolves=%d lost_resolves=%d "
              + "replies=%d lost_replies=%d windows_armed=%d fired_after_restart=%d fired_within=%.1fs exit=%s "
              + "ready_after=%.1fs in_flight_at_stop=%s after_stop=%s slowest_after_stop=%dms",
          store.name().toLowerCase(), number, stop, ackedBefore, lost, resolvesAcked, resolvesLost, repliesAcked,
          repliesLost, windowsArmed, windowsFired, firedS, exitS == null ? "none" : String.format("%.1fs", exitS),
          readyS, inFlightAtStop, afterStop, slowestAfterStopMs);
    }
  }

  /**
   * @param acked messages acknowledged (202) in all; {@code lost} of them missing at the end
   * @param doubleAssignments conversations held by two agents, or assigned to one agent and held by another
   * @param capacityOvershoots times an agent was seen holding more than its capacity (during the run and at the end)
   * @param staleHolds holds of conversations not assigned to their agent at the end (capacity leaked)
   * @param answers every answer of the run by kind and status
   */
  public record Report(Settings settings, Path dir, List<StopFigures> stops, long attempted, long acked, long lost,
      int doubleAssignments, int capacityOvershoots, int staleHolds, double firstReadyS,
      Map<String, Long> answers, List<String> violations) {
    public String summary() {
      return String.format("RESULT store=%s stops=%s attempted=%d acknowledged=%d lost=%d double_assignments=%d "
              + "capacity_overshoots=%d stale_holds=%d windows_armed=%d fired_after_restart=%d ready_after=%s "
              + "first_start=%.1fs violations=%d",
          settings.store().name().toLowerCase(), settings.stops(), attempted, acked, lost, doubleAssignments,
          capacityOvershoots, staleHolds, stops.stream().mapToInt(StopFigures::windowsArmed).sum(),
          stops.stream().mapToInt(StopFigures::windowsFired).sum(),
          stops.stream().map(s -> String.format("%.1fs", s.readyS())).toList(), firstReadyS, violations.size());
    }
  }

  // ---- the tenant (written as a bootstrap file) ----

  static final String TENANT = "ft";
  private static final int DESK_CAPACITY = 4;
  private static final int QUIET_CAPACITY = 3;
  private static final int SUP_CAPACITY = 5;
  static final List<String> DESK = List.of("d1", "d2", "d3", "d4", "d5");
  static final List<String> QUIET = List.of("q1", "q2", "q3");
  static final List<String> AGENTS = List.of("d1", "d2", "d3", "d4", "d5", "q1", "q2", "q3", "sup");
  private static final Duration QUIET_WINDOW = Duration.ofSeconds(3);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
  /** A request sent after SIGTERM is answered (503) or refused at once, not after an ask time-out. */
  private static final Duration TERM_ANSWER_WITHIN = Duration.ofSeconds(4);
  private static final Duration READY_WITHIN = Duration.ofMinutes(3);
  /**
   * A graceful stop's phases are bounded to about 10 s in all (docs/ARCHITECTURE.md, "How long a stop
   * takes"); the rest is margin for a machine under load (the JVM's own exit, a slow phase start).
   */
  private static final Duration TERM_EXIT_WITHIN = Duration.ofSeconds(15);

  static int capacityOf(String agent) {
    return agent.startsWith("d") ? DESK_CAPACITY : agent.startsWith("q") ? QUIET_CAPACITY : SUP_CAPACITY;
  }

  /** One node's life: traffic waits for {@code ready}; {@code ended} once its process is gone. */
  private static final class Phase {
    final int number;
    volatile Node node;
    volatile long stoppingAt;
    final CompletableFuture<Void> ready = new CompletableFuture<>();
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    final Map<String, AtomicInteger> afterStop = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> inFlightAtStop = new ConcurrentHashMap<>();
    final AtomicLong slowestAfterStop = new AtomicLong();

    Phase(int number) {
      this.number = number;
    }
  }

  private final Settings s;
  private final Path dir;
  private final String apiKey;
  private final String schema;
  /** The key of the tenants' secrets on PostgreSQL: one for the run, every restart of the node reads with it. */
  private final String secretsKey = newSecretsKey();

  /**
   * A tenant-secrets key for the nodes of one run (32 random bytes, base64, as SecretCipher wants): made here,
   * not by SecretCipher, because the benchmarks run this class from load-tests, whose classpath has the
   * gateway's test classes only (the nodes are the jar).
   */
  static String newSecretsKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }
  private final Api api;
  private final ConnectorStub connector = new ConnectorStub();
  private final Map<String, Contact> contacts = new ConcurrentHashMap<>();
  private final List<Contact> followable = new ArrayList<>();
  private final AtomicInteger nextContact = new AtomicInteger();
  private final AtomicInteger attempted = new AtomicInteger();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger overshoots = new AtomicInteger();
  private final Map<String, AtomicLong> answers = new ConcurrentHashMap<>();
  private final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
  private final List<Node> nodes = new ArrayList<>();
  private final Checks checks;
  private volatile Phase current;
  private volatile boolean trafficOver;

  private FaultRun(Settings s) {
    this.s = s;
    String run = s.store().name().toLowerCase() + "-" + Long.toUnsignedString(System.currentTimeMillis(), 36);
    try {
      this.dir = Files.createDirectories(s.workDir().resolve(run));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.schema = "fault_" + Long.toUnsignedString(System.nanoTime(), 36);
    this.apiKey = newApiKey();
    this.api = new Api(apiKey, REQUEST_TIMEOUT);
    this.checks = new Checks(api, contacts, violations, overshoots);
  }

  /** Runs the whole scenario and returns its figures; the nodes are gone and the schema dropped when it returns. */
  public static Report run(Settings settings) {
    return new FaultRun(settings).execute();
  }

  private Report execute() {
    Path h2 = null;
    ExecutorService clients = Executors.newFixedThreadPool(s.customers(), daemon("fault-customer"));
    ScheduledExecutorService agents = Executors.newScheduledThreadPool(2, daemon("fault-agent"));
    List<StopFigures> figures = new ArrayList<>();
    double firstReady = Double.NaN;
    long lost = 0;
    int[] consistency = {0, 0};
    try {
      if (s.store() == Store.H2) h2 = Files.createTempDirectory("switchboard-fault-h2");
      else ensureDatabase();
      Map<String, String> env = environment(h2);
      log("%s; logs in %s", s, dir);
      current = new Phase(0);
      current.node = start(0, env);
      firstReady = awaitReady(current.node);
      current.ready.complete(null);
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
      for (int i = 0; i < s.stops().size(); i++) {
        long threshold = (long) s.messages() * (i + 1) / (s.stops().size() + 1);
        Awaitility.await("acknowledged >= " + threshold).atMost(Duration.ofMinutes(30))
            .pollInterval(Duration.ofMillis(20)).until(() -> acked.get() >= threshold
                || attempted.get() >= s.messages() || violations.size() > 100);
        figures.add(stopAndRestart(i + 1, s.stops().get(i), env));
        log("%s", figures.get(figures.size() - 1).line(s.store()));
      }
      for (Future<?> f : senders) f.get(30, TimeUnit.MINUTES);
      trafficOver = true;
      agents.shutdown();
      agents.awaitTermination(1, TimeUnit.MINUTES);
      Awaitility.await("requests in flight").atMost(REQUEST_TIMEOUT.multipliedBy(2))
          .pollInterval(Duration.ofMillis(20)).until(() -> inFlight.get() == 0);
      long[] durable = checks.durability(current.node, "the end");
      lost = durable[0];
      consistency = checks.consistency(current.node);
    } catch (Exception e) {
      violations.add("the run failed: " + e);
      log("the run failed: %s", e);
    } finally {
      trafficOver = true;
      clients.shutdownNow();
      agents.shutdownNow();
      nodes.forEach(Node::destroy);
      connector.close();
      api.close();
      if (s.store() == Store.POSTGRES) dropSchema();
      if (h2 != null && violations.isEmpty()) deleteTree(h2);
    }
    Map<String, Long> counts = new TreeMap<>();
    answers.forEach((k, v) -> counts.put(k, v.get()));
    Report report = new Report(s, dir, figures, Math.min(attempted.get(), s.messages()), acked.get(), lost,
        consistency[0], overshoots.get(), consistency[1], firstReady, counts, List.copyOf(violations));
    figures.forEach(f -> System.out.println(f.line(s.store())));
    System.out.println(report.summary());
    System.out.println("answers: " + counts);
    if (!report.violations().isEmpty()) {
      report.violations().stream().limit(40).forEach(v -> System.out.println("VIOLATION " + v));
      for (Node n : nodes) {
        System.out.println("---- last lines of " + n.log + " ----");
        System.out.println(n.tail(40));
      }
    }
    return report;
  }

  // ---- the node ----

  private Map<String, String> environment(Path h2) throws IOException {
    Map<String, String> env = new HashMap<>();
    Path bootstrap = dir.resolve("bootstrap.json");
    Files.writeString(bootstrap, bootstrapFile(), StandardCharsets.UTF_8);
    env.put("SWITCHBOARD_BOOTSTRAP", bootstrap.toString());
    env.put("SWITCHBOARD_CONNECTOR_URL", connector.url());
    if (s.store() == Store.H2) {
      env.put("SWITCHBOARD_STORE", "h2");
      env.put("SWITCHBOARD_H2_DIR", h2.toString());
    } else {
      env.put("SWITCHBOARD_STORE", "postgres");
      env.put("SWITCHBOARD_PG_URL", s.pgUrl());
      env.put("SWITCHBOARD_PG_SCHEMA", schema);
      // a node on PostgreSQL needs the key of the tenants' secrets (on H2 it generates one beside the database)
      env.put("SWITCHBOARD_SECRETS_KEY", secretsKey);
    }
    return env;
  }

  /** Tenant {@code ft}: team {@code desk} (answering agents), team {@code quiet} (never answering), supervisor. */
  private String bootstrapFile() {
    return bootstrapFile(apiKey);
  }

  /** A new API key of tenant {@code ft}. */
  static String newApiKey() {
    byte[] id = new byte[6];
    byte[] secret = new byte[32];
    SecureRandom random = new SecureRandom();
    random.nextBytes(id);
    random.nextBytes(secret);
    return "sb_" + TENANT + "." + HexFormat.of().formatHex(id) + "."
        + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  /** The bootstrap file of tenant {@code ft} with {@code apiKey}. */
  static String bootstrapFile(String apiKey) {
    Map<String, Object> agents = new LinkedHashMap<>();
    for (String a : AGENTS) {
      agents.put(a, Map.of("capacity", Map.of("webchat", capacityOf(a)), "presence", "ONLINE",
          "role", a.equals("sup") ? "SUPERVISOR" : "AGENT"));
    }
    Map<String, Object> teams = new LinkedHashMap<>();
    teams.put("desk", Map.of("members", DESK, "strategy", "LEAST_BUSY", "replyWindow", "PT60S",
        "maxReroutes", 2, "escalation", Map.of("supervisor", "sup")));
    teams.put("quiet", Map.of("members", QUIET, "strategy", "ROUND_ROBIN", "replyWindow", QUIET_WINDOW.toString(),
        "maxReroutes", 1, "escalation", Map.of("supervisor", "sup")));
    Map<String, Object> tenant = new LinkedHashMap<>();
    tenant.put("id", TENANT);
    tenant.put("settings", Map.of("displayName", "Fault test", "defaultTeam", "desk"));
    tenant.put("apiKeys", List.of(Map.of("label", "fault-test", "key", apiKey)));
    tenant.put("agents", agents);
    tenant.put("teams", teams);
    return Api.json(Map.of("tenants", List.of(tenant)));
  }

  private Node start(int number, Map<String, String> env) {
    Node n = Node.start(number, s.jar(), s.jvmOptions(), env, dir);
    nodes.add(n);
    return n;
  }

  /** Seconds from the process's start until {@code /health/ready} answered 200. */
  private double awaitReady(Node node) {
    try {
      Awaitility.await("node " + node.number + " ready").atMost(READY_WITHIN).pollInterval(Duration.ofMillis(100))
          .until(() -> {
            if (!node.alive()) throw new IllegalStateException("node " + node.number + " exited:\n" + node.tail(30));
            return api.get(node.base(), "/health/ready").status() == 200;
          });
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException("node " + node.number + " not ready within " + READY_WITHIN + ":\n"
          + node.tail(30), e);
    }
    return (System.nanoTime() - node.startedAt) / 1e9;
  }

  private StopFigures stopAndRestart(int number, Stop stop, Map<String, String> env) {
    Phase old = current;
    Map<String, Checks.Before> armed = checks.armedWindows(old.node);
    long ackedBefore;
    Phase next = new Phase(number);
    Instant stoppedAt = Instant.now();
    old.stoppingAt = System.nanoTime();
    Double exit = null;
    if (stop == Stop.KILL) {
      old.node.kill();
    } else {
      Duration took = old.node.term(Duration.ofSeconds(30));
      if (took == null) {
        violations.add("stop " + number + ": the node did not exit within 30 s of SIGTERM");
      } else {
        exit = took.toMillis() / 1000.0;
        if (took.compareTo(TERM_EXIT_WITHIN) > 0) {
          violations.add("stop " + number + ": the node took " + exit + " s to exit after SIGTERM (more than "
              + TERM_EXIT_WITHIN.toSeconds() + " s)");
        }
      }
    }
    current = next;
    old.ended.complete(null);
    Awaitility.await("requests in flight").atMost(REQUEST_TIMEOUT.multipliedBy(2)).pollInterval(Duration.ofMillis(20))
        .until(() -> inFlight.get() == 0);
    ackedBefore = acked.get();
    Map<String, Integer> afterStop = new TreeMap<>();
    old.afterStop.forEach((k, v) -> afterStop.put(k, v.get()));
    Map<String, Integer> inFlightAtStop = new TreeMap<>();
    old.inFlightAtStop.forEach((k, v) -> inFlightAtStop.put(k, v.get()));
    if (stop == Stop.TERM && old.afterStop.getOrDefault("timed_out", new AtomicInteger()).get() > 0) {
      violations.add("stop " + number + ": requests sent after SIGTERM hung (no answer within " + REQUEST_TIMEOUT
          + "): " + afterStop);
    } else if (stop == Stop.TERM && old.slowestAfterStop.get() > TERM_ANSWER_WITHIN.toNanos()) {
      violations.add("stop " + number + ": a request sent after SIGTERM took " + old.slowestAfterStop.get() / 1_000_000
          + " ms to be answered or refused (more than " + TERM_ANSWER_WITHIN.toMillis() + " ms): " + afterStop);
    }
    next.node = start(number, env);
    double ready = awaitReady(next.node);
    long[] durable = checks.durability(next.node, "stop " + number + " (" + stop + ")");
    int[] fired = new int[1];
    double firedS = checks.windowsFired(number, armed, stoppedAt, next.node, fired);
    next.ready.complete(null);
    return new StopFigures(number, stop, ackedBefore, durable[0], durable[1], durable[2], durable[3], durable[4],
        (int) armed.values().stream().filter(b -> !b.deadline().isBefore(stoppedAt)).count(), fired[0], firedS, exit,
        ready, inFlightAtStop, afterStop, old.slowestAfterStop.get() / 1_000_000);
  }

  // ---- traffic ----

  /**
   * The phase traffic may use now, waiting while the node restarts; null once the run is over. Customers go on
   * sending while a node is being stopped: what those requests get is what a client of a stopping node sees.
   */
  private Phase awaitReady() {
    while (!trafficOver) {
      Phase p = current;
      try {
        p.ready.get(10, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      } catch (Exception e) {
        return null;
      }
      if (!p.ended.isDone()) return p;
    }
    return null;
  }

  private static void awaitEnded(Phase p) {
    try {
      p.ended.get(10, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception ignored) {
      // the run is over
    }
  }

  /** After a failed call: while the node is being stopped, wait for the next one. */
  private void afterFailure(Phase p, Result r) {
    if (p.stoppingAt != 0 && (r.status() == 0 || r.status() == 503)) awaitEnded(p);
  }

  private void customer(Random rnd) {
    while (!trafficOver && attempted.incrementAndGet() <= s.messages() && violations.size() <= 100) {
      Phase p = awaitReady();
      if (p == null) return;
      Contact c = pick(rnd);
      int n = c.sent + 1;
      c.sent = n;
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("channel", "webchat");
      body.put("contact", c.id);
      body.put("messageId", c.id + "-" + n);
      body.put("text", "message " + n + " of " + c.id);
      if (c.quiet) body.put("team", "quiet");
      Result r = call(p, "message", () -> api.post(p.node.base(), "/v1/tenants/" + TENANT + "/messages", body));
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
      afterFailure(p, r);
    }
  }

  /** A follow-up of a desk contact not answered yet (about 4 in 10), else a new contact (1 in 5 for quiet). */
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

  /** One agent's turn: its view (capacity checked), then a reply or a resolve for a desk agent's conversations. */
  private void agentTick(String agent, Random rnd) {
    if (trafficOver) return;
    Phase p = current;
    if (!p.ready.isDone() || p.stoppingAt != 0) return;
    Result view = call(p, "agent-view", () -> api.get(p.node.base(), "/v1/tenants/" + TENANT + "/agents/" + agent));
    if (!view.ok() || view.body() == null) return;
    checks.checkCapacity(agent, view.body(), "during the run");
    if (!DESK.contains(agent)) return;
    for (JsonNode held : view.body().path("holding")) {
      Contact c = contacts.get(held.asText());
      if (c == null || c.quiet || p.stoppingAt != 0 || !c.busy.compareAndSet(false, true)) continue;
      try {
        String path = "/v1/tenants/" + TENANT + "/conversations/" + c.key;
        if (!c.replyAttempted) {
          c.replyAttempted = true;
          Result r = call(p, "reply", () -> api.post(p.node.base(), path + "/replies",
              Map.of("agent", agent, "text", "hello " + c.id + ", " + agent + " here")));
          if (r.status() == 202) c.replyAcked = true;
        } else if (!c.resolveAttempted && rnd.nextInt(3) == 0) {
          c.resolveAttempted = true;
          Result r = call(p, "resolve", () -> api.post(p.node.base(), path + "/resolve", Map.of("requestedBy", agent)));
          if (r.status() == 200) c.resolveAcked = true;
        }
      } finally {
        c.busy.set(false);
      }
    }
  }

  /** One call, counted by kind and status (and, after a stop signal, by how it ended). */
  private Result call(Phase p, String kind, Supplier<Result> request) {
    inFlight.incrementAndGet();
    long t0 = System.nanoTime();
    try {
      Result r = request.get();
      String status = r.status() != 0 ? Integer.toString(r.status()) : r.failure().name().toLowerCase();
      answers.computeIfAbsent(kind + " " + status, k -> new AtomicLong()).incrementAndGet();
      long stopping = p.stoppingAt;
      String k = r.ok() ? "2xx" : r.status() != 0 ? Integer.toString(r.status()) : r.failure().name().toLowerCase();
      if (stopping != 0 && t0 > stopping) {
        p.afterStop.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
        p.slowestAfterStop.accumulateAndGet(r.nanos(), Math::max);
      } else if (stopping != 0) {
        p.inFlightAtStop.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
      } else if (stopping == 0 && r.status() >= 500 && r.status() != 503) {
        violations.add(kind + " answered " + r.status() + " " + r.raw());
      }
      return r;
    } finally {
      inFlight.decrementAndGet();
    }
  }

  // ---- housekeeping ----

  /** The test database ({@code switchboard_test}) is created when missing, as the storage tests do. */
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
      // another test may have created it meanwhile; the node says so if it is still missing
      log("could not create database %s: %s", name, e.getMessage());
    }
  }

  private void dropSchema() {
    try (Connection con = DriverManager.getConnection(s.pgUrl(), "postgres", "");
         Statement st = con.createStatement()) {
      st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } catch (SQLException e) {
      log("could not drop schema %s: %s", schema, e);
    }
  }

  private static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
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
    System.out.printf("[fault %s] %s%n", java.time.LocalTime.now().format(CLOCK), String.format(format, args));
  }
}

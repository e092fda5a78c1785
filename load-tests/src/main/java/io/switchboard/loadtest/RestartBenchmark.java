package io.switchboard.loadtest;

import io.switchboard.Outcome;
import io.switchboard.RouterCore;
import io.switchboard.RoutingObserver;
import io.switchboard.conversation.Conversation;
import io.switchboard.conversation.RerouteCause;
import io.switchboard.persistence.StoreSettings;
import io.switchboard.persistence.readmodel.ReadModelQueries;
import io.switchboard.persistence.readmodel.ReadModels;
import io.switchboard.routing.RoutingHint;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * A node holding {@code -Dbench.conversations} (1,000,000) open conversations dies and starts again:
 * how soon it routes new messages, and how soon every deadline that fell due while it was down has
 * fired (docs/ARCHITECTURE.md, "Recovery on demand"). Three JVMs, as in production:
 * <ol>
 *   <li>{@code restart-fill}: a node as the gateway runs one (read models, wake-up keeper, idle
 *       conversations passivating) opens the conversations, spread over {@code -Dbench.teams} teams
 *       with a 2 h reply window; once most are passivated it reports the heap per open conversation;
 *       then opens {@code -Dbench.due} (20,000) more in a team whose reply window is
 *       {@code -Dbench.short-window} seconds (60), and is killed (SIGKILL) right after
 *       ({@code -Dbench.kill-after-ms}, 1,000: H2 loses the commits of the last half second to a kill):
 *       those conversations were running, their deadlines are only in the journal and its wake-up index;
 *   <li>this process waits until every one of those deadlines has passed;
 *   <li>{@code restart-node}: a fresh JVM on the same store starts a node, asks for a new conversation
 *       every 100 ms until one is assigned, and counts the reply windows that fire.
 * </ol>
 * Times are from the moment the second node's JVM was started.
 */
final class RestartBenchmark {
  private RestartBenchmark() {}

  private static final String PROBE = "probe";

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    String kind = args.length > 1 ? args[1] : "h2";
    switch (mode) {
      case "restart" -> orchestrate(kind);
      case "restart-fill" -> fill(Bench.existingStore(kind, args[2]));
      case "restart-node" -> restartedNode(Bench.existingStore(kind, args[2]), Long.parseLong(args[3]));
      default -> throw new IllegalArgumentException(mode);
    }
  }

  // ---- the orchestrating process ----

  private static void orchestrate(String kind) throws Exception {
    StoreSettings store = Bench.freshStore(kind, "restartbench");
    String where = Bench.whereOf(store);
    System.out.printf("store: %s; %d cores%n", store.describe(), Runtime.getRuntime().availableProcessors());

    Process filler = child("restart-fill", kind, where);
    Map<String, String> filled = await(filler, "FILLED");
    long dueBy = Long.parseLong(filled.get("dueBy"));
    // H2 writes committed transactions to its file within half a second (its write delay): a kill sooner
    // loses the last ones, which PostgreSQL, syncing each commit, never does
    TimeUnit.MILLISECONDS.sleep(Long.getLong("bench.kill-after-ms", 1000));
    filler.destroyForcibly().waitFor();
    long killedAt = System.currentTimeMillis();
    System.out.printf("first node killed (SIGKILL); waiting %d s until the last short reply window has passed%n",
        Math.max(0, dueBy + 2_000 - killedAt) / 1000);
    long wait = dueBy + 2_000 - System.currentTimeMillis();
    if (wait > 0) TimeUnit.MILLISECONDS.sleep(wait);

    long spawnedAt = System.currentTimeMillis();
    Process node = child("restart-node", kind, where, Long.toString(spawnedAt));
    Map<String, String> done = await(node, "DONE");
    node.waitFor(60, TimeUnit.SECONDS);
    node.destroyForcibly();
    System.out.printf("%nRESULT conversations=%s due=%s heap_per_open_conversation=%sB(running=%s) down=%.0fs "
            + "node_up=%.1fs first_new_conversation_assigned=%.1fs due_fired=%s/%s all_due_fired=%.1fs "
            + "conversations_started_after_restart=%s%n",
        filled.get("conversations"), filled.get("due"), filled.get("heapPerConversation"), filled.get("running"),
        (spawnedAt - killedAt) / 1000.0, seconds(done, "up", spawnedAt), seconds(done, "routed", spawnedAt),
        done.get("fired"), filled.get("due"), seconds(done, "firedAt", spawnedAt), done.get("running"));
  }

  private static double seconds(Map<String, String> kv, String key, long from) {
    String v = kv.get(key);
    return v == null ? Double.NaN : (Long.parseLong(v) - from) / 1000.0;
  }

  /** A JVM running this class's {@code mode}; its stdout is echoed and parsed. */
  private static Process child(String mode, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "-Xms2g", "-Xmx" + System.getProperty("bench.child-heap", "8g"), "-XX:+UseG1GC",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2"));
    String extra = System.getProperty("bench.child-opts." + mode, "").trim();
    if (!extra.isEmpty()) cmd.addAll(Arrays.asList(extra.split("\\s+")));
    System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench."))
        .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
    cmd.addAll(List.of("-cp", classPath(), RestartBenchmark.class.getName(), mode));
    cmd.addAll(Arrays.asList(args));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /** Echoes the child's lines until one starts with {@code marker}; its key=value pairs. */
  private static Map<String, String> await(Process p, String marker) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      System.out.println("  | " + line);
      if (line.startsWith(marker)) {
        Map<String, String> kv = new HashMap<>();
        for (String part : line.split(" ")) {
          int eq = part.indexOf('=');
          if (eq > 0) kv.put(part.substring(0, eq), part.substring(eq + 1));
        }
        // keep echoing what the child prints afterwards
        Thread echo = new Thread(() -> in.lines().forEach(l -> System.out.println("  | " + l)));
        echo.setDaemon(true);
        echo.start();
        return kv;
      }
    }
    throw new IllegalStateException(marker + " never came: the child exited with " + p.waitFor());
  }

  /** exec:java runs us in a class loader of its own: its URLs are the class path a child needs. */
  private static String classPath() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    if (cl instanceof URLClassLoader u && u.getURLs().length > 0) {
      return Arrays.stream(u.getURLs()).map(url -> {
        try {
          return new File(url.toURI()).getPath();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }).collect(Collectors.joining(File.pathSeparator));
    }
    return System.getProperty("java.class.path");
  }

  // ---- the first node ----

  private static void fill(StoreSettings store) throws Exception {
    int n = Integer.getInteger("bench.conversations", 1_000_000);
    int due = Integer.getInteger("bench.due", 20_000);
    int agents = Integer.getInteger("bench.agents", 1000);
    int teams = Integer.getInteger("bench.teams", 10);
    int inFlight = Integer.getInteger("bench.in-flight", 256);
    Duration window = Duration.ofSeconds(Integer.getInteger("bench.short-window", 60));
    System.setProperty("bench.passivate-after", System.getProperty("bench.passivate-after", "30s"));
    CoreBenchmark.Recorder rec = new CoreBenchmark.Recorder();
    ActorSystem<Void> system = Bench.start(store, Bench.node());
    RouterCore.init(system, Clock.systemUTC(), rec);
    ReadModels readModels = ReadModels.start(system, store);
    Bench.await(readModels.ready());
    List<String> open = CoreBenchmark.setUp(system, "l", teams, agents / teams, n / agents + 10, Duration.ofHours(2), 3);
    List<String> quick = CoreBenchmark.setUp(system, "s", 1, 20, due / 20 + 10, window, 0);
    long before = Bench.usedHeapAfterGc();
    long t0 = System.nanoTime();
    CoreBenchmark.send(system, "l", n, open, inFlight);
    CoreBenchmark.waitFor(rec.assigned, n);
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf("opened %d conversations in %.0f s (%.0f/s)%n", n, secs, n / secs);
    awaitShown(readModels.queries(), n);
    int running;
    long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while ((running = Bench.runningConversations(system)) > n / 100 && System.nanoTime() < until) {
      TimeUnit.SECONDS.sleep(5);
    }
    long heap = (Bench.usedHeapAfterGc() - before) / n;
    System.out.printf("heap per open conversation %d bytes with %d of %d running%n", heap, running, n);
    System.out.println(Bench.histogram(12));

    long assigned = rec.assigned.get();
    CoreBenchmark.send(system, "s", due, quick, inFlight);
    CoreBenchmark.waitFor(rec.assigned, assigned + due);
    long dueBy = Instant.now().plus(window).toEpochMilli();
    System.out.printf("FILLED conversations=%d due=%d dueBy=%d heapPerConversation=%d running=%d%n", n + due, due,
        dueBy, heap, running);
    System.out.flush();
    TimeUnit.HOURS.sleep(1); // killed by the orchestrating process
  }

  /** Waits until the read models show {@code n} conversations (the projections caught up). */
  private static void awaitShown(ReadModelQueries queries, long n) throws InterruptedException {
    long shown = 0;
    for (int i = 0; i < 1200 && shown < n; i++) {
      shown = Bench.await(queries.countByStatus("bench", null)).values().stream().mapToLong(Long::longValue).sum();
      if (shown < n) TimeUnit.MILLISECONDS.sleep(500);
    }
    System.out.printf("read models show %d conversations%n", shown);
  }

  // ---- the restarted node ----

  private static void restartedNode(StoreSettings store, long spawnedAt) throws Exception {
    int due = Integer.getInteger("bench.due", 20_000);
    Set<String> probesAssigned = ConcurrentHashMap.newKeySet();
    Set<String> firedIds = ConcurrentHashMap.newKeySet();
    AtomicLong fired = new AtomicLong();
    AtomicLong lastFiredAt = new AtomicLong();
    RoutingObserver observer = new RoutingObserver() {
      @Override
      public void assigned(String conversationId, String agentId, String teamId, Duration waited) {
        if (conversationId.contains(":" + PROBE)) probesAssigned.add(conversationId);
      }

      @Override
      public void escalated(String conversationId, String fromAgent, String supervisor, String toTeam, String reason) {
        if (RerouteCause.ofReason(reason) == RerouteCause.REPLY_WINDOW_LAPSED && firedIds.add(conversationId)) {
          fired.incrementAndGet();
          lastFiredAt.set(System.currentTimeMillis());
        }
      }
    };
    System.setProperty("bench.passivate-after", System.getProperty("bench.passivate-after", "30s"));
    ActorSystem<Void> system = Bench.start(store, Bench.node());
    RouterCore.init(system, Clock.systemUTC(), observer);
    Bench.await(ReadModels.start(system, store).ready());
    long up = System.currentTimeMillis();
    System.out.printf("node up after %.1f s%n", (up - spawnedAt) / 1000.0);

    ClusterSharding sharding = ClusterSharding.get(system);
    long routed = 0;
    for (int i = 0; routed == 0 && i < 3000; i++) {
      String id = CoreBenchmark.conversation(PROBE, i);
      String messageId = "p" + i;
      sharding.entityRefFor(Conversation.ENTITY_TYPE_KEY, id).<Outcome>ask(r -> new Conversation.Inbound(
          messageId, "hello after the restart", RoutingHint.toTeam("bench/l0"), r), Duration.ofSeconds(10));
      TimeUnit.MILLISECONDS.sleep(100);
      if (!probesAssigned.isEmpty()) routed = System.currentTimeMillis();
    }
    System.out.printf("a new conversation was assigned %.1f s after the start%n", (routed - spawnedAt) / 1000.0);
    long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    long reported = System.nanoTime();
    while (fired.get() < due && System.nanoTime() < until) {
      TimeUnit.MILLISECONDS.sleep(100);
      if (System.nanoTime() - reported > TimeUnit.SECONDS.toNanos(2)) {
        reported = System.nanoTime();
        System.out.printf("%.1f s: %d of %d due deadlines fired%n", (System.currentTimeMillis() - spawnedAt) / 1000.0,
            fired.get(), due);
      }
    }
    if (fired.get() < due) {
      System.out.printf("not fired when the wait ended: %s%n", java.util.stream.IntStream.range(0, due)
          .mapToObj(i -> CoreBenchmark.conversation("s", i)).filter(id -> !firedIds.contains(id)).limit(20).toList());
    }
    int running = Bench.runningConversations(system);
    System.out.printf("DONE up=%d routed=%d fired=%d firedAt=%d running=%d%n", up, routed, fired.get(),
        lastFiredAt.get(), running);
    System.out.flush();
    Bench.stop(system);
  }
}

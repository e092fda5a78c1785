package io.switchboard.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a node's CPU goes per routed conversation, from a load run ({@code load-tests/run.sh} with
 * {@code PROFILE=1}): the CPU of the server's threads over the measured run (read from
 * {@code /proc/<pid>/task/*}: GC, JIT and other JVM threads exactly) and, for the Java threads, the
 * share of each part of the stack in Java Flight Recorder's execution samples: a sample is counted for the
 * first of {@link #CONTEXTS} that any of its frames belongs to, else for the part of its leaf-most frame
 * outside the JDK and Scala ({@link #LEAVES}).
 *
 * <p>Uses only the JDK ({@code jdk.jfr.consumer}), so run.sh starts it as a single source file:
 * {@code java CpuBreakdown.java server.jfr threads-before.txt threads-after.txt CONVERSATIONS CLK_TCK}.
 * The threads files hold one {@code name<TAB>ticks} line per thread.
 */
public final class CpuBreakdown {
  /**
   * Parts a sample belongs to wherever their frame is on its stack, in order of precedence: Jackson under
   * Pekko's serializer is serialization (under neither, the API's JSON), JDBC under a projection is the
   * read models' cost, not the journal's.
   */
  static final Map<String, List<String>> CONTEXTS = new LinkedHashMap<>();
  /** The other parts: a sample belongs to the one of its leaf-most frame outside the JDK and Scala. */
  static final Map<String, List<String>> LEAVES = new LinkedHashMap<>();

  static {
    CONTEXTS.put("logging (Logback, SLF4J)", List.of("ch.qos.logback.", "org.slf4j."));
    CONTEXTS.put("metrics (Micrometer, Prometheus, the gateway's observers)",
        List.of("io.micrometer.", "io.prometheus.", "io.switchboard.gateway.Metrics", "io.switchboard.gateway.Observers"));
    CONTEXTS.put("serialization (Jackson CBOR of events, snapshots, remote messages)",
        List.of("org.apache.pekko.serialization."));
    CONTEXTS.put("read models and outbox (Pekko Projections, their SQL)",
        List.of("org.apache.pekko.projection.", "io.switchboard.persistence.readmodel.",
            "io.switchboard.persistence.outbox."));
    LEAVES.put("JSON of the API and payloads (Jackson)", List.of("com.fasterxml.jackson."));
    LEAVES.put("journal and snapshots (persistence-jdbc, Slick, JDBC driver, pool)",
        List.of("org.apache.pekko.persistence.jdbc.", "slick.", "org.postgresql.", "org.h2.", "com.zaxxer.hikari.",
            "io.switchboard.persistence."));
    LEAVES.put("event sourcing runtime (Pekko Persistence Typed: recovery, persist, stash)",
        List.of("org.apache.pekko.persistence."));
    LEAVES.put("sharding and asks (regions, shards, entity refs, ask)",
        List.of("org.apache.pekko.cluster.sharding.", "org.apache.pekko.pattern.",
            "org.apache.pekko.actor.typed.javadsl.AskPattern", "org.apache.pekko.actor.typed.scaladsl.AskPattern"));
    LEAVES.put("remoting and cluster (Artery, gossip, Distributed Data)",
        List.of("org.apache.pekko.remote.", "org.apache.pekko.cluster."));
    LEAVES.put("HTTP (Pekko HTTP: parsing, routing, rendering)", List.of("org.apache.pekko.http."));
    LEAVES.put("streams and TCP (Pekko Streams, Pekko IO)",
        List.of("org.apache.pekko.stream.", "org.apache.pekko.io.", "sun.nio.ch."));
    LEAVES.put("Switchboard's own code (routing, entities, routes)", List.of("io.switchboard."));
    LEAVES.put("actor runtime (mailboxes, dispatchers, typed behaviors, scheduler)",
        List.of("org.apache.pekko."));
  }

  static final String OTHER = "other (JDK, Scala library outside the above)";

  public static void main(String[] args) throws IOException {
    if (args.length != 5) {
      System.err.println("usage: java CpuBreakdown.java RECORDING.jfr THREADS-BEFORE THREADS-AFTER CONVERSATIONS CLK_TCK");
      System.exit(2);
    }
    Path jfr = Path.of(args[0]);
    Map<String, Long> before = threads(Path.of(args[1]));
    Map<String, Long> after = threads(Path.of(args[2]));
    long conversations = Long.parseLong(args[3]);
    double tck = Double.parseDouble(args[4]);

    Map<String, Double> groupMs = new LinkedHashMap<>();
    for (String g : List.of("Java threads", "GC", "JIT compiler", "JFR (the profiler itself)", "other JVM threads")) {
      groupMs.put(g, 0.0);
    }
    after.forEach((key, ticks) -> {
      long d = ticks - before.getOrDefault(key, 0L);
      groupMs.merge(groupOf(key.substring(0, key.indexOf('\t'))), d * 1000.0 / tck, Double::sum);
    });

    Map<String, Long> samples = new LinkedHashMap<>();
    CONTEXTS.keySet().forEach(c -> samples.put(c, 0L));
    LEAVES.keySet().forEach(c -> samples.put(c, 0L));
    samples.put(OTHER, 0L);
    long total = 0;
    try (RecordingFile file = new RecordingFile(jfr)) {
      while (file.hasMoreEvents()) {
        RecordedEvent e = file.readEvent();
        if (!e.getEventType().getName().equals("jdk.ExecutionSample")) continue;
        samples.merge(categoryOf(e.getStackTrace()), 1L, Long::sum);
        total++;
      }
    }

    double cpuMs = groupMs.values().stream().mapToDouble(Double::doubleValue).sum();
    double javaMs = groupMs.get("Java threads");
    System.out.printf("CPU per routed conversation: %.3f ms (%d conversations, %.1f s of server CPU, %d samples)%n%n",
        cpuMs / conversations, conversations, cpuMs / 1000, total);
    System.out.println("| part | share of the server's CPU | ms per routed conversation |");
    System.out.println("|---|---:|---:|");
    for (Map.Entry<String, Long> s : samples.entrySet()) {
      double ms = total == 0 ? 0 : javaMs * s.getValue() / total;
      row("Java: " + s.getKey(), ms, cpuMs, conversations);
    }
    groupMs.forEach((g, ms) -> {
      if (!g.equals("Java threads")) row(g, ms, cpuMs, conversations);
    });
    row("**all**", cpuMs, cpuMs, conversations);
  }

  private static void row(String name, double ms, double cpuMs, long conversations) {
    System.out.printf("| %s | %.1f %% | %.3f |%n", name, 100 * ms / cpuMs, ms / conversations);
  }

  static String categoryOf(RecordedStackTrace stack) {
    if (stack == null) return OTHER;
    List<RecordedFrame> frames = stack.getFrames(); // the leaf first
    for (Map.Entry<String, List<String>> c : CONTEXTS.entrySet()) {
      for (RecordedFrame f : frames) {
        if (matches(f, c.getValue())) return c.getKey();
      }
    }
    for (RecordedFrame f : frames) {
      for (Map.Entry<String, List<String>> c : LEAVES.entrySet()) {
        if (matches(f, c.getValue())) return c.getKey();
      }
    }
    return OTHER;
  }

  private static boolean matches(RecordedFrame f, List<String> prefixes) {
    String type = f.getMethod().getType().getName();
    for (String prefix : prefixes) {
      if (type.startsWith(prefix)) return true;
    }
    return false;
  }

  static String groupOf(String thread) {
    if (thread.startsWith("GC Thread") || thread.startsWith("G1 ")) return "GC";
    if (thread.startsWith("C1 Compiler") || thread.startsWith("C2 Compiler")) return "JIT compiler";
    if (thread.startsWith("JFR ")) return "JFR (the profiler itself)";
    if (thread.startsWith("VM ") || thread.equals("Signal Dispatch") || thread.startsWith("Service Thread")
        || thread.startsWith("Monitor Deflati") || thread.startsWith("Sweeper") || thread.startsWith("Common-Cleaner")
        || thread.equals("Reference Handl") || thread.equals("Finalizer")) {
      return "other JVM threads";
    }
    return "Java threads";
  }

  /** {@code name<TAB>tid<TAB>ticks} lines → ticks by {@code name<TAB>tid}. */
  private static Map<String, Long> threads(Path file) throws IOException {
    Map<String, Long> m = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      String[] f = line.split("\t");
      if (f.length == 3) m.put(f[0] + "\t" + f[1], Long.parseLong(f[2]));
    }
    return m;
  }
}

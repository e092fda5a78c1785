package io.switchboard.loadtest;

import io.switchboard.gateway.fault.FaultRun;
import io.switchboard.gateway.fault.FaultRun.Report;
import io.switchboard.gateway.fault.FaultRun.Settings;
import io.switchboard.gateway.fault.FaultRun.Stop;
import io.switchboard.gateway.fault.FaultRun.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fault test, long (the short one is http-gateway's {@code FaultIT}, the same harness): the real
 * {@code switchboard.jar} in child processes on one store, {@code -Dbench.messages} (5,000) messages from
 * {@code -Dbench.customers} (6) client threads, the node stopped {@code -Dbench.term} (5) times with SIGTERM
 * and {@code -Dbench.kill} (5) times with SIGKILL, alternating, at evenly spaced points of the stream, each
 * time started again on the same store and checked ({@link FaultRun}). One {@code STOP} line per stop, one
 * {@code RESULT} line; fails (exception) on any violation.
 *
 * <pre>
 * mvn -q -pl load-tests exec:java -Dbench.main=io.switchboard.loadtest.FaultBenchmark -Dexec.args="h2|postgres"
 * </pre>
 */
final class FaultBenchmark {
  private FaultBenchmark() {}

  public static void main(String[] args) {
    Store store = args.length > 0 && args[0].equalsIgnoreCase("postgres") ? Store.POSTGRES : Store.H2;
    int terms = Integer.getInteger("bench.term", 5);
    int kills = Integer.getInteger("bench.kill", 5);
    List<Stop> stops = new ArrayList<>();
    for (int i = 0; i < Math.max(terms, kills); i++) {
      if (i < terms) stops.add(Stop.TERM);
      if (i < kills) stops.add(Stop.KILL);
    }
    Path jar = jar();
    Path dir = Files.isDirectory(Path.of("load-tests")) ? Path.of("load-tests", "target", "fault") : Path.of("target", "fault");
    Settings settings = Settings.of(store, stops, Integer.getInteger("bench.messages", 5000), jar, dir)
        .withCustomers(Integer.getInteger("bench.customers", 6));
    String heap = System.getProperty("bench.child-heap", "1g");
    List<String> jvm = new ArrayList<>(List.of("-Xms256m", "-Xmx" + heap,
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2"));
    String extra = System.getProperty("bench.child-opts", "").trim(); // e.g. a logback file tracing the shutdown
    if (!extra.isEmpty()) jvm.addAll(List.of(extra.split("\\s+")));
    settings = settings.withJvmOptions(jvm);
    Report r = FaultRun.run(settings);
    if (!r.violations().isEmpty()) {
      throw new IllegalStateException(r.violations().size() + " violations (listed above); logs in " + r.dir());
    }
  }

  /** {@code -Dbench.jar}, else http-gateway/target/switchboard.jar from the repository root or load-tests. */
  private static Path jar() {
    String given = System.getProperty("bench.jar");
    if (given != null) return Path.of(given);
    for (Path p : List.of(Path.of("http-gateway", "target", "switchboard.jar"),
        Path.of("..", "http-gateway", "target", "switchboard.jar"))) {
      if (Files.isRegularFile(p)) return p.toAbsolutePath();
    }
    throw new IllegalStateException("http-gateway/target/switchboard.jar is missing: mvn -q -DskipTests package first"
        + " (or give -Dbench.jar)");
  }
}

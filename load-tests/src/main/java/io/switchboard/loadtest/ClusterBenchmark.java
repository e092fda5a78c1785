package io.switchboard.loadtest;

import io.switchboard.gateway.fault.ClusterRun;
import io.switchboard.gateway.fault.ClusterRun.Mode;
import io.switchboard.gateway.fault.ClusterRun.Report;
import io.switchboard.gateway.fault.ClusterRun.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Three real nodes of {@code switchboard.jar} as one cluster on PostgreSQL, traffic spread over all three
 * ({@link ClusterRun}, the fault test's harness): {@code kill} (one node gets {@code kill -9} mid-run,
 * {@code -Dbench.victim}, default 2; 1 is the oldest, holding the singletons and coordinators, and is started
 * again) or {@code rolling} (each node in turn SIGTERM, started again, waited for until ready).
 * Every start lists the three seed nodes in the same order, as README's commands do
 * ({@code -Dbench.restart-seeds-last=true}: a restarted node lists itself last).
 * {@code -Dbench.messages} (3,000) messages from {@code -Dbench.customers} (6) client threads. One
 * {@code CLUSTER} summary line; exit status 1 when a violation was found. Run by {@code load-tests/cluster.sh}.
 */
final class ClusterBenchmark {
  private ClusterBenchmark() {}

  public static void main(String[] args) {
    Mode mode = args.length > 0 && args[0].equalsIgnoreCase("rolling") ? Mode.ROLLING : Mode.KILL;
    Path jar = Path.of(System.getProperty("bench.jar", "http-gateway/target/switchboard.jar")).toAbsolutePath();
    if (!Files.isRegularFile(jar)) throw new IllegalStateException(jar + " is missing: mvn -q -DskipTests package first");
    Path dir = Path.of(System.getProperty("bench.dir", "load-tests/target/cluster"));
    Settings settings = Settings.of(mode, Integer.getInteger("bench.victim", 2), Integer.getInteger("bench.messages", 3000),
        jar, dir).withCustomers(Integer.getInteger("bench.customers", 6));
    String heap = System.getProperty("bench.child-heap", "512m");
    List<String> jvm = new ArrayList<>(List.of("-Xms128m", "-Xmx" + heap,
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2"));
    String extra = System.getProperty("bench.child-opts", "").trim(); // e.g. a logback file tracing sharding
    if (!extra.isEmpty()) jvm.addAll(List.of(extra.split("\\s+")));
    settings = settings.withJvmOptions(jvm);
    Report r = ClusterRun.run(settings);
    System.exit(r.violations().isEmpty() ? 0 : 1);
  }
}

package io.switchboard.gateway.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.fault.FaultRun.Report;
import io.switchboard.gateway.fault.FaultRun.Settings;
import io.switchboard.gateway.fault.FaultRun.Stop;
import io.switchboard.gateway.fault.FaultRun.StopFigures;
import io.switchboard.gateway.fault.FaultRun.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fault test, short: {@code target/switchboard.jar} as a child process on each store, a stream of
 * {@code -Dfault.messages} (300) messages, stopped once with SIGTERM and once with SIGKILL mid-stream and
 * started again on the same store ({@link FaultRun} says what is checked). Run by failsafe after the
 * package phase ({@code mvn verify}); the long version is load-tests' {@code FaultBenchmark}.
 */
class FaultIT {
  private static final Path JAR = Path.of(System.getProperty("fault.jar", "target/switchboard.jar"));
  private static final Path DIR = Path.of(System.getProperty("fault.dir", "target/fault"));
  private static final int MESSAGES = Integer.getInteger("fault.messages", 300);

  @Test
  void h2LosesNothingAcknowledgedToSigtermOrSigkill() {
    check(run(Store.H2));
  }

  @Test
  void postgresLosesNothingAcknowledgedToSigtermOrSigkill() {
    check(run(Store.POSTGRES));
  }

  private static Report run(Store store) {
    assertTrue(Files.isRegularFile(JAR), JAR + " is missing: it is built by mvn package");
    // C1 only, serial GC: the nodes start in a fraction of the time on 2 cores; what is checked is timing-free
    return FaultRun.run(Settings.of(store, List.of(Stop.TERM, Stop.KILL), MESSAGES, JAR, DIR).withJvmOptions(List.of(
        "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2")));
  }

  private static void check(Report r) {
    assertEquals(List.of(), r.violations(), r.summary() + " (logs in " + r.dir() + ")");
    assertEquals(2, r.stops().size(), r.summary());
    assertTrue(r.acked() > MESSAGES / 2, "most messages acknowledged: " + r.summary());
    assertEquals(0, r.lost(), r.summary());
    assertEquals(0, r.doubleAssignments(), r.summary());
    assertEquals(0, r.capacityOvershoots(), r.summary());
    long replies = 0;
    long resolves = 0;
    int armed = 0;
    for (StopFigures f : r.stops()) {
      String line = f.line(r.settings().store());
      assertTrue(f.ackedBefore() > 0, line);
      assertEquals(0, f.lost(), line);
      assertEquals(0, f.resolvesLost(), line);
      assertEquals(0, f.repliesLost(), line);
      assertEquals(f.windowsArmed(), f.windowsFired(), line);
      if (f.stop() == Stop.TERM) {
        assertNotNull(f.exitS(), "exited after SIGTERM: " + line);
        assertEquals(0, f.afterStop().getOrDefault("timed_out", 0), line);
      }
      replies += f.repliesAcked();
      resolves += f.resolvesAcked();
      armed += f.windowsArmed();
    }
    // the checks had something to check
    assertTrue(replies > 0 && resolves > 0 && armed > 0, "replies, resolves and armed windows before the stops: "
        + replies + ", " + resolves + ", " + armed);
  }
}

package io.switchboard.gateway.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One Switchboard node as a user runs it: {@code java -jar switchboard.jar} in a child process, configured
 * through the environment, its output in a file. Every node still running when the JVM exits is killed
 * (a failed or interrupted run leaves no process behind).
 */
final class Node {
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "fault-nodes"));
  }

  final int number;
  final int port;
  final Path log;
  final long startedAt;
  private final Process process;

  private Node(int number, int port, Path log, long startedAt, Process process) {
    this.number = number;
    this.port = port;
    this.log = log;
    this.startedAt = startedAt;
    this.process = process;
  }

  /**
   * Starts node {@code number} on free HTTP and cluster ports.
   *
   * @param env the store's and the bootstrap file's settings ({@code SWITCHBOARD_*})
   */
  static Node start(int number, Path jar, List<String> jvmOptions, Map<String, String> env, Path dir) {
    return start(number, "node-" + number, jar, jvmOptions, env, dir, freePort(), freePort());
  }

  /**
   * Starts node {@code number} on the given HTTP and cluster ports (a cluster's nodes know each other's cluster
   * ports; a restarted node keeps its own), its output in {@code <logName>.log}.
   */
  static Node start(int number, String logName, Path jar, List<String> jvmOptions, Map<String, String> env, Path dir,
      int port, int clusterPort) {
    Path log = dir.resolve(logName + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-jar", jar.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    // only what this run sets: a SWITCHBOARD_* of the caller's shell must not point the node elsewhere
    pb.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    Map<String, String> all = new HashMap<>(env);
    all.put("SWITCHBOARD_HOST", "127.0.0.1");
    all.put("SWITCHBOARD_PORT", Integer.toString(port));
    all.put("SWITCHBOARD_CLUSTER_HOST", "127.0.0.1");
    all.put("SWITCHBOARD_CLUSTER_PORT", Integer.toString(clusterPort));
    all.put("SWITCHBOARD_MANAGEMENT_PORT", "0");
    pb.environment().putAll(all);
    try {
      long at = System.nanoTime();
      Process p = pb.start();
      LIVE.add(p);
      return new Node(number, port, log, at, p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + cmd, e);
    }
  }

  String base() {
    return "http://127.0.0.1:" + port;
  }

  boolean alive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** {@code kill -9}: the JVM gets no chance to run anything. */
  void kill() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(30));
  }

  /**
   * {@code kill -TERM} ({@link Process#destroy} sends SIGTERM on Linux): the node's shutdown hooks run.
   *
   * @return how long it took to exit, or null when it did not within {@code bound} (it is killed then)
   */
  Duration term(Duration bound) {
    long t0 = System.nanoTime();
    process.destroy();
    if (awaitExit(bound)) return Duration.ofNanos(System.nanoTime() - t0);
    kill();
    return null;
  }

  /** Kills the node if it still runs (the end of a run, whatever happened). */
  void destroy() {
    if (process.isAlive()) kill();
    LIVE.remove(process);
  }

  private boolean awaitExit(Duration bound) {
    try {
      boolean exited = process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
      if (exited) LIVE.remove(process);
      return exited;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      return false;
    }
  }

  /** The last {@code lines} lines of the node's output. */
  String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /** A port free now (the OS picks it); the node binds it a moment later. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

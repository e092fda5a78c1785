package io.switchboard.gateway;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of the test's own (initdb and pg_ctl of the installed server), in a temporary
 * directory, on a free port of 127.0.0.1 with trust authentication, so a test can stop and start its
 * store without touching the shared server on 5432. Run as user {@code postgres} when the test runs
 * as root (the server refuses to run as root).
 */
final class OwnPostgres implements AutoCloseable {
  private final Path bin;
  private final Path dir;
  private final Path data;
  final int port;

  private OwnPostgres(Path bin, Path dir, int port) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.port = port;
  }

  /** Creates the cluster and starts it; fails (never skips) when the PostgreSQL server is not installed. */
  static OwnPostgres start() throws IOException {
    Path bin = serverBin();
    Path dir = Files.createTempDirectory("switchboard-own-pg");
    if (asRoot()) {
      UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(dir, postgres);
    }
    OwnPostgres pg = new OwnPostgres(bin, dir, freePort());
    pg.run(bin.resolve("initdb").toString(), "-D", pg.data.toString(), "-A", "trust", "-U", "postgres",
        "-E", "UTF8", "--no-sync");
    pg.startServer();
    return pg;
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  /** Starts the server and returns once it accepts connections. */
  void startServer() {
    run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log").toString(), "-w",
        "-t", "60", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1", "start");
  }

  /** Stops the server the way an operator does (fast: disconnects every client), once it is down. */
  void stopServer() {
    run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "-t", "60", "stop");
  }

  @Override
  public void close() throws IOException {
    try {
      if (Files.exists(data.resolve("postmaster.pid"))) {
        run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop");
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
  }

  private void run(String... command) {
    List<String> cmd = new ArrayList<>();
    if (asRoot()) cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    cmd.addAll(List.of(command));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).directory(dir.toFile()).start();
      boolean done = p.waitFor(90, TimeUnit.SECONDS);
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!done) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", cmd) + " did not finish in 90 s: " + out);
      }
      if (p.exitValue() != 0) {
        String log = Files.exists(dir.resolve("server.log")) ? Files.readString(dir.resolve("server.log")) : "";
        throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out + log);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The newest installed server's bin directory (Debian: /usr/lib/postgresql/VERSION/bin). */
  private static Path serverBin() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    List<Path> bins = new ArrayList<>();
    if (Files.isDirectory(root)) {
      try (Stream<Path> versions = Files.list(root)) {
        versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb"))
            && Files.isExecutable(b.resolve("pg_ctl"))).forEach(bins::add);
      }
    }
    if (bins.isEmpty()) {
      throw new IllegalStateException("this test starts a PostgreSQL cluster of its own and needs the server's initdb "
          + "and pg_ctl in /usr/lib/postgresql/<version>/bin (Debian: apt-get install postgresql); none found");
    }
    bins.sort(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString()
        .replaceAll("\\D.*", "0"))));
    return bins.get(bins.size() - 1);
  }

  private static boolean asRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}

package io.switchboard.gateway.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import io.switchboard.persistence.StoreSettings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How this node joins its cluster, decided before the actor system starts: the seed nodes
 * ({@code switchboard.cluster.seed-nodes}, from {@code SWITCHBOARD_SEED_NODES}, a comma-separated list
 * that replaces {@code pekko.cluster.seed-nodes} when set), and the refusal to run a cluster of more than
 * one node on the H2 store.
 */
public final class ClusterConfig {
  private ClusterConfig() {}

  private static final Pattern SEED = Pattern.compile("pekko://([^@/]+)@([^:/]+):(\\d+)");

  /** Thrown when the node must not start: the message says why and what to change. */
  public static final class RefusedException extends IllegalStateException {
    public RefusedException(String message) {
      super(message);
    }
  }

  /**
   * {@code app} with {@code pekko.cluster.seed-nodes} replaced by {@code switchboard.cluster.seed-nodes}
   * when that is not empty; every seed node checked ({@code pekko://<system-name>@host:port}).
   *
   * @throws IllegalArgumentException naming a malformed seed node or one of another actor system
   */
  public static Config withSeedNodes(Config app) {
    String listed = app.hasPath("switchboard.cluster.seed-nodes") ? app.getString("switchboard.cluster.seed-nodes") : "";
    Config config = app;
    if (!listed.isBlank()) {
      List<String> seeds = new ArrayList<>();
      Arrays.stream(listed.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(seeds::add);
      config = app.withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds));
    }
    String system = config.getString("switchboard.system-name");
    for (String seed : config.getStringList("pekko.cluster.seed-nodes")) {
      Matcher m = SEED.matcher(seed);
      if (!m.matches()) {
        throw new IllegalArgumentException("seed node '" + seed + "' is not pekko://" + system + "@host:port "
            + "(SWITCHBOARD_SEED_NODES is a comma-separated list of them)");
      }
      if (!m.group(1).equals(system)) {
        throw new IllegalArgumentException("seed node '" + seed + "' names actor system '" + m.group(1)
            + "', but every node of this cluster is '" + system + "' (switchboard.system-name)");
      }
    }
    return config;
  }

  /** The seed nodes that are not this node itself ({@code pekko.remote.artery.canonical} host and port). */
  static List<String> otherSeedNodes(Config config) {
    String host = config.getString("pekko.remote.artery.canonical.hostname");
    int port = config.getInt("pekko.remote.artery.canonical.port");
    List<String> others = new ArrayList<>();
    for (String seed : config.getStringList("pekko.cluster.seed-nodes")) {
      Matcher m = SEED.matcher(seed);
      boolean self = m.matches() && m.group(2).equals(host) && port != 0 && Integer.parseInt(m.group(3)) == port;
      if (!self) others.add(seed);
    }
    return others;
  }

  /**
   * Refuses a cluster of more than one node on H2: its file belongs to one process, so a second node would
   * have a store of its own and the two would each run the same entities (two writers, two histories).
   * A node whose seed nodes name another node is refused here; a member joining a running H2 node later
   * stops that node ({@link SingleNodeGuard}).
   *
   * @throws RefusedException on H2 with seed nodes other than this node itself
   */
  public static void refuseH2Cluster(StoreSettings store, Config config) {
    if (store.kind() != StoreSettings.Kind.H2) return;
    List<String> others = otherSeedNodes(config);
    if (!others.isEmpty()) {
      throw new RefusedException(h2Refusal("its seed nodes name other nodes " + others));
    }
  }

  static String h2Refusal(String why) {
    return "refusing to run a cluster of more than one node on the H2 store: " + why + ", but H2 is one process's "
        + "file and each node would have a store of its own. Run every node on PostgreSQL "
        + "(SWITCHBOARD_STORE=postgres, SWITCHBOARD_PG_URL), or this node alone (no SWITCHBOARD_SEED_NODES)";
  }
}

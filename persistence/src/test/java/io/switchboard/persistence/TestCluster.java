package io.switchboard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.switchboard.Directory;
import io.switchboard.Outcome;
import io.switchboard.RouterCore;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.persistence.readmodel.ReadModels;
import io.switchboard.team.Team;
import io.switchboard.testkit.Invariants.Snapshot;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Several Switchboard nodes in one JVM, each its own actor system (Artery on port 0) running the entities,
 * the read models and their wake-up keeper as the gateway does, all on one fresh PostgreSQL database created
 * for the run and dropped at its end. A node can be killed: its system terminates without leaving the
 * cluster (no CoordinatedShutdown, so no shard hand-off), and a survivor downs it, as the split brain resolver
 * would after a {@code kill -9}.
 */
final class TestCluster implements AutoCloseable {
  static final Duration ANSWER = Duration.ofSeconds(30);
  private static final String ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";

  /** One node: its actor system, its directory (sharding) and its read models. */
  record Node(int number, ActorTestKit kit, Directory directory, ReadModels readModels) {
    Address address() {
      return Cluster.get(kit.system()).selfMember().address();
    }

    @Override
    public String toString() {
      return "node " + number + " (" + address() + ")";
    }
  }

  final String database;
  final StoreSettings store;
  private final String extraConfig;
  private final List<Node> live = new ArrayList<>();
  private int started;

  /**
   * @param extraConfig the test's own settings, over those below
   */
  TestCluster(String name, String extraConfig) {
    this.extraConfig = extraConfig;
    this.database = name + "_" + Long.toUnsignedString(System.nanoTime(), 36);
    reasked.set(0);
    sql(ADMIN_URL, "CREATE DATABASE " + database);
    // a few connections per node: PostgreSQL here allows 100 in all, shared with other tests
    store = StoreSettings.from(ConfigFactory.parseString("""
            switchboard.persistence {
              store = postgres
              postgres.url = "jdbc:postgresql://127.0.0.1:5432/%s"
              postgres.schema = "public"
              pool-size = 3
              read-pool-size = 1
            }
            """.formatted(database)).withFallback(ConfigFactory.load()));
    // once, before any node: concurrent creation by several nodes is the cluster's own problem (issue 13)
    Store.createSchema(store);
  }

  List<Node> live() {
    return List.copyOf(live);
  }

  /** The oldest member still running (it holds the cluster singletons and the shard coordinators). */
  Node oldest() {
    Cluster c = Cluster.get(live.get(0).kit().system());
    Address oldest = null;
    org.apache.pekko.cluster.Member best = null;
    for (org.apache.pekko.cluster.Member m : c.state().getMembers()) {
      if (m.status() != MemberStatus.up()) continue;
      if (best == null || m.isOlderThan(best)) best = m;
    }
    oldest = best.address();
    for (Node n : live) if (n.address().equals(oldest)) return n;
    throw new AssertionError("the oldest member " + oldest + " is not a live node");
  }

  /** Starts a node, joins it to the first live one (or to itself) and waits until every live node sees it up. */
  Node start() {
    int number = ++started;
    Config config = Store.pekkoConfig(store)
        .withFallback(ConfigFactory.parseString(extraConfig))
        .withFallback(ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
            pekko.actor.serialize-messages = on
            pekko.cluster.jmx.enabled = off
            pekko.loglevel = WARNING
            pekko.log-dead-letters = off
            # the runnable node's settings (http-gateway's application.conf)
            pekko.cluster.sharding {
              remember-entities-store = eventsourced
              state-store-mode = ddata
              distributed-data.durable.keys = []
              waiting-for-state-timeout = 30s
              coordinator-failure-backoff = 200ms
              shard-failure-backoff = 1s
              entity-restart-backoff = 1s
              retry-interval = 500ms
            }
            pekko.cluster.down-removal-margin = 1s
            pekko.persistence.typed.stash-capacity = 100000
            switchboard.core.remember-agents-and-teams = on
            switchboard.core.passivate-after = 2m
            # The test's own: a node killed in the test is a system terminated without CoordinatedShutdown (no
            # leave, no hand-off); no split brain resolver: the test downs the node it killed.
            pekko.coordinated-shutdown.run-by-actor-system-terminate = off
            pekko.cluster.downing-provider-class = ""
            pekko.actor.testkit.typed.system-shutdown-default = 30s
            """)).withFallback(ConfigFactory.load());
    ActorTestKit kit = ActorTestKit.create("switchboard", config);
    Cluster cluster = Cluster.get(kit.system());
    Address seed = live.isEmpty() ? cluster.selfMember().address() : live.get(0).address();
    cluster.manager().tell(Join.create(seed));
    Directory directory = RouterCore.init(kit.system());
    ReadModels readModels = ReadModels.start(kit.system(), store);
    try {
      readModels.ready().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      kit.shutdownTestKit();
      readModels.close();
      throw new IllegalStateException("read models of node " + number + " did not start", e);
    }
    Node node = new Node(number, kit, directory, readModels);
    live.add(node);
    awaitMembers();
    return node;
  }

  /** Waits until every live node sees exactly the live nodes, all up. */
  void awaitMembers() {
    Set<Address> expected = new TreeSet<>(Address.addressOrdering());
    live.forEach(n -> expected.add(n.address()));
    for (Node n : live) {
      n.kit().createTestProbe().awaitAssert(ANSWER, Duration.ofMillis(100), () -> {
        Set<Address> up = new TreeSet<>(Address.addressOrdering());
        Cluster.get(n.kit().system()).state().getMembers().forEach(m -> {
          if (m.status() == MemberStatus.up()) up.add(m.address());
        });
        assertEquals(expected, up, n + " sees the members up");
        return null;
      });
    }
  }

  /**
   * Kills {@code victim}: its actor system terminates at once (nothing is handed off, nothing leaves), then
   * {@code by} downs it. Returns once every survivor sees only the survivors.
   */
  void kill(Node victim, Node by) {
    Address address = victim.address();
    live.remove(victim);
    victim.kit().system().terminate();
    try {
      victim.kit().system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(victim + " did not terminate", e);
    }
    victim.readModels().close();
    Cluster.get(by.kit().system()).manager().tell(new Down(address));
    awaitMembers();
  }

  /** The conversations running on {@code node} now. */
  static Set<String> runningConversations(Node node) {
    return running(node, Conversation.ENTITY_TYPE_KEY);
  }

  /** The entities of {@code type} running on {@code node} now. */
  static Set<String> running(Node node, org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey<?> type) {
    TestProbe<CurrentShardRegionState> probe = node.kit().createTestProbe(CurrentShardRegionState.class);
    ClusterSharding.get(node.kit().system()).shardState().tell(new GetShardRegionState(type, probe.ref()));
    Set<String> ids = new TreeSet<>();
    probe.expectMessageClass(CurrentShardRegionState.class, ANSWER).getShards()
        .forEach(shard -> ids.addAll(shard.getEntityIds()));
    return ids;
  }

  static Outcome ask(Node n, Consumer<ActorRef<Outcome>> send) {
    TestProbe<Outcome> probe = n.kit().createTestProbe(Outcome.class);
    send.accept(probe.ref());
    return probe.expectMessageClass(Outcome.class, ANSWER);
  }

  /** Views asked again because no answer came within {@link #RETRY} (lost with a dead node's shard). */
  static final java.util.concurrent.atomic.AtomicInteger reasked = new java.util.concurrent.atomic.AtomicInteger();
  private static final Duration RETRY = Duration.ofSeconds(3);

  /**
   * Every entity's view, asked through {@code n}; {@code now} is when the asking began. A view not answered
   * within 3 s is asked again (a message sent to a shard of a dead node before its shards moved is lost, as
   * Cluster Sharding documents; the gateway's clients retry the same way), for at most 30 s.
   */
  static Snapshot snapshot(Node n, Collection<String> convs, Collection<String> agents, Collection<String> teams) {
    Instant now = Instant.now();
    Map<String, Conversation.View> cs = gather(n, Conversation.View.class, convs,
        (id, r) -> n.directory().conversation(id, new Conversation.Get(r)), Conversation.View::conversationId);
    Map<String, Agent.View> as = gather(n, Agent.View.class, agents,
        (id, r) -> n.directory().agent(id, new Agent.Get(r)), Agent.View::agentId);
    Map<String, Team.View> ts = gather(n, Team.View.class, teams,
        (id, r) -> n.directory().team(id, new Team.Get(r)), Team.View::teamId);
    return new Snapshot(now, cs, as, ts);
  }

  private static <V> Map<String, V> gather(Node n, Class<V> type, Collection<String> ids,
      java.util.function.BiConsumer<String, ActorRef<V>> send, java.util.function.Function<V, String> idOf) {
    Map<String, V> out = new HashMap<>();
    long end = System.nanoTime() + ANSWER.toNanos();
    boolean first = true;
    while (out.size() < ids.size()) {
      List<String> missing = ids.stream().filter(id -> !out.containsKey(id)).toList();
      if (System.nanoTime() > end) throw new AssertionError("no view of " + missing + " through " + n + " within " + ANSWER);
      if (!first) reasked.addAndGet(missing.size());
      first = false;
      TestProbe<V> probe = n.kit().createTestProbe(type);
      missing.forEach(id -> send.accept(id, probe.ref()));
      long roundEnd = System.nanoTime() + RETRY.toNanos();
      while (out.size() < ids.size() && System.nanoTime() < roundEnd) {
        try {
          V v = probe.receiveMessage(Duration.ofNanos(Math.max(1, roundEnd - System.nanoTime())));
          out.put(idOf.apply(v), v);
        } catch (AssertionError timedOut) {
          break;
        }
      }
      probe.stop();
    }
    return out;
  }

  /** The events of {@code persistenceId} in the journal, read through {@code n}'s read journal (nothing is started). */
  static List<Object> events(Node n, String persistenceId) {
    JdbcReadJournal journal = PersistenceQuery.get(n.kit().system())
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    try {
      return journal.currentEventsByPersistenceId(persistenceId, 0L, Long.MAX_VALUE)
          .map(EventEnvelope::event).runWith(Sink.seq(), n.kit().system())
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the events of " + persistenceId, e);
    }
  }

  @Override
  public void close() {
    for (Node n : List.copyOf(live)) {
      n.kit().shutdownTestKit();
      n.readModels().close();
    }
    live.clear();
    sql(ADMIN_URL, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
  }

  private static void sql(String url, String statement) {
    try (Connection con = DriverManager.getConnection(url, "postgres", ""); Statement st = con.createStatement()) {
      st.execute(statement);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL at " + url + ": " + statement + ": " + e.getMessage(), e);
    }
  }
}

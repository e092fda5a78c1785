package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.switchboard.gateway.cluster.ClusterConfig;
import io.switchboard.gateway.cluster.SingleNodeGuard;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.Test;

/**
 * The node's cluster operations (issue 13): readiness waits for Up and registered shard regions, Pekko
 * Management answers the members and shards, the cluster metrics, seed nodes from the environment's list,
 * and a node on H2 refuses to be one of several.
 */
class ClusterOpsTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void readinessWaitsForUpAndForEveryShardRegionToRegister() {
    assertTrue(Gateway.notReadyInCluster(MemberStatus.joining(), List.of()).contains("not yet an Up member"));
    assertTrue(Gateway.notReadyInCluster(MemberStatus.weaklyUp(), List.of()).contains("not yet an Up member"));
    String regions = Gateway.notReadyInCluster(MemberStatus.up(), List.of("Agent", "Team"));
    assertTrue(regions.contains("shard regions not yet registered") && regions.contains("Agent"), regions);
    assertNull(Gateway.notReadyInCluster(MemberStatus.up(), List.of()));
  }

  @Test
  void aSingleNodeIsReadyAndManagementAnswersMembersAndShardsAndMetricsCountThem() throws Exception {
    try (TestGateway gw = new TestGateway("")) {
      TestProbe<Object> probe = TestProbe.create(gw.gateway.system());
      probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100),
          () -> {
            assertEquals(200, gw.call("GET", "/health/ready", null, null).status());
            return null;
          });
      int management = gw.gateway.managementPort();
      assertTrue(management > 0, "management port " + management);

      JsonNode members = TestGateway.JSON.readTree(get(management, "/cluster/members"));
      assertEquals(1, members.get("members").size(), members.toString());
      assertEquals("Up", members.get("members").get(0).get("status").asText(), members.toString());
      assertEquals(members.get("selfNode").asText(), members.get("leader").asText());
      assertEquals(0, members.get("unreachable").size());

      // an agent's entity runs on this node's Agent region: the shards endpoint and the metrics show it
      String key = gw.tenant("ops", Map.of());
      assertEquals(200, gw.call("PUT", "/v1/tenants/ops/agents/a1", key,
          Map.of("capacity", Map.of("*", 1))).status());
      probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(200), () -> {
        JsonNode shards = TestGateway.JSON.readTree(get(management, "/cluster/shards/Agent"));
        // {"regions": [{"shardId": ..., "numEntities": ...}]}: the shards of this node's region
        assertTrue(shards.path("regions").size() >= 1
            && shards.path("regions").get(0).path("numEntities").asInt() >= 1, shards.toString());
        return null;
      });
      probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(200), () -> {
        String metrics = gw.call("GET", "/metrics", null, null).raw();
        assertTrue(metrics.contains("switchboard_cluster_members{status=\"up\"} 1.0"), metrics);
        assertTrue(metrics.contains("switchboard_cluster_unreachable_members 0.0"), metrics);
        assertTrue(metrics.matches("(?s).*switchboard_shard_region_entities\\{region=\"Agent\"} [1-9].*"), metrics);
        assertTrue(metrics.matches("(?s).*switchboard_shard_region_shards_arrived_total\\{region=\"Agent\"} [1-9].*"),
            metrics);
        return null;
      });
    }
  }

  @Test
  void aNodeThatCannotJoinItsSeedNodesIsNotReadyAndAnswersItsApi503AtOnce() throws Exception {
    String url = System.getenv().getOrDefault("SWITCHBOARD_TEST_PG_URL",
        "jdbc:postgresql://127.0.0.1:5432/switchboard_test");
    String schema = "cluster_ops_" + Long.toUnsignedString(System.nanoTime(), 36);
    // a seed node nobody listens on: this node never becomes a member
    String seed = "pekko://switchboard@127.0.0.1:" + freePort();
    try (TestGateway gw = new TestGateway("""
        switchboard.persistence.store = postgres
        switchboard.persistence.postgres.url = "%s"
        switchboard.persistence.postgres.schema = "%s"
        switchboard.cluster.seed-nodes = "%s"
        """.formatted(url, schema, seed), false)) {
      TestGateway.Answer ready = gw.call("GET", "/health/ready", null, null);
      assertEquals(503, ready.status(), ready.raw());
      assertTrue(ready.raw().contains("not yet an Up member"), ready.raw());
      // the API: refused at once by the node (not after the ask timeout, which says "not answered")
      TestGateway.Answer api = gw.call("GET", "/v1/admin/tenants/acme", TestGateway.ADMIN, null);
      assertEquals(503, api.status(), api.raw());
      assertEquals("unavailable", api.error());
      assertTrue(api.text("message").contains("not serving yet: not yet an Up member"), api.raw());
      assertTrue(api.headers().firstValue("Retry-After").isPresent(), "Retry-After");
      assertEquals(200, gw.call("GET", "/v1/openapi.json", null, null).status(), "the API's document still answers");
      // the same after a few seconds of trying to join (the readiness is not a one-off)
      TestProbe<Object> probe = TestProbe.create(gw.gateway.system());
      probe.expectNoMessage(Duration.ofSeconds(2));
      assertEquals(503, gw.call("GET", "/health/ready", null, null).status());
    } finally {
      try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
    }
  }

  @Test
  void aNodeOnH2WithSeedNodesNamingOtherNodesRefusesToStartSayingWhy() throws Exception {
    Path dir = Files.createTempDirectory("h2-cluster");
    Config config = ConfigFactory.parseMap(Map.of(
            "switchboard.persistence.store", "h2",
            "switchboard.persistence.h2.dir", dir.resolve("h2").toString(),
            "switchboard.cluster.seed-nodes", "pekko://switchboard@127.0.0.1:25520, pekko://switchboard@127.0.0.1:25521",
            "pekko.remote.artery.canonical.port", 25520))
        .withFallback(ConfigFactory.load());
    ClusterConfig.RefusedException e = assertThrows(ClusterConfig.RefusedException.class, () -> Gateway.start(config));
    assertTrue(e.getMessage().contains("H2") && e.getMessage().contains("pekko://switchboard@127.0.0.1:25521")
        && e.getMessage().contains("SWITCHBOARD_STORE=postgres"), e.getMessage());
    assertTrue(Files.notExists(dir.resolve("h2")), "the store is not touched");
    // naming only itself is a cluster of one: allowed
    Config self = ConfigFactory.parseMap(Map.of("switchboard.cluster.seed-nodes", "pekko://switchboard@127.0.0.1:25520"))
        .withFallback(config);
    ClusterConfig.refuseH2Cluster(io.switchboard.persistence.StoreSettings.from(self), ClusterConfig.withSeedNodes(self));
  }

  @Test
  void aMemberJoiningANodeOnH2StopsThatNodeWithItsOwnReason() throws Exception {
    try (TestGateway gw = new TestGateway("")) {
      ActorSystem<Void> node = gw.gateway.system();
      TestProbe.create(node).awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
        assertEquals(MemberStatus.up(), Cluster.get(node).selfMember().status());
        return null;
      });
      ActorSystem<Void> other = ActorSystem.create(Behaviors.empty(), "switchboard", ConfigFactory.parseMap(Map.of(
          "pekko.remote.artery.canonical.port", 0, "pekko.loglevel", "WARNING")).withFallback(ConfigFactory.load()));
      try {
        Cluster.get(other).manager().tell(Join.create(Cluster.get(node).selfMember().address()));
        node.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals(java.util.Optional.of(SingleNodeGuard.REASON),
            org.apache.pekko.actor.CoordinatedShutdown.get(node).getShutdownReason());
      } finally {
        other.terminate();
        other.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void seedNodesComeFromACommaSeparatedListAndAreChecked() {
    Config base = ConfigFactory.load();
    Config c = ClusterConfig.withSeedNodes(ConfigFactory.parseMap(Map.of("switchboard.cluster.seed-nodes",
        " pekko://switchboard@10.0.0.1:25520 ,pekko://switchboard@10.0.0.2:25521")).withFallback(base));
    assertEquals(List.of("pekko://switchboard@10.0.0.1:25520", "pekko://switchboard@10.0.0.2:25521"),
        c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(List.of(), ClusterConfig.withSeedNodes(base).getStringList("pekko.cluster.seed-nodes"));
    IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> ClusterConfig.withSeedNodes(
        ConfigFactory.parseMap(Map.of("switchboard.cluster.seed-nodes", "pekko://other@10.0.0.1:25520")).withFallback(base)));
    assertTrue(other.getMessage().contains("switchboard.system-name"), other.getMessage());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ClusterConfig.withSeedNodes(
        ConfigFactory.parseMap(Map.of("switchboard.cluster.seed-nodes", "10.0.0.1:25520")).withFallback(base)));
    assertNotNull(bad.getMessage());
  }

  private static String get(int port, String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    return r.body();
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}

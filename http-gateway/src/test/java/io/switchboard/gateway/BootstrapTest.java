package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The example configuration files load, apply through the API's own checks, and bad ones are refused
 * clearly; so is a configuration that would passivate conversations with nothing to wake them.
 */
class BootstrapTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = new TestGateway("");
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void aNodeThatPassivatesConversationsDoesNotStartWithoutTheReadModelsThatWakeThem() {
    com.typesafe.config.Config noReadModels = com.typesafe.config.ConfigFactory
        .parseString("switchboard.read-models.enabled = off").withFallback(com.typesafe.config.ConfigFactory.load());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gateway.start(noReadModels));
    assertTrue(e.getMessage().contains("passivate-after"), e.getMessage());
  }

  @Test
  void theNodeIsNotReadyWhileItsBootstrapFileIsBeingApplied() {
    gw.eventually(() -> assertEquals(200, gw.call("GET", "/health/ready", null, null).status()));
    java.util.concurrent.CompletableFuture<Void> applying = new java.util.concurrent.CompletableFuture<>();
    gw.gateway.notReadyUntil(applying, "applying the bootstrap file tenants.json");
    TestGateway.Answer busy = gw.call("GET", "/health/ready", null, null);
    assertEquals(503, busy.status(), busy.raw());
    assertEquals("not_ready", busy.body().get("error").asText());
    assertEquals("applying the bootstrap file tenants.json", busy.body().get("message").asText());
    applying.complete(null);
    assertEquals(200, gw.call("GET", "/health/ready", null, null).status());

    java.util.concurrent.CompletableFuture<Void> failing = new java.util.concurrent.CompletableFuture<>();
    gw.gateway.notReadyUntil(failing, "applying the bootstrap file bad.json");
    failing.completeExceptionally(new IllegalArgumentException("team t1: no such agent a9"));
    TestGateway.Answer failed = gw.call("GET", "/health/ready", null, null);
    assertEquals(503, failed.status(), failed.raw());
    assertTrue(failed.body().get("message").asText().contains("no such agent a9"), failed.raw());
    gw.gateway.notReadyUntil(java.util.concurrent.CompletableFuture.completedFuture(null), "again");
    assertEquals(200, gw.call("GET", "/health/ready", null, null).status());
  }

  private static GatewaySettings settings() {
    return GatewaySettings.from(gw.gateway.system().settings().config());
  }

  @Test
  void theExampleFilesApplyAndTwiceChangesNothing() {
    for (String name : List.of("demo.json", "tenants.example.json")) {
      Bootstrap.File f = Bootstrap.read(Path.of("..", "examples", name));
      Bootstrap.Summary first = Bootstrap.apply(gw.gateway.system(), f, settings());
      assertEquals(first, Bootstrap.apply(gw.gateway.system(), f, settings()), name);
    }
    TestGateway.Answer team = gw.call("GET", "/v1/tenants/demo/teams/support", Demo.KEY, null);
    assertEquals(200, team.status(), team.raw());
    assertEquals(List.of("alice", "bob", "carol"), List.of(team.body().get("members").get(0).asText(),
        team.body().get("members").get(1).asText(), team.body().get("members").get(2).asText()));
    TestGateway.Answer sales = gw.call("GET", "/v1/tenants/acme/teams/sales", TestGateway.ADMIN, null);
    assertEquals("America/Sao_Paulo", sales.body().get("businessHours").get("zone").asText(), sales.raw());
    assertEquals("support", sales.body().get("overflowTeam").asText());
  }

  @Test
  void aBadFileIsRefusedNamingWhatIsWrong() {
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Bootstrap.parse(
        "{\"tenants\":[{\"id\":\"x\",\"teams\":{\"t\":{\"members\":[],\"strategy\":\"ROUND_ROBIN\",\"colour\":1}}}]}"
            .getBytes(StandardCharsets.UTF_8), "bad.json"));
    assertTrue(unknown.getMessage().contains("colour"), unknown.getMessage());
    Bootstrap.File badKey = Bootstrap.parse("{\"tenants\":[{\"id\":\"x\",\"apiKeys\":[{\"label\":\"l\",\"key\":\"secret\"}]}]}"
        .getBytes(StandardCharsets.UTF_8), "bad.json");
    IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
        () -> Bootstrap.apply(gw.gateway.system(), badKey, settings()));
    assertTrue(key.getMessage().contains("sb_x."), key.getMessage());
    Bootstrap.File badTeam = Bootstrap.parse(("{\"tenants\":[{\"id\":\"y\",\"teams\":{\"t\":{\"members\":[\"A B\"],"
        + "\"strategy\":\"MANUAL\"}}}]}").getBytes(StandardCharsets.UTF_8), "bad.json");
    IllegalArgumentException team = assertThrows(IllegalArgumentException.class,
        () -> Bootstrap.apply(gw.gateway.system(), badTeam, settings()));
    assertTrue(team.getMessage().contains("tenant y") && team.getMessage().contains("members"), team.getMessage());
  }
}

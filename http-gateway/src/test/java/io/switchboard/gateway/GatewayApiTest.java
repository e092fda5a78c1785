package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.TestGateway.Answer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The API through a real server and a real HTTP client: every endpoint, its errors, tenant isolation. */
class GatewayApiTest {
  static TestGateway gw;
  static String acme;
  static String globex;

  @BeforeAll
  static void start() {
    gw = new TestGateway("switchboard.gateway.max-body-size = 64 KiB");
    acme = gw.tenant("acme", Map.of("displayName", "ACME", "defaultTeam", "support", "verifyToken", "vt",
        "appSecret", "s3cret"));
    globex = gw.tenant("globex", Map.of("displayName", "Globex"));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static void eventually(Runnable check) {
    gw.eventually(check);
  }

  static void ok(Answer a) {
    assertTrue(a.status() >= 200 && a.status() < 300, a.status() + " " + a.raw());
  }

  static void error(int status, String code, Answer a) {
    assertEquals(status, a.status(), a.raw());
    assertEquals(code, a.error(), a.raw());
    assertNotNull(a.text("message"), a.raw());
  }

  // ---- operations ----

  @Test
  void healthAliveAnswersAtOnceAndReadyOnceTheStoreAndClusterAreUp() {
    assertEquals(200, gw.call("GET", "/health/alive", null, null).status());
    eventually(() -> assertEquals(200, gw.call("GET", "/health/ready", null, null).status()));
  }

  @Test
  void metricsArePrometheusText() {
    Answer a = gw.call("GET", "/metrics", null, null);
    assertEquals(200, a.status());
    assertTrue(a.raw().contains("switchboard_routing_latency"), a.raw());
  }

  // ---- admin ----

  @Test
  void theAdminApiNeedsTheAdminKey() {
    error(401, "unauthorized", gw.call("GET", "/v1/admin/tenants/acme", null, null));
    error(401, "unauthorized", gw.call("GET", "/v1/admin/tenants/acme", "wrong", null));
    error(401, "unauthorized", gw.call("GET", "/v1/admin/tenants/acme", acme, null));
  }

  @Test
  void aTenantIsCreatedUpdatedAndShownWithoutItsSecrets() {
    Answer created = gw.call("PUT", "/v1/admin/tenants/initech", TestGateway.ADMIN, Map.of("displayName", "Initech",
        "appSecret", "x", "webhookUrl", "http://127.0.0.1:9/hook", "webhookSecret", "y",
        "whatsappNumbers", Map.of("1234", "sales")));
    assertEquals(201, created.status(), created.raw());
    Answer updated = gw.call("PUT", "/v1/admin/tenants/initech", TestGateway.ADMIN, Map.of("displayName", "Initech 2"));
    assertEquals(200, updated.status(), updated.raw());
    Answer shown = gw.call("GET", "/v1/admin/tenants/initech", TestGateway.ADMIN, null);
    assertEquals("Initech 2", shown.text("displayName"));
    assertFalse(shown.body().get("appSecretSet").asBoolean());
    assertFalse(shown.raw().contains("\"x\""), "no secret is shown back");
    error(404, "not_found", gw.call("GET", "/v1/admin/tenants/nobody", TestGateway.ADMIN, null));
  }

  @Test
  void aTenantsSettingsAreValidated() {
    error(400, "invalid_request", gw.call("PUT", "/v1/admin/tenants/bad", TestGateway.ADMIN,
        Map.of("webhookUrl", "ftp://x")));
    error(400, "invalid_request", gw.call("PUT", "/v1/admin/tenants/bad", TestGateway.ADMIN,
        Map.of("webhookUrl", "http://example.com/hook")));
    error(400, "invalid_request", gw.call("PUT", "/v1/admin/tenants/Bad%20Name", TestGateway.ADMIN, Map.of()));
    error(400, "malformed_json", gw.call("PUT", "/v1/admin/tenants/bad", TestGateway.ADMIN, Map.of("colour", "red")));
  }

  @Test
  void anApiKeyWorksUntilRevokedAndIsShownOnlyOnce() {
    Answer key = gw.call("POST", "/v1/admin/tenants/globex/api-keys", TestGateway.ADMIN, Map.of("label", "ci"));
    assertEquals(201, key.status(), key.raw());
    String token = key.text("apiKey");
    assertTrue(token.startsWith("sb_globex."), token);
    ok(gw.call("GET", "/v1/tenants/globex/conversations", token, null));
    Answer listed = gw.call("GET", "/v1/admin/tenants/globex", TestGateway.ADMIN, null);
    assertFalse(listed.raw().contains(token.substring(token.lastIndexOf('.') + 1)), "the secret is not stored in clear");
    assertEquals(204, gw.call("DELETE", "/v1/admin/tenants/globex/api-keys/" + key.text("keyId"), TestGateway.ADMIN,
        null).status());
    error(401, "unauthorized", gw.call("GET", "/v1/tenants/globex/conversations", token, null));
    error(404, "not_found", gw.call("DELETE", "/v1/admin/tenants/globex/api-keys/" + key.text("keyId"),
        TestGateway.ADMIN, null));
  }

  // ---- isolation ----

  @Test
  void aKeyOfOneTenantGets404ForEverythingOfAnother() {
    error(404, "not_found", gw.call("GET", "/v1/tenants/globex/conversations", acme, null));
    error(404, "not_found", gw.call("PUT", "/v1/tenants/globex/teams/x", acme, Map.of("members", List.of(),
        "strategy", "ROUND_ROBIN")));
    error(404, "not_found", gw.call("POST", "/v1/tenants/globex/messages", acme, inbound("whatsapp", "1", "m1")));
    error(404, "not_found", gw.call("GET", "/v1/tenants/nobody/conversations", acme, null));
    error(401, "unauthorized", gw.call("GET", "/v1/tenants/acme/conversations", null, null));
    error(401, "unauthorized", gw.call("GET", "/v1/tenants/acme/conversations", "sb_acme.000000000000."
        + "A".repeat(43), null));
  }

  // ---- routing through the API ----

  static Map<String, Object> inbound(String channel, String contact, String messageId) {
    return Map.of("channel", channel, "contact", contact, "messageId", messageId, "type", "text", "text", "hello",
        "timestamp", Instant.now().toString());
  }

  @Test
  void aMessageIsRoutedToAnOnlineAgentAndShowsInTheReadModels() {
    ok(gw.call("PUT", "/v1/tenants/acme/agents/alice", acme, Map.of("capacity", Map.of("*", 2))));
    ok(gw.call("PUT", "/v1/tenants/acme/agents/alice/presence", acme, Map.of("presence", "ONLINE")));
    Answer team = gw.call("PUT", "/v1/tenants/acme/teams/support", acme, Map.of("members", List.of("alice"),
        "strategy", "ROUND_ROBIN", "replyWindow", "PT5M"));
    assertEquals(200, team.status(), team.raw());
    assertEquals(List.of("alice"), List.of(team.body().get("members").get(0).asText()));

    Answer in = gw.call("POST", "/v1/tenants/acme/messages", acme, inbound("whatsapp", "+5511000000001", "wamid.1"));
    assertEquals(202, in.status(), in.raw());
    assertEquals("accepted", in.text("status"));
    assertEquals("whatsapp:+5511000000001", in.text("conversation"));
    Answer again = gw.call("POST", "/v1/tenants/acme/messages", acme, inbound("whatsapp", "+5511000000001", "wamid.1"));
    assertEquals("duplicate", again.text("status"), again.raw());

    eventually(() -> {
      Answer c = gw.call("GET", "/v1/tenants/acme/conversations/whatsapp:+5511000000001", acme, null);
      assertEquals("ASSIGNED", c.text("status"), c.raw());
      assertEquals("alice", c.text("agent"));
      assertEquals("support", c.text("team"));
      assertEquals(1, c.body().get("messages").asInt(), "the duplicate was not stored twice");
    });
    eventually(() -> {
      Answer open = gw.call("GET", "/v1/tenants/acme/agents/alice/conversations", acme, null);
      assertEquals(1, open.body().size(), open.raw());
      assertEquals("whatsapp:+5511000000001", open.body().get(0).get("conversation").asText());
    });
    Answer reply = gw.call("POST", "/v1/tenants/acme/conversations/whatsapp:+5511000000001/replies", acme,
        Map.of("agent", "alice", "text", "hi, how can I help?"));
    assertEquals(202, reply.status(), reply.raw());
    error(409, "not_assigned", gw.call("POST", "/v1/tenants/acme/conversations/whatsapp:+5511000000001/replies",
        acme, Map.of("agent", "bob", "text", "me too")));
    Answer resolved = gw.call("POST", "/v1/tenants/acme/conversations/whatsapp:+5511000000001/resolve", acme,
        Map.of("requestedBy", "alice"));
    assertEquals("RESOLVED", resolved.text("status"), resolved.raw());
    error(409, "not_open", gw.call("POST", "/v1/tenants/acme/conversations/whatsapp:+5511000000001/resolve", acme,
        Map.of("requestedBy", "alice")));
    eventually(() -> {
      Answer stats = gw.call("GET", "/v1/tenants/acme/stats/agents", acme, null);
      com.fasterxml.jackson.databind.JsonNode alice = null;
      for (var s : stats.body()) if ("alice".equals(s.get("subject").asText())) alice = s;
      assertNotNull(alice, stats.raw());
      assertEquals(1, alice.get("resolutions").asInt(), stats.raw());
      assertEquals(1, alice.get("firstResponses").asInt(), stats.raw());
      Answer counts = gw.call("GET", "/v1/tenants/acme/conversations/counts?team=support", acme, null);
      assertEquals(1, counts.body().get("byStatus").get("RESOLVED").asInt(), counts.raw());
    });
  }

  @Test
  void withNoAgentTheConversationWaitsInTheTeamsPoolWhereAnAgentClaimsIt() {
    ok(gw.call("PUT", "/v1/tenants/acme/agents/pat", acme, Map.of("capacity", Map.of("whatsapp", 1))));
    ok(gw.call("PUT", "/v1/tenants/acme/teams/pool", acme, Map.of("members", List.of("pat"), "strategy", "MANUAL")));
    Map<String, Object> msg = new java.util.HashMap<>(inbound("whatsapp", "+5511000000002", "wamid.2"));
    msg.put("team", "pool");
    msg.put("priority", 5);
    assertEquals(202, gw.call("POST", "/v1/tenants/acme/messages", acme, msg).status());
    eventually(() -> {
      Answer pool = gw.call("GET", "/v1/tenants/acme/teams/pool/waiting", acme, null);
      assertEquals(1, pool.body().get("items").size(), pool.raw());
      assertEquals(5, pool.body().get("items").get(0).get("priority").asInt());
    });
    error(409, "agent_offline", gw.call("POST", "/v1/tenants/acme/agents/pat/claims", acme,
        Map.of("conversation", "whatsapp:+5511000000002")));
    ok(gw.call("PUT", "/v1/tenants/acme/agents/pat/presence", acme, Map.of("presence", "ONLINE")));
    Answer claimed = gw.call("POST", "/v1/tenants/acme/agents/pat/claims", acme,
        Map.of("conversation", "whatsapp:+5511000000002"));
    assertEquals(200, claimed.status(), claimed.raw());
    assertEquals("claimed", claimed.text("status"));
    Answer agent = gw.call("GET", "/v1/tenants/acme/agents/pat", acme, null);
    assertEquals("whatsapp:+5511000000002", agent.body().get("holding").get(0).asText(), agent.raw());
  }

  @Test
  void anAgentsLiveStreamShowsItsAssignmentsAndResolutions() throws Exception {
    ok(gw.call("PUT", "/v1/tenants/acme/agents/sue", acme, Map.of("capacity", Map.of("*", 3))));
    ok(gw.call("PUT", "/v1/tenants/acme/agents/sue/presence", acme, Map.of("presence", "ONLINE")));
    ok(gw.call("PUT", "/v1/tenants/acme/teams/live", acme, Map.of("members", List.of("sue"), "strategy", "LEAST_BUSY",
        "replyWindow", "PT10M")));
    try (SseClient sse = new SseClient(gw.client, gw.base() + "/v1/tenants/acme/agents/sue/events", acme)) {
      assertEquals(200, sse.status);
      assertEquals("subscribed", sse.next(30).type());
      Map<String, Object> msg = new java.util.HashMap<>(inbound("webchat", "visitor-9", "w-1"));
      msg.put("team", "live");
      assertEquals(202, gw.call("POST", "/v1/tenants/acme/messages", acme, msg).status());
      SseClient.Event assigned = sse.next("assigned", 30);
      assertEquals("webchat:visitor-9", assigned.data().get("conversation").asText());
      assertEquals("live", assigned.data().get("team").asText());
      ok(gw.call("POST", "/v1/tenants/acme/conversations/webchat:visitor-9/resolve", acme, Map.of("requestedBy", "sue")));
      assertEquals("webchat:visitor-9", sse.next("resolved", 30).data().get("conversation").asText());
    }
    error(404, "not_found", gw.call("GET", "/v1/tenants/globex/agents/sue/events", acme, null));
  }

  @Test
  void aConversationIsTransferredToAnotherTeamAndToANamedAgentAndListsFollow() {
    for (String a : List.of("tom", "tia")) {
      ok(gw.call("PUT", "/v1/tenants/acme/agents/" + a, acme, Map.of("capacity", Map.of("*", 2))));
      ok(gw.call("PUT", "/v1/tenants/acme/agents/" + a + "/presence", acme, Map.of("presence", "ONLINE")));
    }
    ok(gw.call("PUT", "/v1/tenants/acme/teams/first", acme, Map.of("members", List.of("tom"), "strategy", "ROUND_ROBIN")));
    ok(gw.call("PUT", "/v1/tenants/acme/teams/second", acme, Map.of("members", List.of("tia"), "strategy",
        "ROUND_ROBIN")));
    Map<String, Object> msg = new java.util.HashMap<>(inbound("sms", "5550001", "s-1"));
    msg.put("team", "first");
    assertEquals(202, gw.call("POST", "/v1/tenants/acme/messages", acme, msg).status());
    String c = "/v1/tenants/acme/conversations/sms:5550001";
    eventually(() -> assertEquals("tom", gw.call("GET", c, acme, null).text("agent")));

    Answer toTeam = gw.call("POST", c + "/transfer", acme, Map.of("toTeam", "second", "requestedBy", "tom"));
    assertEquals(200, toTeam.status(), toTeam.raw());
    eventually(() -> {
      Answer now = gw.call("GET", c, acme, null);
      assertEquals("second", now.text("team"), now.raw());
      assertEquals("tia", now.text("agent"), now.raw());
    });
    Answer toAgent = gw.call("POST", c + "/transfer", acme, Map.of("toAgent", "tom", "requestedBy", "tia"));
    assertEquals(200, toAgent.status(), toAgent.raw());
    eventually(() -> assertEquals("tom", gw.call("GET", c, acme, null).text("agent")));

    eventually(() -> {
      Answer list = gw.call("GET", "/v1/tenants/acme/conversations?team=second&status=ASSIGNED", acme, null);
      assertEquals(1, list.body().get("items").size(), list.raw());
      assertEquals("sms:5550001", list.body().get("items").get(0).get("conversation").asText());
      Answer teams = gw.call("GET", "/v1/tenants/acme/stats/teams", acme, null);
      boolean first = false;
      for (var t : teams.body()) if ("first".equals(t.get("subject").asText())) first = t.get("assignments").asInt() == 1;
      assertTrue(first, teams.raw());
    });
  }

  @Test
  void metricsCountWhatHappened() {
    Map<String, Object> msg = new java.util.HashMap<>(inbound("telegram", "m-77", "t-77"));
    msg.put("team", "support");
    assertEquals(202, gw.call("POST", "/v1/tenants/acme/messages", acme, msg).status());
    eventually(() -> {
      String m = gw.call("GET", "/metrics", null, null).raw();
      assertTrue(m.contains("switchboard_messages_in_total{channel=\"telegram\",source=\"api\"} 1.0"), m);
      assertTrue(m.contains("switchboard_conversations_opened_total"), m);
      assertTrue(m.contains("switchboard_routing_latency_seconds_bucket"), m);
      assertTrue(m.contains("switchboard_queue_length{team=\"acme/"), m);
    });
  }

  @Test
  void aMessageWithNoTeamToGoToIsRefusedWithAReason() {
    error(422, "no_route", gw.call("POST", "/v1/tenants/globex/messages", globex, inbound("sms", "555", "m-1")));
  }

  // ---- errors ----

  @Test
  void badRequestsAreAnsweredWithAJsonErrorNamingTheProblem() {
    String p = "/v1/tenants/acme/messages";
    error(400, "malformed_json", gw.call("POST", p, acme, "{not json"));
    error(400, "malformed_json", gw.call("POST", p, acme, "[]"));
    error(400, "invalid_request", gw.call("POST", p, acme, Map.of("channel", "whatsapp", "contact", "1")));
    error(400, "invalid_request", gw.call("POST", p, acme, Map.of("channel", "Whats App", "contact", "1",
        "messageId", "m")));
    error(400, "invalid_request", gw.call("POST", p, acme, Map.of("channel", "sms", "contact", "a/b", "messageId", "m")));
    error(400, "field_too_long", gw.call("POST", p, acme, Map.of("channel", "sms", "contact", "1", "messageId",
        "m".repeat(129))));
    error(400, "field_too_long", gw.call("POST", p, acme, Map.of("channel", "sms", "contact", "1", "messageId", "m",
        "text", "x".repeat(4097))));
    error(400, "invalid_request", gw.call("POST", p, acme, Map.of("channel", "sms", "contact", "1", "messageId", "m",
        "priority", 1000)));
    error(413, "too_large", gw.call("POST", p, acme, "{\"text\": \"" + "x".repeat(70_000) + "\"}"));
    error(400, "invalid_request", gw.call("GET", "/v1/tenants/acme/conversations/nocolon", acme, null));
    error(400, "invalid_request", gw.call("GET", "/v1/tenants/acme/conversations?status=LOST", acme, null));
    error(400, "invalid_request", gw.call("GET", "/v1/tenants/acme/conversations?limit=0", acme, null));
    error(404, "not_found", gw.call("GET", "/v1/tenants/acme/conversations/sms:nobody", acme, null));
    error(404, "not_found", gw.call("GET", "/v1/nothing-here", acme, null));
    error(405, "method_not_allowed", gw.call("DELETE", "/v1/tenants/acme/messages", acme, null));
    error(400, "invalid_request", gw.call("PUT", "/v1/tenants/acme/teams/t", acme, Map.of("members", List.of("a"))));
    Answer strategy = gw.call("PUT", "/v1/tenants/acme/teams/t", acme, Map.of("members", List.of("a"),
        "strategy", "RANDOM"));
    error(400, "malformed_json", strategy);
    assertTrue(strategy.text("message").startsWith("strategy: 'RANDOM' is not one of [ROUND_ROBIN,"), strategy.raw());
    Answer typo = gw.call("PUT", "/v1/tenants/acme/teams/t", acme, "{\"members\": [], \"strategy\": \"MANUAL\", "
        + "\"escalation\": {\"tem\": \"x\"}}");
    error(400, "malformed_json", typo);
    assertEquals("escalation.tem: unknown field, expected one of [supervisor, team]", typo.text("message"));
    Answer shape = gw.call("PUT", "/v1/tenants/acme/teams/t", acme, "{\"members\": \"a\", \"strategy\": \"MANUAL\"}");
    error(400, "malformed_json", shape);
    assertEquals("members: expected an array, got a string", shape.text("message"));
    Answer duration = gw.call("PUT", "/v1/tenants/acme/teams/t", acme, "{\"members\": [], \"strategy\": \"MANUAL\", "
        + "\"replyWindow\": \"5 minutes\"}");
    error(400, "malformed_json", duration);
    assertTrue(duration.text("message").startsWith("replyWindow: "), duration.raw());
    error(400, "invalid_request", gw.call("PUT", "/v1/tenants/acme/agents/x", acme, Map.of("capacity", Map.of())));
    error(400, "invalid_request", gw.call("PUT", "/v1/tenants/acme/agents/x/presence", acme, Map.of()));
    error(400, "invalid_request", gw.call("POST", "/v1/tenants/acme/conversations/sms:1/transfer", acme,
        Map.of("requestedBy", "x")));
  }

  @Test
  void noAnswerEverCarriesAStackTrace() {
    Answer a = gw.call("POST", "/v1/tenants/acme/messages", acme, "{\"channel\": 5, \"contact\": {}}");
    assertEquals(400, a.status(), a.raw());
    assertFalse(a.raw().contains("at io.") || a.raw().contains("Exception"), a.raw());
    assertNull(a.headers().firstValue("Retry-After").orElse(null));
  }
}

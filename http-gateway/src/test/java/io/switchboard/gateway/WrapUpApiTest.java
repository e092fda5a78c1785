package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.TestGateway.Answer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Wrap-up through the HTTP API of a real node (issue 16, item 3): a team's {@code wrapUp} keeps the agent's unit
 * after a resolve, shown in the agent's view; the next conversation waits until the wrap-up ends, by its deadline
 * or by {@code POST .../wrap-up/end}.
 */
class WrapUpApiTest {
  static TestGateway gw;
  static String key;

  @BeforeAll
  static void start() {
    gw = new TestGateway("");
    key = gw.tenant("wrap", Map.of("displayName", "Wrap"));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static Map<String, Object> message(String contact, String id, String team) {
    return Map.of("channel", "whatsapp", "contact", contact, "messageId", id, "type", "text", "text", "hello",
        "timestamp", Instant.now().toString(), "team", team);
  }

  private static void agentOnline(String agent) {
    assertEquals(200, gw.call("PUT", "/v1/tenants/wrap/agents/" + agent, key, Map.of("capacity", Map.of("*", 1)))
        .status());
    assertEquals(200, gw.call("PUT", "/v1/tenants/wrap/agents/" + agent + "/presence", key,
        Map.of("presence", "ONLINE")).status());
  }

  private static void team(String team, String agent, String wrapUp) {
    Answer t = gw.call("PUT", "/v1/tenants/wrap/teams/" + team, key, Map.of("members", List.of(agent),
        "strategy", "ROUND_ROBIN", "replyWindow", "PT10M", "wrapUp", wrapUp));
    assertEquals(200, t.status(), t.raw());
    assertEquals(wrapUp, t.text("wrapUp"), t.raw());
    gw.eventually(() -> assertEquals(1, gw.call("GET", "/v1/tenants/wrap/teams/" + team, key, null).body()
        .get("memberStatus").size()));
  }

  private static void assigned(String conversation, String agent) {
    gw.eventually(() -> {
      Answer c = gw.call("GET", "/v1/tenants/wrap/conversations/" + conversation, key, null);
      assertEquals("ASSIGNED", c.text("status"), c.raw());
      assertEquals(agent, c.text("agent"), c.raw());
    });
  }

  @Test
  void theNextConversationWaitsForTheWrapUpWhichTheAgentEnds() throws Exception {
    agentOnline("wendy");
    team("notes", "wendy", "PT1H");
    try (SseClient stream = new SseClient(gw.client, gw.base() + "/v1/tenants/wrap/agents/wendy/events", key)) {
      assertEquals("subscribed", stream.next(30).type());
      wendysDay(stream);
    }
    String metrics = gw.call("GET", "/metrics", null, null).raw();
    assertTrue(metrics.contains("switchboard_wrap_ups_started_total"), metrics);
    assertTrue(metrics.contains("switchboard_wrap_ups_ended_total{reason=\"ended\"}"), metrics);
  }

  private void wendysDay(SseClient stream) throws Exception {
    assertEquals(202, gw.call("POST", "/v1/tenants/wrap/messages", key, message("+1000", "w1", "notes")).status());
    assigned("whatsapp:+1000", "wendy");
    Instant resolving = Instant.now();
    Answer resolved = gw.call("POST", "/v1/tenants/wrap/conversations/whatsapp:+1000/resolve", key,
        Map.of("requestedBy", "wendy"));
    assertEquals("RESOLVED", resolved.text("status"), resolved.raw());

    gw.eventually(() -> {
      Answer a = gw.call("GET", "/v1/tenants/wrap/agents/wendy", key, null);
      assertEquals(1, a.body().get("wrapUps").size(), a.raw());
      assertEquals("whatsapp:+1000", a.body().get("wrapUps").get(0).get("conversation").asText());
      Instant until = Instant.parse(a.body().get("wrapUps").get(0).get("until").asText());
      assertTrue(!until.isBefore(resolving.plus(Duration.ofHours(1)).minusSeconds(5)), a.raw());
      assertEquals(0, a.body().get("holding").size(), "the resolved conversation is not held: " + a.raw());
      assertEquals(1, a.body().get("load").get("whatsapp").asInt(), "its unit is: " + a.raw());
    });

    assertEquals(202, gw.call("POST", "/v1/tenants/wrap/messages", key, message("+1001", "w2", "notes")).status());
    gw.eventually(() -> assertEquals("WAITING", gw.call("GET", "/v1/tenants/wrap/conversations/whatsapp:+1001", key,
        null).text("status")));

    var started = stream.next("wrap_up_started", 30).data();
    assertEquals("whatsapp:+1000", started.get("conversation").asText(), started.toString());
    assertTrue(started.hasNonNull("deadline"), started.toString());
    Answer ended = gw.call("POST", "/v1/tenants/wrap/agents/wendy/conversations/whatsapp:+1000/wrap-up/end", key,
        null);
    assertEquals(200, ended.status(), ended.raw());
    assertEquals("ended", stream.next("wrap_up_ended", 30).data().get("reason").asText());
    assertEquals(0, ended.body().get("wrapUps").size(), ended.raw());
    assigned("whatsapp:+1001", "wendy");

    Answer again = gw.call("POST", "/v1/tenants/wrap/agents/wendy/conversations/whatsapp:+1000/wrap-up/end", key,
        null);
    assertEquals(404, again.status(), again.raw());
    assertEquals("not_found", again.error(), again.raw());
    Answer bad = gw.call("POST", "/v1/tenants/wrap/agents/wendy/conversations/no-colon/wrap-up/end", key, null);
    assertEquals(400, bad.status(), bad.raw());
  }

  @Test
  void aWrapUpEndsByItselfAtItsDeadline() {
    agentOnline("walt");
    team("quick", "walt", "PT2S");
    assertEquals(202, gw.call("POST", "/v1/tenants/wrap/messages", key, message("+2000", "q1", "quick")).status());
    assigned("whatsapp:+2000", "walt");
    Instant resolving = Instant.now();
    assertEquals(200, gw.call("POST", "/v1/tenants/wrap/conversations/whatsapp:+2000/resolve", key,
        Map.of("requestedBy", "walt")).status());
    assertEquals(202, gw.call("POST", "/v1/tenants/wrap/messages", key, message("+2001", "q2", "quick")).status());
    assigned("whatsapp:+2001", "walt");
    Answer next = gw.call("GET", "/v1/tenants/wrap/conversations/whatsapp:+2001", key, null);
    assertTrue(!Instant.parse(next.text("assignedAt")).isBefore(resolving.plusSeconds(2)),
        "assigned once the wrap-up of 2 s after the resolve had ended: " + next.raw());
    Answer a = gw.call("GET", "/v1/tenants/wrap/agents/walt", key, null);
    assertEquals(0, a.body().get("wrapUps").size(), a.raw());
  }

  @Test
  void aWrapUpLongerThanAnHourIsRefused() {
    Answer t = gw.call("PUT", "/v1/tenants/wrap/teams/long", key, Map.of("members", List.of(), "strategy",
        "ROUND_ROBIN", "wrapUp", "PT2H"));
    assertEquals(400, t.status(), t.raw());
    assertEquals("invalid_request", t.error(), t.raw());
  }
}

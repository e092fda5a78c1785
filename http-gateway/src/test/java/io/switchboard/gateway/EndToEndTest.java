package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.gateway.TestGateway.Answer;
import io.switchboard.gateway.outbound.Receiver;
import io.switchboard.gateway.outbound.WebhookDispatcher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/**
 * What a user sees end to end: a WhatsApp webhook comes in, the conversation is assigned and shows
 * on the agent's live stream, the agent stays silent and it is re-routed to another agent, who
 * replies (through the channel connector) and resolves it; the tenant's webhook receiver got the
 * signed events in order.
 */
class EndToEndTest {
  static final String APP_SECRET = "app-secret-e2e";
  static final String HOOK_SECRET = "hook-secret-e2e";

  @Test
  void webhookInAssignedStreamedSilentReroutedRepliedResolvedAndTheTenantsWebhookGotItAllSignedInOrder()
      throws Exception {
    try (TestGateway gw = new TestGateway("")) {
      String key = gw.tenant("e2e", Map.of("appSecret", APP_SECRET, "defaultTeam", "desk",
          "webhookUrl", gw.receiver.url("/hooks/e2e"), "webhookSecret", HOOK_SECRET));
      for (String agent : List.of("ann", "ben")) {
        assertEquals(200, gw.call("PUT", "/v1/tenants/e2e/agents/" + agent, key, Map.of("capacity", Map.of("*", 1)))
            .status());
        assertEquals(200, gw.call("PUT", "/v1/tenants/e2e/agents/" + agent + "/presence", key,
            Map.of("presence", "ONLINE")).status());
      }
      assertEquals(200, gw.call("PUT", "/v1/tenants/e2e/teams/desk", key, Map.of("members", List.of("ann", "ben"),
          "strategy", "ROUND_ROBIN", "replyWindow", "PT3S", "maxReroutes", 2)).status());
      TestProbe<Object> probe = TestProbe.create(gw.gateway.system());
      probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
        Answer team = gw.call("GET", "/v1/tenants/e2e/teams/desk", key, null);
        assertEquals(2, team.body().get("memberStatus").size(), team.raw());
        return null;
      });

      try (SseClient annStream = new SseClient(gw.client, gw.base() + "/v1/tenants/e2e/agents/ann/events", key);
           SseClient benStream = new SseClient(gw.client, gw.base() + "/v1/tenants/e2e/agents/ben/events", key)) {
        assertEquals("subscribed", annStream.next(30).type());
        assertEquals("subscribed", benStream.next(30).type());

        String body = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"field\":"
            + "\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":"
            + "\"15550001111\",\"phone_number_id\":\"900\"},\"contacts\":[{\"profile\":{\"name\":\"Rita\"},"
            + "\"wa_id\":\"5511987650000\"}],\"messages\":[{\"from\":\"5511987650000\",\"id\":\"wamid.e2e1\","
            + "\"timestamp\":\"" + (System.currentTimeMillis() / 1000) + "\",\"type\":\"text\",\"text\":{\"body\":"
            + "\"my order is late\"}}]}}]}]}";
        byte[] raw = body.getBytes(StandardCharsets.UTF_8);
        Answer in = gw.send("POST", "/v1/webhooks/whatsapp/e2e", null, raw, Map.of("Content-Type",
            "application/json", "X-Hub-Signature-256", Hmac.sign(APP_SECRET, raw)));
        assertEquals(200, in.status(), in.raw());

        // round-robin starts with the first member; she stays silent past her reply window
        JsonNode assigned = annStream.next("assigned", 30).data();
        assertEquals("whatsapp:5511987650000", assigned.get("conversation").asText());
        assertEquals("window_closing", annStream.next("window_closing", 30).type());
        assertEquals("reply_window_lapsed", annStream.next("rerouted", 30).data().get("reason").asText());
        assertEquals("whatsapp:5511987650000", benStream.next("assigned", 30).data().get("conversation").asText());

        Answer reply = gw.call("POST", "/v1/tenants/e2e/conversations/whatsapp:5511987650000/replies", key,
            Map.of("agent", "ben", "text", "Sorry! It ships today."));
        assertEquals(202, reply.status(), reply.raw());
        Receiver.Request sent = gw.receiver.requests("/connector/messages").get(0);
        JsonNode out = TestGateway.JSON.readTree(sent.body());
        assertEquals("5511987650000", out.get("to").asText(), sent.text());
        assertEquals("whatsapp", out.get("channel").asText());
        assertEquals("Sorry! It ships today.", out.get("text").asText());

        Answer resolved = gw.call("POST", "/v1/tenants/e2e/conversations/whatsapp:5511987650000/resolve", key,
            Map.of("requestedBy", "ben"));
        assertEquals("RESOLVED", resolved.text("status"), resolved.raw());
        assertEquals("resolved", benStream.next("resolved", 30).type());
      }

      probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
        List<Receiver.Request> hooks = gw.receiver.requests("/hooks/e2e");
        assertEquals(List.of("conversation.assigned", "conversation.rerouted", "conversation.assigned",
            "conversation.resolved"), hooks.stream().map(r -> r.header(WebhookDispatcher.EVENT_TYPE_HEADER)).toList());
        return null;
      });
      List<Receiver.Request> hooks = gw.receiver.requests("/hooks/e2e");
      for (Receiver.Request r : hooks) {
        assertTrue(Hmac.verify(HOOK_SECRET, r.body(), r.header(WebhookDispatcher.SIGNATURE_HEADER)),
            "signed: " + r.text());
      }
      JsonNode first = TestGateway.JSON.readTree(hooks.get(0).body());
      JsonNode second = TestGateway.JSON.readTree(hooks.get(2).body());
      assertEquals("e2e/ann", first.get("agentId").asText(), hooks.get(0).text());
      assertEquals("e2e/ben", second.get("agentId").asText(), hooks.get(2).text());
      assertNotEquals(hooks.get(0).header(WebhookDispatcher.EVENT_ID_HEADER),
          hooks.get(2).header(WebhookDispatcher.EVENT_ID_HEADER));
      assertEquals("e2e/ann", TestGateway.JSON.readTree(hooks.get(1).body()).get("previousAgentId").asText());
    }
  }
}

package io.switchboard.gateway.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The connector against a real HTTP server standing in for the channel connector service. */
class ChannelConnectorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ReceiverKit kit = new ReceiverKit("ChannelConnectorTest", """
      switchboard.gateway.outbound.connector {
        request-timeout = 500ms
        max-retries = 2
        retry-backoff = 100ms
      }
      """);
  private static final ActorTestKit testKit = kit.testKit;
  private static final Receiver receiver = kit.receiver;

  @AfterAll
  static void shutdown() throws Exception {
    kit.close();
  }

  @Test
  void sendsTextAndReadsTheProviderId() throws Exception {
    receiver.on("/text/messages", Receiver.json(200, "{\"id\":\"wamid.HBgL\",\"status\":\"accepted\"}"));
    SendResult result = send("/text", OutboundMessage.text("acme", "whatsapp", "5511999990000",
        "acme/whatsapp:5511999990000", "Hi, I am Alice. How can I help?"));

    assertEquals(new SendResult(true, 200, "wamid.HBgL", null), result);
    List<Receiver.Request> got = receiver.requests("/text/messages");
    assertEquals(1, got.size());
    assertEquals("application/json", got.get(0).header("content-type"));
    assertFalse(got.get(0).header(ChannelConnector.IDEMPOTENCY_KEY_HEADER).isBlank());
    JsonNode body = JSON.readTree(got.get(0).body());
    assertEquals("acme", body.get("tenant").asText());
    assertEquals("whatsapp", body.get("channel").asText());
    assertEquals("5511999990000", body.get("to").asText());
    assertEquals("acme/whatsapp:5511999990000", body.get("conversationId").asText());
    assertEquals("Hi, I am Alice. How can I help?", body.get("text").asText());
    assertFalse(body.has("template"));
    assertFalse(body.has("options"));
  }

  @Test
  void sendsATemplate() throws Exception {
    receiver.on("/template/messages", Receiver.json(201, "{\"id\":12345}"));
    SendResult result = send("/template", new OutboundMessage("acme", "whatsapp", "5511999990000", "acme/c1", null,
        new OutboundMessage.TemplateRef("ticket_update", "pt_BR", List.of("Maria", "#4711")), null));

    assertEquals(new SendResult(true, 201, "12345", null), result);
    JsonNode body = JSON.readTree(receiver.requests("/template/messages").get(0).body());
    assertFalse(body.has("text"));
    assertEquals("ticket_update", body.at("/template/name").asText());
    assertEquals("pt_BR", body.at("/template/language").asText());
    assertEquals(List.of("Maria", "#4711"), List.of(body.at("/template/params/0").asText(),
        body.at("/template/params/1").asText()));
    assertEquals(2, body.at("/template/params").size());
  }

  @Test
  void sendsOptions() throws Exception {
    receiver.on("/options/messages", Receiver.status(202)); // accepted, no body: no provider id
    SendResult result = send("/options", new OutboundMessage("acme", "whatsapp", "5511999990000", "acme/c1",
        "What do you need?", null,
        List.of(new OutboundMessage.Option("billing", "Billing"), new OutboundMessage.Option("tech", "Technical help"))));

    assertEquals(new SendResult(true, 202, null, null), result);
    JsonNode body = JSON.readTree(receiver.requests("/options/messages").get(0).body());
    assertEquals("What do you need?", body.get("text").asText());
    assertEquals(2, body.get("options").size());
    assertEquals("billing", body.at("/options/0/id").asText());
    assertEquals("Billing", body.at("/options/0/title").asText());
    assertEquals("tech", body.at("/options/1/id").asText());
    assertEquals("Technical help", body.at("/options/1/title").asText());
  }

  @Test
  void doesNotRetryAClientError() throws Exception {
    receiver.on("/reject/messages", Receiver.json(400, "{\"error\":\"unknown contact\"}"));
    SendResult result = send("/reject", message());

    assertFalse(result.ok());
    assertEquals(400, result.status());
    assertNull(result.providerMessageId());
    assertEquals("HTTP 400: {\"error\":\"unknown contact\"}", result.error());
    assertEquals(1, receiver.requests("/reject/messages").size());
  }

  @Test
  void retriesServerErrorsThenGivesUp() throws Exception {
    receiver.on("/down/messages", Receiver.status(503));
    SendResult result = send("/down", message());

    assertFalse(result.ok());
    assertEquals(503, result.status());
    assertEquals("HTTP 503 (after 3 attempts)", result.error());
    List<Receiver.Request> got = receiver.requests("/down/messages");
    assertEquals(3, got.size(), "the first attempt and max-retries = 2");
    String key = got.get(0).header(ChannelConnector.IDEMPOTENCY_KEY_HEADER);
    for (Receiver.Request r : got) assertEquals(key, r.header(ChannelConnector.IDEMPOTENCY_KEY_HEADER));
    assertEquals(got.get(0).text(), got.get(2).text());
  }

  @Test
  void retriesAServerErrorThenSucceeds() throws Exception {
    receiver.on("/blip/messages", (r, nth) -> nth == 1
        ? Receiver.status(502).answer(r, nth)
        : Receiver.json(200, "{\"id\":\"m-2\"}").answer(r, nth));
    SendResult result = send("/blip", message());

    assertEquals(new SendResult(true, 200, "m-2", null), result);
    assertEquals(2, receiver.requests("/blip/messages").size());
  }

  @Test
  void retriesATimeoutThenReportsIt() throws Exception {
    CompletableFuture<HttpResponse> never = new CompletableFuture<>();
    receiver.on("/slow/messages", Receiver.hang(never));
    try {
      SendResult result = send("/slow", message());

      assertFalse(result.ok());
      assertEquals(0, result.status());
      assertEquals("the request timed out after 500ms (after 3 attempts)", result.error());
      assertEquals(3, receiver.requests("/slow/messages").size());
    } finally {
      never.complete(HttpResponse.create());
    }
  }

  @Test
  void reportsAConnectorThatIsDown() throws Exception {
    ChannelConnector connector = connector("http://127.0.0.1:" + Receiver.closedPort());
    SendResult result = connector.send(message()).toCompletableFuture().get(20, TimeUnit.SECONDS);

    assertFalse(result.ok());
    assertEquals(0, result.status());
    assertNotNull(result.error());
    assertTrue(result.error().startsWith("request failed: "), result.error());
    assertTrue(result.error().endsWith("(after 3 attempts)"), result.error());
  }

  @Test
  void refusesAMessageWithNothingToSay() {
    assertThrows(IllegalArgumentException.class,
        () -> new OutboundMessage("acme", "whatsapp", "5511999990000", "acme/c1", null, null, null));
    assertThrows(IllegalArgumentException.class,
        () -> OutboundMessage.text("acme", "whatsapp", " ", "acme/c1", "hello"));
  }

  private static OutboundMessage message() {
    return OutboundMessage.text("acme", "whatsapp", "5511999990000", "acme/c1", "hello");
  }

  private static SendResult send(String prefix, OutboundMessage message) throws Exception {
    return connector(receiver.url(prefix) + "/").send(message).toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  /** A connector pointed at {@code baseUrl}, otherwise on the test system's settings. */
  private static ChannelConnector connector(String baseUrl) {
    OutboundSettings settings = OutboundSettings.from(ConfigFactory
        .parseString("switchboard.gateway.outbound.connector.base-url = \"" + baseUrl + "\"")
        .withFallback(testKit.system().settings().config()));
    return new ChannelConnector(testKit.system(), settings);
  }
}

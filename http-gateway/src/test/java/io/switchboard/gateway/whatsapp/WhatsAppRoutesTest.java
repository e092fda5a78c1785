package io.switchboard.gateway.whatsapp;

import static io.switchboard.gateway.whatsapp.Payloads.arr;
import static io.switchboard.gateway.whatsapp.Payloads.body;
import static io.switchboard.gateway.whatsapp.Payloads.bytes;
import static io.switchboard.gateway.whatsapp.Payloads.change;
import static io.switchboard.gateway.whatsapp.Payloads.contact;
import static io.switchboard.gateway.whatsapp.Payloads.entry;
import static io.switchboard.gateway.whatsapp.Payloads.inbound;
import static io.switchboard.gateway.whatsapp.Payloads.message;
import static io.switchboard.gateway.whatsapp.Payloads.obj;
import static io.switchboard.gateway.whatsapp.Payloads.text;
import static io.switchboard.gateway.whatsapp.Payloads.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.gateway.Hmac;
import io.switchboard.gateway.TestGateway;
import io.switchboard.gateway.TestGateway.Answer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WhatsApp Cloud API webhooks through a real server: the handshake, signatures, the example
 * payloads and cases built from the format (several messages, statuses, echoes, unknown types,
 * user ids without phone, duplicates, malformed parts).
 */
class WhatsAppRoutesTest {
  static final String SECRET = "1222e786b144d0e85b9f365372d93676";
  static TestGateway gw;
  static String key;

  @BeforeAll
  static void start() {
    gw = new TestGateway("");
    key = gw.tenant("wa", Map.of("verifyToken", "let-me-in", "appSecret", SECRET, "defaultTeam", "front"));
    gw.tenant("nosecret", Map.of("defaultTeam", "front"));
    gw.tenant("noteam", Map.of("appSecret", SECRET));
    assertEquals(200, gw.call("PUT", "/v1/tenants/wa/teams/front", key, Map.of("members", List.of(),
        "strategy", "MANUAL")).status());
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static Answer post(String tenant, byte[] raw, String signature) {
    Map<String, String> headers = signature == null ? Map.of("Content-Type", "application/json")
        : Map.of("Content-Type", "application/json", "X-Hub-Signature-256", signature);
    return gw.send("POST", "/v1/webhooks/whatsapp/" + tenant, null, raw, headers);
  }

  static Answer signed(byte[] raw) {
    return post("wa", raw, Hmac.sign(SECRET, raw));
  }

  static Answer conversation(String key) {
    return gw.call("GET", "/v1/tenants/wa/conversations/" + key, WhatsAppRoutesTest.key, null);
  }

  static void eventually(Runnable r) {
    TestProbe.create(gw.gateway.system()).awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      r.run();
      return null;
    });
  }

  // ---- handshake ----

  @Test
  void theVerificationHandshakeEchoesTheChallengeOnlyForTheRightToken() {
    Answer ok = gw.call("GET", "/v1/webhooks/whatsapp/wa?hub.mode=subscribe&hub.verify_token=let-me-in"
        + "&hub.challenge=1158201444", null, null);
    assertEquals(200, ok.status());
    assertEquals("1158201444", ok.raw());
    Answer wrong = gw.call("GET", "/v1/webhooks/whatsapp/wa?hub.mode=subscribe&hub.verify_token=nope"
        + "&hub.challenge=1", null, null);
    assertEquals(403, wrong.status());
    assertEquals("forbidden", wrong.error());
    assertEquals(400, gw.call("GET", "/v1/webhooks/whatsapp/wa?hub.mode=subscribe", null, null).status());
    assertEquals(404, gw.call("GET", "/v1/webhooks/whatsapp/nobody?hub.mode=subscribe&hub.verify_token=x"
        + "&hub.challenge=1", null, null).status());
  }

  // ---- signatures ----

  @Test
  void theRealSignedExampleIsAcceptedAndOpensItsConversation() {
    byte[] raw = Payloads.example("03_real_text_signed_raw.json");
    Answer a = post("wa", raw, "sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441");
    assertEquals(200, a.status(), a.raw());
    assertEquals(1, a.body().get("accepted").asInt(), a.raw());
    Answer c = conversation("whatsapp:972544401243");
    assertEquals("WAITING", c.text("status"), c.raw());
    assertEquals("front", c.text("team"));
    assertTrue(c.body().get("serviceWindowOpen").isBoolean());
  }

  @Test
  void aBadOrMissingSignatureIsRefusedAndNothingIsStored() {
    byte[] raw = bytes(inbound(text("wamid.sig1", "hi")));
    Answer bad = post("wa", raw, Hmac.sign("another secret", raw));
    assertEquals(401, bad.status());
    assertEquals("invalid_signature", bad.error());
    assertEquals(401, post("wa", raw, null).status());
    assertEquals(401, post("wa", raw, "sha256=zz").status());
    byte[] tampered = raw.clone();
    tampered[tampered.length - 3] ^= 1;
    assertEquals(401, post("wa", tampered, Hmac.sign(SECRET, raw)).status());
    assertEquals(404, conversation("whatsapp:" + Payloads.CUSTOMER + "x").status());
    Answer noSecret = post("nosecret", raw, Hmac.sign(SECRET, raw));
    assertEquals(403, noSecret.status(), noSecret.raw());
  }

  // ---- the examples ----

  @Test
  void everyExamplePayloadIsAcceptedForWhatItIs() {
    Answer text = signed(Payloads.example("01_meta_example_text_v25_bsuid.json"));
    assertEquals(200, text.status(), text.raw());
    assertEquals(1, text.body().get("accepted").asInt() + text.body().get("duplicates").asInt());
    Answer delivered = signed(Payloads.example("02_meta_example_status_delivered_v25.json"));
    assertEquals(200, delivered.status(), delivered.raw());
    assertEquals(0, delivered.body().get("accepted").asInt());
    assertEquals(1, delivered.body().get("statuses").asInt());
    Answer button = signed(Payloads.example("09_interactive_button_reply.json"));
    assertEquals(200, button.status(), button.raw());
    assertEquals(1, button.body().get("accepted").asInt() + button.body().get("duplicates").asInt());
    Answer sent = signed(Payloads.example("16_status_sent_with_pricing.json"));
    assertEquals(200, sent.status(), sent.raw());
    assertEquals(1, sent.body().get("statuses").asInt());
  }

  // ---- cases of our own ----

  @Test
  void everyMessageOfEveryChangeIsStoredInOrderPerContact() {
    ObjectNode second = value(Payloads.PHONE_NUMBER_ID);
    second.set("contacts", arr(contact("5511911110000", "Bia")));
    second.set("messages", arr(obj("from", "5511911110000", "id", "wamid.multi3", "timestamp", "1749416390",
        "type", "text", "text", obj("body", "oi"))));
    ObjectNode first = value(Payloads.PHONE_NUMBER_ID);
    first.set("contacts", arr(contact("5511933330000", "Caio")));
    first.set("messages", arr(
        obj("from", "5511933330000", "id", "wamid.multi1", "timestamp", "1749416388", "type", "text",
            "text", obj("body", "first")),
        obj("from", "5511933330000", "id", "wamid.multi2", "timestamp", "1749416389", "type", "text",
            "text", obj("body", "second"))));
    ObjectNode body = body(entry(change("messages", first)), entry(change("messages", second)));
    Answer a = signed(bytes(body));
    assertEquals(200, a.status(), a.raw());
    assertEquals(3, a.body().get("accepted").asInt(), a.raw());
    assertEquals(2, conversation("whatsapp:5511933330000").body().get("messages").asInt());
    assertEquals(1, conversation("whatsapp:5511911110000").body().get("messages").asInt());
  }

  @Test
  void aRedeliveredPostIsAcknowledgedWithoutStoringTheMessagesTwice() {
    byte[] raw = bytes(inbound(message("wamid.dup1", "text", "text", obj("body", "once")),
        message("wamid.dup1", "text", "text", obj("body", "once"))));
    Answer first = signed(raw);
    assertEquals(200, first.status(), first.raw());
    Answer again = signed(raw);
    assertEquals(200, again.status(), again.raw());
    assertEquals(0, again.body().get("accepted").asInt(), again.raw());
    assertEquals(1, again.body().get("duplicates").asInt(), again.raw());
  }

  @Test
  void statusesAreRecordedButNotRouted() {
    ObjectNode v = value(Payloads.PHONE_NUMBER_ID);
    v.set("statuses", arr(obj("id", "wamid.out1", "status", "delivered", "timestamp", "1749416400",
        "recipient_id", "5511900000009"), obj("id", "wamid.out1", "status", "read", "timestamp", "1749416500",
        "recipient_id", "5511900000009")));
    Answer a = signed(bytes(body(entry(change("messages", v)))));
    assertEquals(200, a.status(), a.raw());
    assertEquals(2, a.body().get("statuses").asInt());
    assertEquals(404, conversation("whatsapp:5511900000009").status(), "a receipt opens no conversation");
    Answer recorded = gw.call("GET", "/v1/tenants/wa/messages/wamid.out1/statuses", key, null);
    assertEquals(List.of("delivered", "read"), List.of(recorded.body().get(0).get("status").asText(),
        recorded.body().get(1).get("status").asText()), recorded.raw());
  }

  @Test
  void echoesAndOtherFieldsAreNotCustomerInput() {
    ObjectNode echo = value(Payloads.PHONE_NUMBER_ID);
    echo.set("message_echoes", arr(obj("from", Payloads.BUSINESS_PHONE, "to", "5511922220000", "id", "wamid.echo",
        "timestamp", "1749416383", "type", "text", "text", obj("body", "sent from the phone app"))));
    Answer a = signed(bytes(body(entry(change("smb_message_echoes", echo),
        change("account_update", obj("event", "VERIFIED_ACCOUNT"))))));
    assertEquals(200, a.status(), a.raw());
    assertEquals(0, a.body().get("accepted").asInt());
    assertEquals(2, a.body().get("ignored").size(), a.raw());
    assertEquals(404, conversation("whatsapp:5511922220000").status());
  }

  @Test
  void aChangedNumberIsRecordedWithBothConversationsAndIsNoCustomerMessage() {
    String old = "16505553001";
    String now = "16505553002";
    ObjectNode value = value(Payloads.PHONE_NUMBER_ID);
    value.set("contacts", arr(contact(old, "Ana")));
    value.set("messages", arr(
        Payloads.JSON.createObjectNode().put("from", old).put("id", "wamid.cn1").put("timestamp", "1749416383")
            .put("type", "text").set("text", obj("body", "my order is late")),
        Payloads.JSON.createObjectNode().put("from", old).put("id", "wamid.cn2").put("timestamp", "1749416390")
            .put("type", "system").set("system", obj("body", "Ana changed from " + old + " to " + now,
                "wa_id", now, "type", "user_changed_number"))));
    byte[] raw = bytes(body(entry(change("messages", value))));
    Answer a = signed(raw);
    assertEquals(200, a.status(), a.raw());
    assertEquals(1, a.body().get("accepted").asInt(), a.raw());
    assertEquals(1, a.body().get("contactEvents").asInt(), a.raw());
    Answer before = conversation("whatsapp:" + old);
    assertEquals(1, before.body().get("messages").asInt(), "the system message is no customer message: " + before.raw());
    assertEquals(now, before.body().get("contactFields").get("phoneChangedTo").asText(), before.raw());
    assertEquals(404, conversation("whatsapp:" + now).status(), "a contact event opens no conversation");

    Answer again = signed(raw);
    assertEquals(200, again.status(), again.raw());
    assertEquals(1, again.body().get("duplicates").asInt(), again.raw());
    assertEquals(1, conversation("whatsapp:" + old).body().get("messages").asInt());

    // the contact writes from the new number: its conversation knows the old one
    ObjectNode next = value(Payloads.PHONE_NUMBER_ID);
    next.set("contacts", arr(contact(now, "Ana")));
    next.set("messages", arr(Payloads.JSON.createObjectNode().put("from", now).put("id", "wamid.cn3")
        .put("timestamp", "1749416400").put("type", "text").set("text", obj("body", "still late"))));
    assertEquals(200, signed(bytes(body(entry(change("messages", next))))).status());
    Answer after = conversation("whatsapp:" + now);
    assertEquals(1, after.body().get("messages").asInt(), after.raw());
    assertEquals(old, after.body().get("contactFields").get("phoneChangedFrom").asText(), after.raw());
  }

  @Test
  void unsupportedTypesAndContactsWithOnlyAUserIdAreAccepted() {
    ObjectNode v = value(Payloads.PHONE_NUMBER_ID);
    v.set("contacts", arr(obj("profile", obj("name", "Private"), "user_id", "US.99887766554433")));
    v.set("messages", arr(obj("from_user_id", "US.99887766554433", "id", "wamid.user1", "timestamp", "1749416383",
        "type", "unsupported", "errors", arr(obj("code", 131051, "title", "Message type unknown")))));
    Answer a = signed(bytes(body(entry(change("messages", v)))));
    assertEquals(200, a.status(), a.raw());
    assertEquals(1, a.body().get("accepted").asInt(), a.raw());
    assertEquals("WAITING", conversation("whatsapp:US.99887766554433").text("status"));
  }

  @Test
  void aMalformedPartIsSkippedWithoutLosingTheGoodMessagesOfTheSamePost() {
    ObjectNode bad = message("wamid.bad", "text", "text", obj("body", "x"));
    bad.remove("id");
    Answer a = signed(bytes(inbound(bad, text("wamid.good1", "good"))));
    assertEquals(200, a.status(), a.raw());
    assertEquals(1, a.body().get("accepted").asInt(), a.raw());
    assertEquals(1, a.body().get("ignored").size(), a.raw());
  }

  @Test
  void aBodyThatIsNotAWebhookIsA400() {
    for (String raw : List.of("not json", "[]", "{\"object\":\"page\",\"entry\":[]}", "{\"object\":"
        + "\"whatsapp_business_account\"}", "")) {
      byte[] b = raw.getBytes(StandardCharsets.UTF_8);
      Answer a = post("wa", b, Hmac.sign(SECRET, b));
      assertEquals(400, a.status(), raw + " → " + a.raw());
      assertTrue(a.error().equals("malformed_webhook") || a.error().equals("malformed_json"), a.raw());
    }
  }

  @Test
  void messagesForATenantWithNowhereToRouteThemAreRefusedSoMetaRetriesThemLater() {
    byte[] raw = bytes(inbound(text("wamid.noteam", "hello")));
    Answer a = post("noteam", raw, Hmac.sign(SECRET, raw));
    assertEquals(422, a.status(), a.raw());
    assertEquals("refused", a.error());
  }
}

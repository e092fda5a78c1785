package io.switchboard.gateway.whatsapp;

import static io.switchboard.gateway.whatsapp.Payloads.example;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.switchboard.gateway.Hmac;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The real payloads of {@code shared/whatsapp/examples}, read as the gateway will receive them. */
class WhatsAppExamplesTest {

  private static final String APP_SECRET = "1222e786b144d0e85b9f365372d93676";
  private static final String SIGNATURE =
      "sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441";
  private static final List<String> EXAMPLES = List.of("01_meta_example_text_v25_bsuid.json",
      "02_meta_example_status_delivered_v25.json", "03_real_text_signed_raw.json", "09_interactive_button_reply.json",
      "16_status_sent_with_pricing.json");

  @Test
  void metaTextExampleWithBusinessScopedUserId() {
    WebhookBatch batch = WhatsAppWebhook.parse(example("01_meta_example_text_v25_bsuid.json"));

    assertEquals(List.of(), batch.skipped());
    assertEquals(List.of(), batch.statuses());
    assertEquals(List.of(new InboundMessage("123456123", "16315551181", "16315551181",
        "US.13491208655302741918", "test user name", "ABGGFlA5Fpa", Instant.ofEpochSecond(1504902988L), "text",
        "this is a text message",
        Map.of("contact.username", "@testusername", "contact.parent_user_id", "US.11815799212886844830"))),
        batch.messages());
  }

  @Test
  void metaDeliveredStatusIsRecordedNotRouted() {
    WebhookBatch batch = WhatsAppWebhook.parse(example("02_meta_example_status_delivered_v25.json"));

    assertEquals(List.of(), batch.messages());
    assertEquals(List.of(), batch.skipped());
    assertEquals(List.of(new StatusUpdate("123456123", "ABGGFlA5Fpa", "delivered", "16315551181",
        Instant.ofEpochSecond(1504902988L), null)), batch.statuses());
  }

  @Test
  void realSignedBodyVerifiesOnItsExactBytes() {
    byte[] raw = example("03_real_text_signed_raw.json");

    assertEquals(511, raw.length, "the resource must be the exact bytes, no trailing newline");
    assertEquals(SIGNATURE, Hmac.sign(APP_SECRET, raw));
    assertTrue(Hmac.verify(APP_SECRET, raw, SIGNATURE));
    assertTrue(Hmac.verify(APP_SECRET, raw, "sha256=" + SIGNATURE.substring(7).toUpperCase(Locale.ROOT)));
    assertFalse(Hmac.verify("another secret", raw, SIGNATURE));

    byte[] withNewline = Arrays.copyOf(raw, raw.length + 1);
    withNewline[raw.length] = '\n';
    assertFalse(Hmac.verify(APP_SECRET, withNewline, SIGNATURE), "a trailing newline is another body");
  }

  @Test
  void everyOneByteChangeOfTheSignedBodyFailsVerification() {
    byte[] raw = example("03_real_text_signed_raw.json");
    for (int i = 0; i < raw.length; i++) {
      byte[] changed = raw.clone();
      changed[i] ^= 0x01;
      assertFalse(Hmac.verify(APP_SECRET, changed, SIGNATURE), "byte " + i + " changed");
    }
  }

  @Test
  void realSignedBodyIsOneTextMessage() {
    WebhookBatch batch = WhatsAppWebhook.parse(example("03_real_text_signed_raw.json"));

    assertEquals(List.of(), batch.skipped());
    assertEquals(List.of(new InboundMessage("277321005464405", "972544401243", "972544401243", null, "PyWa Tests",
        "wamid.HBgMOTcyNTQ0NDAxMjQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA",
        Instant.ofEpochSecond(1730231903L), "text", "Hey there! I am using PyWa.", Map.of())), batch.messages());
  }

  @Test
  void interactiveButtonReplyRepliesToAnEarlierMessage() {
    WebhookBatch batch = WhatsAppWebhook.parse(example("09_interactive_button_reply.json"));

    assertEquals(List.of(), batch.skipped());
    InboundMessage tap = batch.messages().get(0);
    assertEquals(1, batch.messages().size());
    assertEquals("1122334455667", tap.phoneNumberId());
    assertEquals("972987654321", tap.contactId());
    assertEquals("US.13491208655302741918", tap.contactUserId(), "from the matching contact");
    assertEquals("Test Name", tap.contactName());
    assertEquals("interactive", tap.type());
    assertEquals("title", tap.text());
    assertEquals(Instant.ofEpochSecond(1698266730L), tap.sentAt());
    assertEquals(Map.of(
        "interactive.type", "button_reply",
        "interactive.id", "callback_data",
        "interactive.title", "title",
        "context.id", "wamid.xyzxyz",
        "context.from", "1122334455667",
        "contact.parent_user_id", "US.ENT.11815799212886844830"), tap.fields());
  }

  /**
   * Every node of every example replaced, one at a time, by every other JSON shape: the parser
   * answers a batch each time, and rejects the body whole only when {@code object} or {@code entry}
   * itself is wrong.
   */
  @Test
  void noOddShapeAnywhereInTheExamplesBreaksTheParser() throws IOException {
    List<JsonNode> shapes = List.of(NullNode.getInstance(), IntNode.valueOf(7), TextNode.valueOf(""),
        TextNode.valueOf("x"), BooleanNode.TRUE, DoubleNode.valueOf(-0.5),
        BigIntegerNode.valueOf(new BigInteger("9".repeat(40))), Payloads.arr(), Payloads.obj(),
        Payloads.arr(Payloads.obj("a", Payloads.arr(1))));
    int parsed = 0;
    for (String name : EXAMPLES) {
      JsonNode original = Payloads.JSON.readTree(example(name));
      for (List<Object> path : paths(original, new ArrayList<>(), new ArrayList<>())) {
        for (JsonNode shape : shapes) {
          JsonNode changed = replaced(original, path, shape);
          try {
            assertNotNull(WhatsAppWebhook.parse(Payloads.bytes(changed)));
            parsed++;
          } catch (MalformedWebhookException e) {
            assertTrue(path.equals(List.of("object")) || path.equals(List.of("entry")), name + " " + path + ": " + e);
          }
        }
      }
    }
    assertTrue(parsed > 1000, "parsed " + parsed);
  }

  /** The path (member names and indexes) of every node under {@code node}. */
  private static List<List<Object>> paths(JsonNode node, List<Object> here, List<List<Object>> all) {
    if (!here.isEmpty()) all.add(List.copyOf(here));
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> member : node.properties()) {
        here.add(member.getKey());
        paths(member.getValue(), here, all);
        here.remove(here.size() - 1);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        here.add(i);
        paths(node.get(i), here, all);
        here.remove(here.size() - 1);
      }
    }
    return all;
  }

  private static JsonNode replaced(JsonNode original, List<Object> path, JsonNode shape) {
    JsonNode copy = original.deepCopy();
    JsonNode parent = copy;
    for (Object step : path.subList(0, path.size() - 1)) {
      parent = step instanceof Integer i ? parent.get(i) : parent.get((String) step);
    }
    Object last = path.get(path.size() - 1);
    if (last instanceof Integer i) ((ArrayNode) parent).set(i, shape.deepCopy());
    else ((ObjectNode) parent).set((String) last, shape.deepCopy());
    return copy;
  }

  @Test
  void sentStatusWithPricing() {
    WebhookBatch batch = WhatsAppWebhook.parse(example("16_status_sent_with_pricing.json"));

    assertEquals(List.of(), batch.messages());
    assertEquals(List.of(), batch.skipped());
    StatusUpdate sent = batch.statuses().get(0);
    assertEquals(1, batch.statuses().size());
    assertEquals("sent", sent.status());
    assertEquals("wamid.xyzxyz", sent.id());
    assertEquals("972987654321", sent.recipientId());
    assertEquals(Instant.ofEpochSecond(1698266945L), sent.timestamp());
    assertNull(sent.errors());
  }
}

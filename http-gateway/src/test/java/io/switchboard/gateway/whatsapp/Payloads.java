package io.switchboard.gateway.whatsapp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Builds webhook bodies shaped like Meta's, so each test shows only what it varies. */
final class Payloads {
  private Payloads() {}

  static final ObjectMapper JSON = new ObjectMapper();
  static final String PHONE_NUMBER_ID = "106540352242922";
  static final String BUSINESS_PHONE = "15550783881";
  static final String CUSTOMER = "16505551234";
  static final String CUSTOMER_NAME = "Sheena Nelson";
  static final long SENT = 1_749_416_383L;

  /** An object from alternating keys and values (strings, numbers, booleans, nodes, null). */
  static ObjectNode obj(Object... keysAndValues) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    for (int i = 0; i < keysAndValues.length; i += 2) node.set((String) keysAndValues[i], node(keysAndValues[i + 1]));
    return node;
  }

  static ArrayNode arr(Object... items) {
    ArrayNode node = JsonNodeFactory.instance.arrayNode();
    for (Object item : items) node.add(node(item));
    return node;
  }

  private static JsonNode node(Object value) {
    if (value == null) return JsonNodeFactory.instance.nullNode();
    if (value instanceof JsonNode n) return n;
    if (value instanceof String s) return JsonNodeFactory.instance.textNode(s);
    if (value instanceof Integer i) return JsonNodeFactory.instance.numberNode(i);
    if (value instanceof Long l) return JsonNodeFactory.instance.numberNode(l);
    if (value instanceof Double d) return JsonNodeFactory.instance.numberNode(d);
    if (value instanceof Boolean b) return JsonNodeFactory.instance.booleanNode(b);
    throw new IllegalArgumentException("no JSON for " + value.getClass());
  }

  static ObjectNode body(ObjectNode... entries) {
    return obj("object", "whatsapp_business_account", "entry", arr((Object[]) entries));
  }

  static ObjectNode entry(ObjectNode... changes) {
    return obj("id", "102290129340398", "changes", arr((Object[]) changes));
  }

  static ObjectNode change(String field, ObjectNode value) {
    return obj("value", value, "field", field);
  }

  /** A {@code field: messages} value for the business number {@code phoneNumberId}, nothing in it yet. */
  static ObjectNode value(String phoneNumberId) {
    return obj("messaging_product", "whatsapp",
        "metadata", obj("display_phone_number", BUSINESS_PHONE, "phone_number_id", phoneNumberId));
  }

  static ObjectNode contact(String waId, String name) {
    return obj("profile", obj("name", name), "wa_id", waId);
  }

  /** A message of {@code type} from {@link #CUSTOMER} at {@link #SENT}, plus the given members. */
  static ObjectNode message(String id, String type, Object... members) {
    ObjectNode m = obj("from", CUSTOMER, "id", id, "timestamp", Long.toString(SENT), "type", type);
    m.setAll(obj(members));
    return m;
  }

  static ObjectNode text(String id, String body) {
    return message(id, "text", "text", obj("body", body));
  }

  /** One entry, one messages change from {@link #CUSTOMER} (named in contacts) carrying these messages. */
  static ObjectNode inbound(ObjectNode... messages) {
    ObjectNode value = value(PHONE_NUMBER_ID);
    value.set("contacts", arr(contact(CUSTOMER, CUSTOMER_NAME)));
    value.set("messages", arr((Object[]) messages));
    return body(entry(change("messages", value)));
  }

  static byte[] bytes(JsonNode body) {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static WebhookBatch parse(JsonNode body) {
    return WhatsAppWebhook.parse(bytes(body));
  }

  static WebhookBatch parse(String body) {
    return WhatsAppWebhook.parse(body.getBytes(StandardCharsets.UTF_8));
  }

  /** The single message of a body that must have nothing skipped and nothing else in it. */
  static InboundMessage only(ObjectNode message) {
    WebhookBatch batch = parse(inbound(message));
    assertEquals(List.of(), batch.skipped());
    assertEquals(1, batch.messages().size());
    return batch.messages().get(0);
  }

  /** A file of {@code src/test/resources/whatsapp/}, byte for byte. */
  static byte[] example(String name) {
    try (InputStream in = Payloads.class.getResourceAsStream("/whatsapp/" + name)) {
      if (in == null) throw new IllegalStateException("missing test resource whatsapp/" + name);
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package io.switchboard.gateway.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.typesafe.config.ConfigFactory;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every event of every fixture ({@link JournalCompatibilityTest#FIXTURES}), read by this version and
 * written again, is what the earlier version wrote: same fields, same values, hold tokens the same
 * strings (sets compared without their order, which a JVM's {@code Set.copyOf} does not keep; a field added
 * since the fixture, null, is not a change).
 */
class StoredEventsRoundTripTest {
  private static final ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "roundtrip",
      ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
  private static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
  private static final ObjectMapper CBOR = new ObjectMapper(new CBORFactory());

  @AfterAll
  static void close() {
    system.terminate();
  }

  @Test
  void everyStoredEventIsWrittenBackAsItWasStored() throws Exception {
    int checked = 0;
    for (String fixture : JournalCompatibilityTest.FIXTURES) {
      JsonNode journal = resource(fixture).get("event_journal");
      List<String> columns = new ArrayList<>();
      journal.get("columns").forEach(c -> columns.add(c.asText()));
      for (JsonNode row : journal.get("rows")) {
        String manifest = row.get(columns.indexOf("event_ser_manifest")).asText();
        int serializerId = row.get(columns.indexOf("event_ser_id")).asInt();
        if (!manifest.startsWith("io.switchboard.")) continue;
        byte[] stored = Base64.getDecoder().decode(row.get(columns.indexOf("event_payload")).get("base64").asText());
        Serializer s = serialization.serializerByIdentity().apply(serializerId);
        SerializerWithStringManifest serializer = (SerializerWithStringManifest) s;
        Object event = serializer.fromBinary(stored, manifest);
        byte[] written = serializer.toBinary(event);
        String what = fixture + " " + manifest + ": " + event;
        assertEquals(manifest.split("#")[0], serializer.manifest(event).split("#")[0], what);
        JsonNode before = CBOR.readTree(stored);
        assertEquals(canonical(before), canonical(withoutAddedNulls(before, CBOR.readTree(written))), what);
        checked++;
      }
    }
    assertTrue(checked > 100, "events checked: " + checked);
  }

  /** {@code written} without the fields {@code stored} lacks that are null: fields added since, absent meaning null. */
  private static JsonNode withoutAddedNulls(JsonNode stored, JsonNode written) {
    if (stored instanceof ObjectNode s && written instanceof ObjectNode w) {
      ObjectNode out = w.objectNode();
      for (Iterator<String> it = w.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!s.has(k) && w.get(k).isNull()) continue;
        out.set(k, s.has(k) ? withoutAddedNulls(s.get(k), w.get(k)) : w.get(k));
      }
      return out;
    }
    if (stored instanceof ArrayNode s && written instanceof ArrayNode w && s.size() == w.size()) {
      ArrayNode out = w.arrayNode();
      for (int i = 0; i < w.size(); i++) out.add(withoutAddedNulls(s.get(i), w.get(i)));
      return out;
    }
    return written;
  }

  private static JsonNode canonical(JsonNode node) {
    if (node instanceof ArrayNode a) {
      List<JsonNode> items = new ArrayList<>();
      a.forEach(n -> items.add(canonical(n)));
      items.sort(Comparator.comparing(JsonNode::toString));
      ArrayNode out = a.arrayNode();
      items.forEach(out::add);
      return out;
    }
    if (node instanceof ObjectNode o) {
      ObjectNode out = o.objectNode();
      for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        out.set(k, canonical(o.get(k)));
      }
      return out;
    }
    return node;
  }

  private static JsonNode resource(String fixture) throws Exception {
    try (InputStream in = StoredEventsRoundTripTest.class.getResourceAsStream("/compat/" + fixture + "/store.json")) {
      return new ObjectMapper().readTree(in);
    }
  }
}

package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.switchboard.HoldToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.switchboard.testkit.TestConfig;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Version-1 snapshots of {@link Conversation.State}, as the code before the split wrote them (the
 * resources in {@code snapshots/}: two from the compatibility fixture {@code compat/b8445bb}, one taken
 * while a rule's question was pending), read by this version.
 */
class ConversationStateMigrationTest {
  private static final ActorTestKit kit = ActorTestKit.create(TestConfig.manualTime());
  private static final SerializerWithStringManifest serializer = (SerializerWithStringManifest) SerializationExtension
      .get(Adapter.toClassic(kit.system())).findSerializerFor(Conversation.State.empty());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper CBOR = new ObjectMapper(new CBORFactory());

  @AfterAll
  static void close() {
    kit.shutdownTestKit();
  }

  @Test
  void aReroutedAssignedConversationKeepsItsRoundAgentReleasesAndClocks() throws Exception {
    Conversation.State s = readV1("conversation-state-v1-rerouted.json");
    assertEquals(Conversation.Status.ASSIGNED, s.status());
    assertEquals("compat/desk", s.team());
    assertEquals(2, s.attempt());
    assertEquals(1, s.round().reroutes());
    assertEquals(Set.of("compat/ann"), s.round().lapsedAgents());
    assertEquals(Map.of("reply_window_lapsed", 1), s.round().reroutesByCause());
    assertEquals("rule 'else': no other rule matched", s.round().routedBy());
    assertEquals("compat/ben", s.agentId());
    assertEquals(HoldToken.round(2), s.hold());
    assertEquals(Instant.parse("2026-12-03T13:42:26.544346502Z"), s.assignment().assignedAt());
    assertEquals(true, s.answered());
    assertEquals(List.of(new Conversation.Release("compat/ann", HoldToken.round(1))), s.releases());
    assertEquals(Instant.parse("2026-12-04T13:42:24.441082615Z"), s.clocks().serviceWindowClosesAt());
    assertEquals(List.of("m-1"), s.recentMessageIds());
    assertEquals("compat/sup", s.policy().escalation().supervisorAgent());
    assertEquals(Conversation.State.empty().rules(), s.rules());
  }

  @Test
  void aClaimedConversationWithATransferPendingKeepsItsContactAndSteps() throws Exception {
    Conversation.State s = readV1("conversation-state-v1-transfer.json");
    assertEquals("compat/eve", s.agentId());
    assertEquals(HoldToken.of("c42a6a846-1df9-46e6-afea-d24ff3d56bef"), s.hold());
    assertEquals("compat/sup", s.transferTo());
    assertEquals(Set.of("compat/pool", "compat/desk"), s.round().visitedTeams());
    assertEquals(20, s.priority());
    assertEquals(Map.of("segment", "vip"), s.contactFields());
    assertEquals(Set.of("segment-menu"), s.rules().stepsDone());
    assertEquals(2, s.contact().messages());
    assertEquals(1, s.contact().episodes());
  }

  @Test
  void aConversationWaitingForAnAnswerKeepsItsPendingQuestionAndRules() throws Exception {
    Conversation.State s = readV1("conversation-state-v1-routing.json");
    assertEquals(Conversation.Status.ROUTING, s.status());
    assertNull(s.assignment(), "nobody holds it");
    assertEquals("segment-menu", s.pending().stepId());
    assertEquals(3, s.pending().attempt());
    assertEquals(Instant.parse("2026-03-02T09:10:00Z"), s.nextDeadline());
    assertEquals("Residential or Luxury?", s.pending().question().text());
    assertEquals(4, s.rules().routing().rules().rules().size());
    assertEquals("I want to buy a flat", s.rules().routing().text());
    assertEquals(List.of("m1", "m2"), s.recentMessageIds());
  }

  /** Nothing is lost: the state read from a v1 snapshot, written as v2, is the migrated v1 JSON (plus defaults). */
  @Test
  void everyVersionOneFieldLandsInTheNestedShapeAndVersionTwoReadsBackUnchanged() throws Exception {
    for (String name : List.of("conversation-state-v1-rerouted.json", "conversation-state-v1-transfer.json",
        "conversation-state-v1-routing.json")) {
      Conversation.State s = readV1(name);
      String manifest = serializer.manifest(s);
      assertEquals(Conversation.State.class.getName() + "#2", manifest);
      byte[] v2 = serializer.toBinary(s);
      assertEquals(s, serializer.fromBinary(v2, manifest), name);
      ObjectNode migrated = (ObjectNode) new ConversationStateMigration().transform(1, resource(name));
      ObjectNode written = (ObjectNode) CBOR.readTree(v2);
      written.remove("open");
      dropNullsAddedSince(written, migrated);
      assertEquals(migrated, written, name);
    }
  }

  /** Takes out of {@code written} the null fields {@code fixture} does not have: fields added since, not a change. */
  private static void dropNullsAddedSince(JsonNode written, JsonNode fixture) {
    if (written instanceof ObjectNode o) {
      List<String> added = new java.util.ArrayList<>();
      o.fieldNames().forEachRemaining(f -> {
        if (o.get(f).isNull() && (fixture == null || !fixture.has(f))) added.add(f);
      });
      added.forEach(o::remove);
      o.fieldNames().forEachRemaining(f -> dropNullsAddedSince(o.get(f), fixture == null ? null : fixture.get(f)));
    } else if (written != null && written.isArray()) {
      for (int i = 0; i < written.size(); i++) {
        dropNullsAddedSince(written.get(i), fixture != null && fixture.isArray() && i < fixture.size() ? fixture.get(i) : null);
      }
    }
  }

  /** In a rolling upgrade a node of the version before answers {@code Get} with the flat state inside its view. */
  @Test
  void aViewFromANodeOfTheVersionBeforeCarriesTheSameStateAsItsSnapshot() throws Exception {
    ObjectNode view = JSON.createObjectNode();
    view.put("conversationId", "compat/whatsapp:15550001");
    view.set("state", resource("conversation-state-v1-rerouted.json"));
    view.put("queueReason", "no_agent_available");
    Conversation.View v = (Conversation.View) serializer.fromBinary(CBOR.writeValueAsBytes(view),
        Conversation.View.class.getName());
    assertEquals(new Conversation.View("compat/whatsapp:15550001", readV1("conversation-state-v1-rerouted.json"),
        "no_agent_available"), v);
    byte[] v2 = serializer.toBinary(v);
    assertEquals(v, serializer.fromBinary(v2, serializer.manifest(v)));
    assertEquals(Conversation.View.class.getName() + "#2", serializer.manifest(v));
  }

  private static Conversation.State readV1(String name) throws Exception {
    byte[] bytes = CBOR.writeValueAsBytes(resource(name)); // as in the snapshot table: CBOR, manifest without a version
    return (Conversation.State) serializer.fromBinary(bytes, Conversation.State.class.getName());
  }

  private static JsonNode resource(String name) throws Exception {
    try (InputStream in = ConversationStateMigrationTest.class.getResourceAsStream("/snapshots/" + name)) {
      return JSON.readTree(in);
    }
  }
}

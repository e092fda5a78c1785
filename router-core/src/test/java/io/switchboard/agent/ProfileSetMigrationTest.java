package io.switchboard.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.switchboard.testkit.TestConfig;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ProfileSetMigrationTest {
  private static final ActorTestKit kit = ActorTestKit.create(TestConfig.manualTime());
  private static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));

  @AfterAll
  static void close() {
    kit.shutdownTestKit();
  }

  @Test
  void aVersionOneProfileEventIsReadAsTheCurrentShapeWithItsCapacityOnEveryChannel() throws Exception {
    // What a version-1 event looks like in the journal: a flat profile, manifest without a version.
    ObjectNode v1 = new ObjectMapper().createObjectNode();
    v1.put("maxConversations", 3);
    v1.putObject("skills").put("billing", 2);
    v1.putArray("languages").add("pt");
    v1.put("role", "SUPERVISOR");
    byte[] bytes = new ObjectMapper(new CBORFactory()).writeValueAsBytes(v1);
    Agent.ProfileSet current = new Agent.ProfileSet(AgentProfile.withCapacity(1));
    SerializerWithStringManifest serializer = (SerializerWithStringManifest) serialization.findSerializerFor(current);

    Object read = serializer.fromBinary(bytes, Agent.ProfileSet.class.getName());

    assertEquals(new Agent.ProfileSet(new AgentProfile(Map.of("*", 3), Map.of("billing", 2), Set.of("pt"),
        AgentProfile.Role.SUPERVISOR)), read);
  }

  @Test
  void newEventsAreWrittenAsVersionTwoAndReadBackUnchanged() throws Exception {
    Agent.ProfileSet event = new Agent.ProfileSet(new AgentProfile(Map.of("whatsapp", 4, "*", 1), Map.of(),
        Set.of("en"), AgentProfile.Role.AGENT));
    SerializerWithStringManifest serializer = (SerializerWithStringManifest) serialization.findSerializerFor(event);
    String manifest = serializer.manifest(event);
    assertEquals(Agent.ProfileSet.class.getName() + "#2", manifest);
    assertEquals(event, serializer.fromBinary(serializer.toBinary(event), manifest));
  }
}

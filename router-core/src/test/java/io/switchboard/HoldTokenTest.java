package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.testkit.TestConfig;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class HoldTokenTest {
  private static final ActorTestKit kit = ActorTestKit.create(TestConfig.manualTime());

  @AfterAll
  static void close() {
    kit.shutdownTestKit();
  }

  @Test
  void aRoundTokenIsItsRoundAndReadsBackFromItsText() {
    HoldToken r3 = HoldToken.round(3);
    assertEquals("r3", r3.text());
    assertTrue(r3.isRound(3));
    assertFalse(r3.isRound(4));
    assertFalse(r3.isClaim());
    assertEquals(3, r3.round());
    assertSame(r3, HoldToken.of("r3"), "the first rounds are shared");
    assertEquals(HoldToken.round(1000), HoldToken.of("r1000"));
    assertEquals("r1000", HoldToken.of("r1000").text());
  }

  @Test
  void aClaimIsUniqueAndKeepsItsText() {
    HoldToken c = HoldToken.claim();
    assertTrue(c.isClaim());
    assertEquals(-1, c.round());
    assertTrue(c.text().matches("c[0-9a-f-]{36}"), c.text());
    assertNotEquals(c, HoldToken.claim());
    assertEquals(c, HoldToken.of(c.text()));
    assertEquals(c.hashCode(), HoldToken.of(c.text()).hashCode());
  }

  @Test
  void textThatIsNoRoundIsNeverTakenForOne() {
    for (String odd : new String[] {"r", "r01", "rx", "x5", "r-1", "r12345678901"}) {
      HoldToken t = HoldToken.of(odd);
      assertEquals(-1, t.round(), odd);
      assertEquals(odd, t.text());
      assertFalse(t.isClaim(), odd);
    }
  }

  /** In the journal a hold is the string it always was (here: inside an event, as CBOR text). */
  @Test
  void eventsCarryTheTokenAsItsString() throws Exception {
    Agent.Reserved e = new Agent.Reserved("t/chat:1", HoldToken.round(2), "t/desk", null, Instant.EPOCH);
    SerializerWithStringManifest s = (SerializerWithStringManifest) SerializationExtension
        .get(Adapter.toClassic(kit.system())).findSerializerFor(e);
    byte[] bytes = s.toBinary(e);
    assertEquals("r2", new ObjectMapper(new CBORFactory()).readTree(bytes).get("hold").textValue());
    assertEquals(e, s.fromBinary(bytes, s.manifest(e)));
    Conversation.Release claimed = new Conversation.Release("t/ann", HoldToken.claim());
    assertEquals(claimed, s.fromBinary(s.toBinary(claimed), s.manifest(claimed)));
  }
}

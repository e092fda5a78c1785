package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.switchboard.conversation.Conversation;
import io.switchboard.routing.RoutingHint;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Storable} refuses exactly what the journal's serializer (Jackson CBOR) and PostgreSQL text cannot hold. */
class StorableTest {
  private static final ObjectMapper CBOR = new ObjectMapper(new CBORFactory());

  record Text(String s) {}

  @Test
  void loneSurrogatesAndNulAreNamedWithTheirIndex() {
    assertEquals("lone UTF-16 surrogate at index 3", Storable.problem("abc\ud83d"));
    assertEquals("lone UTF-16 surrogate at index 1", Storable.problem("a\ude00b"));
    assertEquals("lone UTF-16 surrogate at index 0", Storable.problem("\ude00\ud83d"));
    assertEquals("NUL character at index 2", Storable.problem("ab\u0000"));
    for (String fine : List.of("", "😀", "a😀b", "こんにちは", "مرحبا\u200f", "\uffff\ufffe\ufdd0", "\u0001\t\n\u0085")) {
      assertNull(Storable.problem(fine), fine);
    }
  }

  @Test
  void whatItAcceptsTheSerializerWritesAndReadsBackIdenticalAndWhatItRefusesForSurrogatesTheSerializerCannotWrite()
      throws Exception {
    long seed = Long.getLong("seed", System.nanoTime());
    Random random = new Random(seed);
    char[] interesting = {0, 1, 0x1f, 0x7f, 0x85, 0x9f, 0x200f, 0xd83d, 0xde00, 0xdbff, 0xdc00, 0xfdd0, 0xfffe, 0xffff,
        'a', 'é', '中'};
    for (int n = 0; n < 2000; n++) {
      StringBuilder b = new StringBuilder();
      for (int i = random.nextInt(8); i >= 0; i--) {
        if (random.nextInt(4) == 0) b.appendCodePoint(0x1F600 + random.nextInt(80)); // a 4-byte character
        else b.append(interesting[random.nextInt(interesting.length)]);
      }
      String s = b.toString();
      String problem = Storable.problem(s);
      if (problem == null) {
        assertEquals(s, CBOR.readValue(CBOR.writeValueAsBytes(new Text(s)), Text.class).s(), "seed " + seed);
      } else if (problem.startsWith("lone")) {
        assertThrows(Exception.class, () -> CBOR.writeValueAsBytes(new Text(s)), "seed " + seed + ": " + problem);
      } else {
        assertTrue(problem.startsWith("NUL"), problem); // CBOR holds it; PostgreSQL text does not
      }
    }
  }

  @Test
  void aCommandIsWalkedThroughItsRecordsMapsAndListsAndTheProblemNamesThePath() {
    assertNull(Storable.problemIn(new Conversation.Inbound("m1", "hello 😀", RoutingHint.toTeam("t/a"), null)));
    assertEquals("text: lone UTF-16 surrogate at index 6", Storable.problemIn(
        new Conversation.Inbound("m1", "hello \ud83d", RoutingHint.toTeam("t/a"), null)));
    assertEquals("hint.team: NUL character at index 1", Storable.problemIn(
        new Conversation.Inbound("m1", "x", RoutingHint.toTeam("t\u0000"), null)));
    assertEquals("fields[name]: lone UTF-16 surrogate at index 0", Storable.problemIn(new Conversation.Inbound("m1", "x",
        null, null, null, Map.of("name", "\ude00"), null)));
    assertEquals("fields key: NUL character at index 0", Storable.problemIn(new Conversation.Inbound("m1", "x",
        null, null, null, Map.of("\u0000", "v"), null)));
    assertEquals("[1][0]: NUL character at index 0", Storable.problemIn(List.of(List.of(), List.of("\u0000"))));
  }

  @Test
  void repairReplacesOnlyWhatCannotBeStored() {
    assertEquals("a\ufffdb\ufffd😀", Storable.repair("a\ud83db\u0000😀"));
    String fine = "\u0001 مرحبا 😀";
    assertTrue(fine == Storable.repair(fine), "unchanged strings are not copied");
  }
}

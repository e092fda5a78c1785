package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class TextTest {

  @Test
  void textIsCutWithoutSplittingACharacter() {
    assertEquals("abc", Text.cut("abc", 5));
    assertEquals("ab", Text.cut("abc", 2));
    assertEquals("a", Text.cut("a\uD83D\uDE00b", 2), "the pair is dropped whole");
    assertEquals("ab…", Text.clip("abc", 2));
    assertEquals("abc", Text.clip("abc", 3));
    assertNull(Text.clip(null, 3));
    assertEquals("first", Text.firstLine("first\nsecond"));
    assertEquals("", Text.firstLine(null));
  }
}

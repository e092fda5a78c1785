package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Which conversation events are tagged for the read models ({@link Conversation.Event#shownInReadModels}): the
 * same set as when tagging was an exclusion list, and every event of the sealed hierarchy is in the table below,
 * so a new event makes this test fail until someone decides whether read models see it.
 */
class ReadModelTagsTest {

  /** Shown whatever their fields; the two conditional ones are checked below. */
  private static final Set<String> SHOWN = Set.of("Assigned", "Rerouted", "Escalated", "Overflowed",
      "TransferredToTeam", "Resolved", "StepStarted", "RulesDecided");
  private static final Set<String> NOT_SHOWN = Set.of("PolicyLearned", "TransferRequested", "ServiceWindowClosed",
      "StepAnswered", "StepRetried", "StepFailed", "ContactFieldsLearned", "ContactEventRecorded");
  private static final Set<String> CONDITIONAL = Set.of("MessageReceived", "AgentReplied");

  @Test
  void everyEventSaysWhetherTheReadModelsSeeIt() throws Exception {
    Set<String> all = new TreeSet<>();
    Map<String, Boolean> shown = new TreeMap<>();
    for (Class<?> c : Conversation.Event.class.getPermittedSubclasses()) {
      all.add(c.getSimpleName());
      if (!CONDITIONAL.contains(c.getSimpleName())) shown.put(c.getSimpleName(), blank(c).shownInReadModels());
    }
    Set<String> classified = new TreeSet<>(SHOWN);
    classified.addAll(NOT_SHOWN);
    classified.addAll(CONDITIONAL);
    assertEquals(classified, all, "every event is in this test's table");
    shown.forEach((event, s) -> assertEquals(SHOWN.contains(event), s, event));
  }

  @Test
  void aMessageIsShownWhenItOpensAnEpisodeOrStartsAReplyWindowAReplyWhenItIsTheFirst() {
    Instant at = Instant.parse("2026-12-03T10:00:00Z");
    assertTrue(message(true, false));
    assertTrue(message(false, true));
    assertTrue(message(true, true));
    assertFalse(message(false, false));
    assertTrue(new Conversation.AgentReplied("a", false, at, null, true).shownInReadModels());
    assertFalse(new Conversation.AgentReplied("a", false, at, null, false).shownInReadModels());
  }

  private static boolean message(boolean opensEpisode, boolean startsReplyWindow) {
    return new Conversation.MessageReceived("m", "hi", Instant.EPOCH, null, "t", null, null, opensEpisode,
        startsReplyWindow).shownInReadModels();
  }

  /** The event with every field null, false or 0 (the compact constructors default the collections). */
  private static Conversation.Event blank(Class<?> type) throws Exception {
    RecordComponent[] components = type.getRecordComponents();
    Class<?>[] types = Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new);
    Constructor<?> canonical = type.getDeclaredConstructor(types);
    Object[] args = new Object[types.length];
    for (int i = 0; i < types.length; i++) {
      if (types[i] == boolean.class) args[i] = false;
      else if (types[i] == int.class) args[i] = 0;
      else if (types[i] == long.class) args[i] = 0L;
    }
    return (Conversation.Event) canonical.newInstance(args);
  }
}

package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Outcome;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Fixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** What the channel says about a contact (a new number, a changed identity) is remembered, never routed. */
class ContactEventsTest {
  static final Fixture f = new Fixture();

  @AfterAll
  static void close() {
    f.close();
  }

  static Outcome changed(String c, String eventId, Map<String, String> fields) {
    return f.ask(r -> f.directory.conversation(c, new Conversation.ContactChanged(eventId, "user_changed_number",
        "Ana changed from 1 to 2", fields, Fixture.START, r)));
  }

  @Test
  void aContactEventChangesTheContactsFieldsButNotTheConversation() {
    f.onlineAgent("ce1/a", 2);
    f.configure("ce1/sales", TeamConfig.of(List.of("ce1/a"), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5)));
    f.awaitOnline("ce1/sales", "ce1/a");
    String c = Fixture.conv("ce1", "1");
    assertTrue(f.inbound(c, "m1", "ce1/sales").ok());
    f.awaitAssigned(c, "ce1/a");
    Conversation.State before = f.conversation(c).state();

    assertEquals(Outcome.ok("contact event recorded"), changed(c, "sys1", Map.of("phoneChangedTo", "2")));
    assertTrue(changed(c, "sys1", Map.of("phoneChangedTo", "2")).alreadyAccepted());

    Conversation.State after = f.conversation(c).state();
    assertEquals("2", after.contactFields().get("phoneChangedTo"));
    assertEquals(before.contact().messages(), after.contact().messages(), "not a message");
    assertEquals(before.status(), after.status());
    assertEquals(before.agentId(), after.agentId());
    assertEquals(before.replyDeadline(), after.replyDeadline(), "the agent's reply window is not touched");
    assertEquals(before.clocks().serviceWindowClosesAt(), after.clocks().serviceWindowClosesAt(), "nor the service window");
    assertEquals(before.contact().episodes(), after.contact().episodes());
  }

  @Test
  void aContactEventOpensNoConversation() {
    String c = Fixture.conv("ce2", "1");
    assertTrue(changed(c, "sys2", Map.of("phoneChangedFrom", "1")).ok());
    Conversation.State s = f.conversation(c).state();
    assertEquals(Conversation.Status.NEW, s.status());
    assertEquals(0, s.contact().messages());
    assertEquals("1", s.contactFields().get("phoneChangedFrom"));
  }
}

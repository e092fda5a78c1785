package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The causes' strings are stored (events, read-model columns) and shown (API, metrics): they never change. */
class RerouteCauseTest {

  @Test
  void theCodesAreTheStoredStringsInTheOrderTheApiCountsThem() {
    assertEquals(List.of("reply_window_lapsed", "agent_offline"), RerouteCause.CODES);
    assertEquals("reply_window_lapsed: ann did not answer", RerouteCause.REPLY_WINDOW_LAPSED.reason("ann did not answer"));
  }

  @Test
  void storedCausesAndEscalationReasonsReadLeniently() {
    assertEquals(RerouteCause.AGENT_OFFLINE, RerouteCause.of("agent_offline"));
    assertNull(RerouteCause.of("a_cause_of_a_newer_version"));
    assertNull(RerouteCause.of(null));
    assertEquals(RerouteCause.REPLY_WINDOW_LAPSED, RerouteCause.ofReason("reply_window_lapsed: ann did not answer"));
    assertEquals(RerouteCause.REPLY_WINDOW_LAPSED, RerouteCause.ofReason("reply_window_lapsed"));
    assertNull(RerouteCause.ofReason("queue_wait_exceeded: no agent of desk was available"));
    assertNull(RerouteCause.ofReason(null));
  }
}

package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.conversation.RerouteCause;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What /metrics shows of re-routes and escalations: the cause label as stored, lapsed reply windows counted once each. */
class MetricsTest {

  @Test
  void reroutesAreCountedByTheirCauseAndLapsedReplyWindowsAsExpiries() {
    Metrics m = new Metrics();
    m.rerouted("acme/api:1", "acme/ann", "acme/desk", RerouteCause.REPLY_WINDOW_LAPSED);
    m.rerouted("acme/api:2", "acme/ann", "acme/desk", RerouteCause.AGENT_OFFLINE);
    m.rerouted("acme/api:3", "acme/bob", "acme/desk", RerouteCause.AGENT_OFFLINE);
    m.escalated("acme/api:4", "acme/ann", "acme/sue", null,
        "reply_window_lapsed: acme/ann did not answer within PT2M after 2 re-routes");
    m.escalated("acme/api:5", null, null, "acme/backup", "queue_wait_exceeded: no agent of acme/desk was available");
    m.escalated("acme/api:6", null, "acme/sue", null, null);

    String text = m.scrape();
    assertEquals(1.0, value(text, "switchboard_reroutes_total\\{cause=\"reply_window_lapsed\",?\\}"), text);
    assertEquals(2.0, value(text, "switchboard_reroutes_total\\{cause=\"agent_offline\",?\\}"), text);
    assertEquals(3.0, value(text, "switchboard_escalations_total"), text);
    assertEquals(2.0, value(text, "switchboard_reply_window_expiries_total"), text); // one re-route, one escalation
  }

  private static double value(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(text);
    if (!m.find()) throw new AssertionError("no " + series + " in\n" + text);
    return Double.parseDouble(m.group(1));
  }
}

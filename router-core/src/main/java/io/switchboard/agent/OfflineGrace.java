package io.switchboard.agent;

import io.switchboard.agent.Agent.Hold;
import io.switchboard.agent.Agent.State;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * When the offline grace of each conversation an agent holds ends, going offline at a given instant: its
 * team's {@code offlineGrace}, the server's {@code offline-grace} for a hold with no team policy. Pure
 * functions of the agent's state, tested without actors. A wrap-up's hold has no grace: its conversation is
 * resolved, and the wrap-up ends at its own deadline whatever the agent's presence.
 */
final class OfflineGrace {
  private OfflineGrace() {}

  /** When the grace of a conversation held under {@code h} ends: its team's grace (the server's by default). */
  static Instant end(Instant offlineSince, Hold h, Duration serverGrace) {
    Duration grace = h.policy() == null ? serverGrace : h.policy().offlineGraceOr(serverGrace);
    return offlineSince.plus(grace);
  }

  /** The earliest grace end of a held conversation after {@code after} (null: any), going offline at {@code since}. */
  static Instant next(State s, Instant since, Instant after, Duration serverGrace) {
    Instant next = null;
    for (Hold h : s.holds().values()) {
      if (h.wrappingUp()) continue; // resolved: nothing to re-route, its wrap-up ends on its own deadline
      Instant end = end(since, h, serverGrace);
      if ((after == null || end.isAfter(after)) && (next == null || end.isBefore(next))) next = end;
    }
    return next;
  }

  /**
   * The held conversations whose grace has ended at {@code now}, by id; all of them when the state does not know
   * since when the agent is offline (snapshots older than {@link State#offlineSince}).
   */
  static Map<String, Hold> due(State s, Instant now, Duration serverGrace) {
    Map<String, Hold> due = new TreeMap<>();
    s.holds().forEach((convId, h) -> {
      if (h.wrappingUp()) return;
      if (s.offlineSince() == null || !end(s.offlineSince(), h, serverGrace).isAfter(now)) due.put(convId, h);
    });
    return due;
  }
}

package io.switchboard.persistence.readmodel;

import io.switchboard.conversation.Conversation;
import io.switchboard.persistence.jdbc.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The wake-up index {@code sb_wakeup}: when each conversation must run again (docs/ARCHITECTURE.md,
 * "Recovery on demand"). The projection writes a row from the tagged events, the keeper rewrites it
 * from what the woken conversation answered; each write carries the conversation's event sequence
 * number it reflects and never replaces a row of a later one. A null {@code wake_at} means nothing to
 * wake for (the row is kept, so an older write that arrives late cannot bring a stale time back).
 */
final class Wakeups {
  private Wakeups() {}

  /** A row of the index. */
  record Due(String conversationId, Instant wakeAt, long seq) {}

  // Standard MERGE (H2 2.x and PostgreSQL 15): insert, or update only when this version is not older.
  private static final String MERGE = "MERGE INTO sb_wakeup w USING (VALUES (CAST(? AS VARCHAR), "
      + "CAST(? AS TIMESTAMP WITH TIME ZONE), CAST(? AS BIGINT))) AS v(id, wake, seq) ON w.conversation_id = v.id "
      + "WHEN MATCHED AND w.seq <= v.seq THEN UPDATE SET wake_at = v.wake, seq = v.seq "
      + "WHEN NOT MATCHED THEN INSERT (conversation_id, wake_at, seq) VALUES (v.id, v.wake, v.seq)";

  /**
   * The projection's write, in its transaction: each row's wake-up as its events left it. Both
   * writers lock rows in conversation id order, so they never deadlock (H2 detected one when they did not).
   */
  static void write(Connection con, Collection<ConversationRow> rows, Duration checkAfter)
      throws SQLException {
    List<ConversationRow> ordered = new ArrayList<>(rows);
    ordered.sort(Comparator.comparing(r -> r.conversationId));
    Jdbc.batch(con, MERGE, ordered,
        (a, r) -> a.string(r.conversationId).instant(r.wakeAt(checkAfter)).number(r.seq));
  }

  /** The keeper's write: what the conversations answered, each their own next deadline. */
  static void record(Connection con, List<Conversation.Woken> woken) throws SQLException {
    List<Conversation.Woken> ordered = new ArrayList<>(woken);
    ordered.sort(Comparator.comparing(Conversation.Woken::conversationId));
    Jdbc.batch(con, MERGE, ordered, (a, w) -> a.string(w.conversationId()).instant(w.next()).number(w.seq()));
  }

  /**
   * The rows due by {@code until} in (wake_at, conversation_id) order, at most {@code limit}: from the
   * earliest, or only those after the row {@code after} (the last one a previous read returned).
   */
  static List<Due> due(Connection con, Instant until, Due after, int limit) throws SQLException {
    String sql = "SELECT conversation_id, wake_at, seq FROM sb_wakeup WHERE wake_at <= ?"
        + (after == null ? "" : " AND (wake_at, conversation_id) > (?, ?)")
        + " ORDER BY wake_at, conversation_id LIMIT ?";
    List<Object> params = after == null ? List.of(until, limit)
        : List.of(until, after.wakeAt(), after.conversationId(), limit);
    return Jdbc.query(con, sql, params,
        rs -> new Due(rs.getString("conversation_id"), Jdbc.instant(rs, "wake_at"), rs.getLong("seq")));
  }
}

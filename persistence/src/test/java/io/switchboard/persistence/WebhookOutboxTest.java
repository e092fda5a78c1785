package io.switchboard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.persistence.outbox.OutboxRow;
import io.switchboard.persistence.outbox.WebhookOutbox;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox's SQL on both stores it must run on, the projection's append and the dispatcher's
 * reads, deletes and dead-lettering: H2 2.x in a temp directory and the local PostgreSQL 15 (a schema
 * of its own in {@code switchboard_test}, dropped afterwards).
 */
class WebhookOutboxTest {

  /** A dead-lettered row as stored. */
  private record Dead(long id, String eventId, int attempts, String lastError, Instant failedAt, Instant nextAttemptAt) {}

  @Test
  void onH2(@TempDir Path dir) throws SQLException {
    StoreSettings s = TestStores.h2(dir);
    Store.createSchema(s);
    try {
      exercise(s);
    } finally {
      try (Connection con = connect(s); Statement st = con.createStatement()) {
        st.execute("SHUTDOWN"); // it stays open for the JVM's life otherwise (DB_CLOSE_DELAY=-1)
      }
    }
  }

  @Test
  void onPostgres() throws SQLException {
    StoreSettings s = TestStores.postgres("outbox");
    Store.createSchema(s);
    try {
      exercise(s);
    } finally {
      try (Connection con = connect(s); Statement st = con.createStatement()) {
        st.execute("DROP SCHEMA " + s.pgSchema() + " CASCADE");
      }
    }
  }

  private static void exercise(StoreSettings s) throws SQLException {
    WebhookOutbox outbox = new WebhookOutbox(TestStores.dataSource(s));
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);

    long a1 = append(s, outbox, "a", "Conversation|a/wa:1:1", "conversation.assigned", "a/wa:1", now);
    long b1 = append(s, outbox, "b", "Conversation|b/wa:1:1", "conversation.assigned", "b/wa:1", now);
    long a2 = append(s, outbox, "a", "Conversation|a/wa:1:2", "conversation.resolved", "a/wa:1", now);
    assertEquals(List.of("a", "b"), outbox.dueTenants(now, 10), "oldest head first");
    assertEquals(List.of("a"), outbox.dueTenants(now, 1));

    List<OutboxRow> rows = outbox.oldest("a", 10);
    assertEquals(List.of(a1, a2), rows.stream().map(OutboxRow::id).toList());
    OutboxRow head = rows.get(0);
    assertEquals("Conversation|a/wa:1:1", head.eventId());
    assertEquals("conversation.assigned", head.eventType());
    assertEquals("a/wa:1", head.conversationId());
    assertEquals(payload("Conversation|a/wa:1:1", "conversation.assigned", "a", "a/wa:1"), head.payload());
    assertEquals(now, head.createdAt());
    assertEquals(0, head.attempts());
    assertNull(head.nextAttemptAt());
    assertTrue(head.dueAt(now));
    assertEquals(List.of(a1), outbox.oldest("a", 1).stream().map(OutboxRow::id).toList());

    // the head waits for a retry: the whole tenant does, though its second row has never been tried
    Instant retryAt = now.plus(Duration.ofHours(1));
    outbox.recordFailure(a1, 1, retryAt);
    assertEquals(List.of("b"), outbox.dueTenants(now, 10));
    assertEquals(List.of("a", "b"), outbox.dueTenants(retryAt, 10));
    head = outbox.oldest("a", 1).get(0);
    assertEquals(1, head.attempts());
    assertEquals(retryAt, head.nextAttemptAt());
    assertFalse(head.dueAt(now));

    String longError = "HTTP 500: " + "x".repeat(3000);
    assertTrue(outbox.deadLetter(head, 2, longError, now));
    assertFalse(outbox.deadLetter(head, 2, longError, now), "moved once");
    assertEquals(List.of(a2), outbox.oldest("a", 10).stream().map(OutboxRow::id).toList());
    assertEquals(List.of("b", "a"), outbox.dueTenants(now, 10), "a's second row is its head now");
    List<Dead> dead = dead(s, "a");
    assertEquals(1, dead.size());
    assertEquals(a1, dead.get(0).id());
    assertEquals("Conversation|a/wa:1:1", dead.get(0).eventId());
    assertEquals(2, dead.get(0).attempts());
    assertEquals(longError.substring(0, WebhookOutbox.MAX_ERROR_LENGTH), dead.get(0).lastError());
    assertEquals(now, dead.get(0).failedAt());
    assertNull(dead.get(0).nextAttemptAt());

    assertTrue(outbox.delete(a2));
    assertFalse(outbox.delete(a2));
    long b2 = append(s, outbox, "b", "Conversation|b/wa:1:2", "conversation.resolved", "b/wa:1", now);
    assertEquals(1, outbox.deleteUpTo("b", b1));
    assertEquals(List.of(b2), outbox.oldest("b", 10).stream().map(OutboxRow::id).toList(), "later rows stay");
    assertEquals(List.of("b"), outbox.dueTenants(now, 10));
  }

  /** The JSON a projection would write for this event (non-ASCII, to see it kept byte for byte). */
  private static String payload(String eventId, String type, String tenant, String conversationId) {
    return "{\"eventId\":\"" + eventId + "\",\"type\":\"" + type + "\",\"tenant\":\"" + tenant
        + "\",\"conversationId\":\"" + conversationId + "\",\"note\":\"caf\u00e9 \u2713\"}";
  }

  /** Appends a row as the projection does, in a transaction of its own; returns its id (the tenant's newest). */
  private static long append(StoreSettings s, WebhookOutbox outbox, String tenant, String eventId, String type,
      String conversationId, Instant at) throws SQLException {
    try (Connection con = connect(s)) {
      con.setAutoCommit(false);
      WebhookOutbox.append(con, List.of(new WebhookOutbox.Entry(tenant, eventId, type, conversationId,
          payload(eventId, type, tenant, conversationId), at)));
      con.commit();
    }
    List<OutboxRow> rows = outbox.oldest(tenant, 1000);
    return rows.get(rows.size() - 1).id();
  }

  private static List<Dead> dead(StoreSettings s, String tenant) throws SQLException {
    try (Connection con = connect(s); PreparedStatement ps = con.prepareStatement(
        "SELECT id, event_id, attempts, last_error, failed_at, next_attempt_at FROM sb_webhook_dead "
            + "WHERE tenant = ? ORDER BY id")) {
      ps.setString(1, tenant);
      List<Dead> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          OffsetDateTime next = rs.getObject("next_attempt_at", OffsetDateTime.class);
          rows.add(new Dead(rs.getLong("id"), rs.getString("event_id"), rs.getInt("attempts"),
              rs.getString("last_error"), rs.getObject("failed_at", OffsetDateTime.class).toInstant(),
              next == null ? null : next.toInstant()));
        }
      }
      return rows;
    }
  }

  private static Connection connect(StoreSettings s) throws SQLException {
    return DriverManager.getConnection(s.jdbcUrl(), s.user(), s.password());
  }
}

package io.switchboard.persistence.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * All the SQL of the webhook outbox: {@code sb_webhook_outbox} (rows appended by the read-model
 * projection in its transaction, {@link #append}; tables created by {@code ReadModelSchema}) and
 * {@code sb_webhook_dead}, where events go that exhausted their attempts. The gateway's
 * {@code WebhookDispatcher} reads, deletes and dead-letters through the other methods. Plain blocking
 * JDBC, the same SQL on H2 2.x and PostgreSQL 15: call it only on a dispatcher meant for blocking
 * (the dispatcher's {@code switchboard.gateway.outbound.jdbc-dispatcher}, the projection's own), never
 * on an actor's thread.
 *
 * <p>A tenant's oldest row is its head: only the head is ever attempted, so only the head ever waits
 * for a retry, and a tenant is due when its head is. Later rows wait behind it; that is what keeps
 * one conversation's events in order at the receiver.
 */
public final class WebhookOutbox {
  /** Longer errors are cut: the reason is at the start, the rest is usually a response body. */
  public static final int MAX_ERROR_LENGTH = 2000;

  private static final String COLUMNS =
      "id, tenant, event_id, event_type, conversation_id, payload, created_at, attempts, next_attempt_at";

  private final DataSource dataSource;

  public WebhookOutbox(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** An event to append: what a tenant's webhook will receive, {@code payload} byte for byte. */
  public record Entry(String tenant, String eventId, String type, String conversationId, String payload, Instant at) {}

  /** Appends {@code entries} in their order, on the caller's connection and in its transaction (the projection's). */
  public static void append(Connection con, List<Entry> entries) throws SQLException {
    if (entries.isEmpty()) return;
    try (PreparedStatement ps = con.prepareStatement("INSERT INTO sb_webhook_outbox (tenant, event_id, event_type, "
        + "conversation_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
      for (Entry e : entries) {
        ps.setString(1, e.tenant());
        ps.setString(2, e.eventId());
        ps.setString(3, e.type());
        ps.setString(4, e.conversationId());
        ps.setString(5, e.payload());
        if (e.at() == null) ps.setNull(6, Types.TIMESTAMP_WITH_TIMEZONE);
        else ps.setObject(6, utc(e.at()));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /**
   * Tenants whose head row is due at {@code now}, the oldest head first (so no tenant starves when
   * more are due than are served at once).
   */
  public List<String> dueTenants(Instant now, int limit) throws SQLException {
    String sql = "SELECT o.tenant FROM sb_webhook_outbox o"
        + " WHERE o.id IN (SELECT MIN(h.id) FROM sb_webhook_outbox h GROUP BY h.tenant)"
        + " AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?)"
        + " ORDER BY o.id LIMIT ?";
    try (Connection con = dataSource.getConnection(); PreparedStatement ps = con.prepareStatement(sql)) {
      ps.setObject(1, utc(now));
      ps.setInt(2, limit);
      List<String> tenants = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) tenants.add(rs.getString(1));
      }
      return tenants;
    }
  }

  /** The tenant's {@code limit} oldest rows, in {@code id} order (the first is its head). */
  public List<OutboxRow> oldest(String tenant, int limit) throws SQLException {
    String sql = "SELECT " + COLUMNS + " FROM sb_webhook_outbox WHERE tenant = ? ORDER BY id LIMIT ?";
    try (Connection con = dataSource.getConnection(); PreparedStatement ps = con.prepareStatement(sql)) {
      ps.setString(1, tenant);
      ps.setInt(2, limit);
      List<OutboxRow> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(new OutboxRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
              rs.getString(6), instant(rs.getObject(7, OffsetDateTime.class)), rs.getInt(8),
              instant(rs.getObject(9, OffsetDateTime.class))));
        }
      }
      return rows;
    }
  }

  /** Removes a delivered row; false if it was already gone. */
  public boolean delete(long id) throws SQLException {
    try (Connection con = dataSource.getConnection();
         PreparedStatement ps = con.prepareStatement("DELETE FROM sb_webhook_outbox WHERE id = ?")) {
      ps.setLong(1, id);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Removes the tenant's rows up to and including {@code lastId} (a tenant without a webhook); rows
   * written since are left for the next look at the tenant's target. Returns how many went.
   */
  public int deleteUpTo(String tenant, long lastId) throws SQLException {
    try (Connection con = dataSource.getConnection();
         PreparedStatement ps = con.prepareStatement("DELETE FROM sb_webhook_outbox WHERE tenant = ? AND id <= ?")) {
      ps.setString(1, tenant);
      ps.setLong(2, lastId);
      return ps.executeUpdate();
    }
  }

  /** Records a failed delivery: {@code attempts} so far, and when the row may be tried again. */
  public void recordFailure(long id, int attempts, Instant nextAttemptAt) throws SQLException {
    try (Connection con = dataSource.getConnection(); PreparedStatement ps = con.prepareStatement(
        "UPDATE sb_webhook_outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?")) {
      ps.setInt(1, attempts);
      ps.setObject(2, utc(nextAttemptAt));
      ps.setLong(3, id);
      ps.executeUpdate();
    }
  }

  /**
   * Moves a row that exhausted its attempts to {@code sb_webhook_dead}, in one transaction. A row
   * that is no longer in the outbox is not copied; returns whether the row moved.
   *
   * @param attempts the failed deliveries, the last one included
   * @param error why the last delivery failed (cut to {@value #MAX_ERROR_LENGTH} characters)
   */
  public boolean deadLetter(OutboxRow row, int attempts, String error, Instant failedAt) throws SQLException {
    try (Connection con = dataSource.getConnection()) {
      con.setAutoCommit(false);
      try {
        boolean moved;
        try (PreparedStatement del = con.prepareStatement("DELETE FROM sb_webhook_outbox WHERE id = ?")) {
          del.setLong(1, row.id());
          moved = del.executeUpdate() == 1;
        }
        if (moved) {
          try (PreparedStatement ins = con.prepareStatement("INSERT INTO sb_webhook_dead (" + COLUMNS
              + ", last_error, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ins.setLong(1, row.id());
            ins.setString(2, row.tenant());
            ins.setString(3, row.eventId());
            ins.setString(4, row.eventType());
            ins.setString(5, row.conversationId());
            ins.setString(6, row.payload());
            ins.setObject(7, utc(row.createdAt()));
            ins.setInt(8, attempts);
            ins.setNull(9, Types.TIMESTAMP_WITH_TIMEZONE); // no further attempt
            ins.setString(10, cut(error));
            ins.setObject(11, utc(failedAt));
            ins.executeUpdate();
          }
        }
        con.commit();
        return moved;
      } catch (SQLException | RuntimeException e) {
        con.rollback();
        throw e;
      }
    }
  }

  private static String cut(String error) {
    if (error == null) return null;
    return error.length() <= MAX_ERROR_LENGTH ? error : error.substring(0, MAX_ERROR_LENGTH);
  }

  private static OffsetDateTime utc(Instant at) {
    return at == null ? null : at.atOffset(ZoneOffset.UTC);
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}

package io.switchboard.persistence.outbox;

import io.switchboard.Text;
import io.switchboard.persistence.jdbc.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
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
    Jdbc.batch(con, "INSERT INTO sb_webhook_outbox (tenant, event_id, event_type, conversation_id, payload, "
        + "created_at) VALUES (?, ?, ?, ?, ?, ?)", entries, (a, e) -> a.string(e.tenant()).string(e.eventId())
        .string(e.type()).string(e.conversationId()).string(e.payload()).instant(e.at()));
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
    return Jdbc.withConnection(dataSource, con -> Jdbc.query(con, sql, List.of(now, limit),
        rs -> rs.getString("tenant")));
  }

  /** The tenant's {@code limit} oldest rows, in {@code id} order (the first is its head). */
  public List<OutboxRow> oldest(String tenant, int limit) throws SQLException {
    String sql = "SELECT " + COLUMNS + " FROM sb_webhook_outbox WHERE tenant = ? ORDER BY id LIMIT ?";
    return Jdbc.withConnection(dataSource, con -> Jdbc.query(con, sql, List.of(tenant, limit), WebhookOutbox::row));
  }

  private static OutboxRow row(ResultSet rs) throws SQLException {
    return new OutboxRow(rs.getLong("id"), rs.getString("tenant"), rs.getString("event_id"),
        rs.getString("event_type"), rs.getString("conversation_id"), rs.getString("payload"),
        Jdbc.instant(rs, "created_at"), rs.getInt("attempts"), Jdbc.instant(rs, "next_attempt_at"));
  }

  /** Removes a delivered row; false if it was already gone. */
  public boolean delete(long id) throws SQLException {
    return Jdbc.withConnection(dataSource, con -> delete(con, id));
  }

  private static boolean delete(Connection con, long id) throws SQLException {
    return Jdbc.update(con, "DELETE FROM sb_webhook_outbox WHERE id = ?", a -> a.number(id)) == 1;
  }

  /**
   * Removes the tenant's rows up to and including {@code lastId} (a tenant without a webhook); rows
   * written since are left for the next look at the tenant's target. Returns how many went.
   */
  public int deleteUpTo(String tenant, long lastId) throws SQLException {
    return Jdbc.withConnection(dataSource, con -> Jdbc.update(con,
        "DELETE FROM sb_webhook_outbox WHERE tenant = ? AND id <= ?", a -> a.string(tenant).number(lastId)));
  }

  /** Records a failed delivery: {@code attempts} so far, and when the row may be tried again. */
  public void recordFailure(long id, int attempts, Instant nextAttemptAt) throws SQLException {
    Jdbc.withConnection(dataSource, con -> Jdbc.update(con,
        "UPDATE sb_webhook_outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?",
        a -> a.integer(attempts).instant(nextAttemptAt).number(id)));
  }

  /**
   * Moves a row that exhausted its attempts to {@code sb_webhook_dead}, in one transaction. A row
   * that is no longer in the outbox is not copied; returns whether the row moved.
   *
   * @param attempts the failed deliveries, the last one included
   * @param error why the last delivery failed (cut to {@value #MAX_ERROR_LENGTH} characters)
   */
  public boolean deadLetter(OutboxRow row, int attempts, String error, Instant failedAt) throws SQLException {
    return Jdbc.inTransaction(dataSource, con -> {
      boolean moved = delete(con, row.id());
      if (moved) {
        Jdbc.update(con, "INSERT INTO sb_webhook_dead (" + COLUMNS + ", last_error, failed_at) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", a -> a.number(row.id()).string(row.tenant())
            .string(row.eventId()).string(row.eventType()).string(row.conversationId()).string(row.payload())
            .instant(row.createdAt()).integer(attempts)
            .instant(null) // no further attempt
            .string(Text.cut(error, MAX_ERROR_LENGTH)).instant(failedAt));
      }
      return moved;
    });
  }
}

package io.switchboard.gateway.outbound;

import com.typesafe.config.ConfigFactory;
import io.switchboard.persistence.Store;
import io.switchboard.persistence.StoreSettings;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;

/** A real outbox for the tests: the store's schema on H2 (outbox and dead-letter tables), and plain-JDBC helpers. */
final class TestOutbox {
  private TestOutbox() {}

  /** A dead-lettered row as stored. */
  record Dead(long id, String eventId, int attempts, String lastError, Instant failedAt, Instant nextAttemptAt) {}

  /** A fresh H2 store in {@code dir} with the outbox and dead-letter tables. */
  static DataSource h2(Path dir) {
    StoreSettings s = StoreSettings.from(ConfigFactory.load()).withH2(dir);
    Store.createSchema(s);
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL(s.jdbcUrl());
    ds.setUser(s.user());
    ds.setPassword(s.password());
    return ds;
  }

  /** Closes an H2 database (it stays open for the JVM's life otherwise, DB_CLOSE_DELAY=-1). */
  static void shutdownH2(DataSource ds) {
    try (Connection con = ds.getConnection(); Statement st = con.createStatement()) {
      st.execute("SHUTDOWN");
    } catch (SQLException e) {
      // already closed
    }
  }

  /** The JSON a projection would write for this event. */
  static String payload(String eventId, String type, String tenant, String conversationId) {
    return "{\"eventId\":\"" + eventId + "\",\"type\":\"" + type + "\",\"tenant\":\"" + tenant
        + "\",\"conversationId\":\"" + conversationId + "\",\"note\":\"caf\u00e9 \u2713\"}";
  }

  /** Inserts an outbox row as the projection does; returns its id. */
  static long insert(DataSource ds, String tenant, String eventId, String type, String conversationId) {
    String sql = "INSERT INTO sb_webhook_outbox (tenant, event_id, event_type, conversation_id, payload, created_at) "
        + "VALUES (?, ?, ?, ?, ?, ?)";
    try (Connection con = ds.getConnection();
         PreparedStatement ps = con.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
      ps.setString(1, tenant);
      ps.setString(2, eventId);
      ps.setString(3, type);
      ps.setString(4, conversationId);
      ps.setString(5, payload(eventId, type, tenant, conversationId));
      ps.setObject(6, OffsetDateTime.now(ZoneOffset.UTC));
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        keys.next();
        return keys.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The event ids of the tenant's rows still in {@code table}, in id order. */
  static List<String> eventIds(DataSource ds, String table, String tenant) {
    try (Connection con = ds.getConnection();
         PreparedStatement ps = con.prepareStatement("SELECT event_id FROM " + table + " WHERE tenant = ? ORDER BY id")) {
      ps.setString(1, tenant);
      List<String> ids = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) ids.add(rs.getString(1));
      }
      return ids;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Failed attempts of an outbox row so far. */
  static int attempts(DataSource ds, long id) {
    try (Connection con = ds.getConnection();
         PreparedStatement ps = con.prepareStatement("SELECT attempts FROM sb_webhook_outbox WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getInt(1) : -1;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<Dead> dead(DataSource ds, String tenant) {
    try (Connection con = ds.getConnection(); PreparedStatement ps = con.prepareStatement(
        "SELECT id, event_id, attempts, last_error, failed_at, next_attempt_at FROM sb_webhook_dead "
            + "WHERE tenant = ? ORDER BY id")) {
      ps.setString(1, tenant);
      List<Dead> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          OffsetDateTime next = rs.getObject(6, OffsetDateTime.class);
          rows.add(new Dead(rs.getLong(1), rs.getString(2), rs.getInt(3), rs.getString(4),
              rs.getObject(5, OffsetDateTime.class).toInstant(), next == null ? null : next.toInstant()));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}

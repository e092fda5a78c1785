package io.switchboard.gateway.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.switchboard.persistence.Store;
import io.switchboard.persistence.StoreSettings;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The outbox's SQL on both stores it must run on: H2 2.x in a temp directory and the local
 * PostgreSQL 15 (a schema of its own in {@code switchboard_test}, dropped afterwards; like the
 * persistence module's storage tests, this one needs that server).
 */
class JdbcOutboxTest {

  @Test
  void onH2(@TempDir Path dir) throws SQLException {
    DataSource ds = TestOutbox.h2(dir);
    try {
      exercise(ds);
    } finally {
      TestOutbox.shutdownH2(ds);
    }
  }

  @Test
  void onPostgres() throws SQLException {
    String url = System.getenv().getOrDefault("SWITCHBOARD_TEST_PG_URL",
        "jdbc:postgresql://127.0.0.1:5432/switchboard_test");
    StoreSettings s = StoreSettings.from(ConfigFactory.parseString("switchboard.persistence.store = postgres")
            .withFallback(ConfigFactory.load()))
        .withPostgres(url, "outbox_" + Long.toUnsignedString(System.nanoTime(), 36));
    ensureDatabase(url, s.user(), s.password());
    Store.createSchema(s);
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(s.jdbcUrl());
    ds.setUser(s.user());
    ds.setPassword(s.password());
    try {
      exercise(ds);
    } finally {
      try (Connection con = ds.getConnection(); Statement st = con.createStatement()) {
        st.execute("DROP SCHEMA " + s.pgSchema() + " CASCADE");
      }
    }
  }

  private static void exercise(DataSource ds) throws SQLException {
    JdbcOutbox outbox = new JdbcOutbox(ds);
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);

    long a1 = TestOutbox.insert(ds, "a", "Conversation|a/wa:1:1", "conversation.assigned", "a/wa:1");
    long b1 = TestOutbox.insert(ds, "b", "Conversation|b/wa:1:1", "conversation.assigned", "b/wa:1");
    long a2 = TestOutbox.insert(ds, "a", "Conversation|a/wa:1:2", "conversation.resolved", "a/wa:1");
    assertEquals(List.of("a", "b"), outbox.dueTenants(now, 10), "oldest head first");
    assertEquals(List.of("a"), outbox.dueTenants(now, 1));

    List<OutboxRow> rows = outbox.oldest("a", 10);
    assertEquals(List.of(a1, a2), rows.stream().map(OutboxRow::id).toList());
    OutboxRow head = rows.get(0);
    assertEquals("Conversation|a/wa:1:1", head.eventId());
    assertEquals("conversation.assigned", head.eventType());
    assertEquals("a/wa:1", head.conversationId());
    assertEquals(TestOutbox.payload("Conversation|a/wa:1:1", "conversation.assigned", "a", "a/wa:1"), head.payload());
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
    List<TestOutbox.Dead> dead = TestOutbox.dead(ds, "a");
    assertEquals(1, dead.size());
    assertEquals(a1, dead.get(0).id());
    assertEquals("Conversation|a/wa:1:1", dead.get(0).eventId());
    assertEquals(2, dead.get(0).attempts());
    assertEquals(longError.substring(0, JdbcOutbox.MAX_ERROR_LENGTH), dead.get(0).lastError());
    assertEquals(now, dead.get(0).failedAt());
    assertNull(dead.get(0).nextAttemptAt());

    assertTrue(outbox.delete(a2));
    assertFalse(outbox.delete(a2));
    long b2 = TestOutbox.insert(ds, "b", "Conversation|b/wa:1:2", "conversation.resolved", "b/wa:1");
    assertEquals(1, outbox.deleteUpTo("b", b1));
    assertEquals(List.of(b2), outbox.oldest("b", 10).stream().map(OutboxRow::id).toList(), "later rows stay");
    assertEquals(List.of("b"), outbox.dueTenants(now, 10));
  }

  private static void ensureDatabase(String url, String user, String password) throws SQLException {
    int slash = url.lastIndexOf('/');
    String name = url.substring(slash + 1).replaceAll("\\?.*", "");
    try (Connection con = DriverManager.getConnection(url.substring(0, slash + 1) + "postgres", user, password);
         Statement st = con.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
        if (rs.next()) return;
      }
      st.execute("CREATE DATABASE " + name);
    }
  }
}

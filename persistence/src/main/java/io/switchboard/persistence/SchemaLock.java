package io.switchboard.persistence;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The lock under which a node creates or upgrades the schema, so that nodes starting at once on an
 * empty PostgreSQL database take turns: {@code CREATE TABLE IF NOT EXISTS} is not safe between
 * sessions (two of them insert the same row type and one fails on {@code pg_type_typname_nsp_index}).
 * A session-level advisory lock on PostgreSQL, keyed by the schema's name; nothing on H2 (one process's
 * file: only one node can open it).
 *
 * <p>Taken with {@code pg_try_advisory_lock} every {@link #POLL}, never with a blocking
 * {@code pg_advisory_lock}: a session blocked in that call holds a snapshot, and the lock holder's
 * {@code CREATE INDEX CONCURRENTLY} waits for every older snapshot to go: the two would wait on each
 * other. Blocking JDBC: start-up code or a blocking dispatcher only.
 */
public final class SchemaLock implements AutoCloseable {
  /**
   * How long a starting node waits for another that is creating or upgrading the schema (on an empty
   * database that takes well under a second; an upgrade's {@code ALTER TABLE} waits for the read models'
   * transactions of the nodes already running).
   */
  public static final Duration TIMEOUT = Duration.ofMinutes(2);

  /** How often a waiting node tries again. */
  static final Duration POLL = Duration.ofMillis(100);

  private final Connection connection; // null on H2
  private final String key;

  private SchemaLock(Connection connection, String key) {
    this.connection = connection;
    this.key = key;
  }

  /** The lock's key: one per PostgreSQL schema, so stores in different schemas do not wait for each other. */
  static String key(StoreSettings s) {
    return "switchboard-schema:" + s.pgSchema();
  }

  /**
   * Takes the lock on a connection of its own, waiting for another node that holds it for at most
   * {@code timeout}.
   *
   * @throws Store.SchemaException when the store cannot be reached or the lock is not free in time
   */
  public static SchemaLock acquire(StoreSettings s, Duration timeout) {
    if (s.kind() != StoreSettings.Kind.POSTGRES) return new SchemaLock(null, null);
    Connection con;
    try {
      con = DriverManager.getConnection(s.jdbcUrl(), s.user(), s.password());
      con.setAutoCommit(true);
    } catch (SQLException e) {
      throw new Store.SchemaException("cannot connect to " + s.describe() + ": " + e.getMessage(), e);
    }
    String key = key(s);
    long deadline = System.nanoTime() + timeout.toNanos();
    try (PreparedStatement st = con.prepareStatement("SELECT pg_try_advisory_lock(hashtext(?))")) {
      st.setString(1, key);
      while (true) {
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) return new SchemaLock(con, key);
        }
        if (System.nanoTime() > deadline) {
          throw new Store.SchemaException("another node held the schema lock (" + key + ") on " + s.describe()
              + " for more than " + timeout.toSeconds() + " s", null);
        }
        Thread.sleep(POLL.toMillis()); // start-up, before the actor system: nothing else runs on this thread
      }
    } catch (SQLException e) {
      closeQuietly(con);
      throw new Store.SchemaException("cannot take the schema lock on " + s.describe() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      closeQuietly(con);
      Thread.currentThread().interrupt();
      throw new Store.SchemaException("interrupted while waiting for the schema lock on " + s.describe(), e);
    } catch (RuntimeException e) {
      closeQuietly(con);
      throw e;
    }
  }

  /** The connection holding the lock (PostgreSQL), for the DDL; null on H2. */
  Connection connection() {
    return connection;
  }

  /** Releases the lock (closing its session releases it too, also when the node dies). */
  @Override
  public void close() {
    if (connection == null) return;
    try (PreparedStatement st = connection.prepareStatement("SELECT pg_advisory_unlock(hashtext(?))")) {
      st.setString(1, key);
      st.execute();
    } catch (SQLException e) {
      // closing the session below releases it all the same
    } finally {
      closeQuietly(connection);
    }
  }

  private static void closeQuietly(Connection con) {
    try {
      con.close();
    } catch (SQLException ignored) {
      // the session ends with it
    }
  }
}

package io.switchboard.persistence.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * The JDBC plumbing the read models and the webhook outbox share: rows read by column name, values
 * bound in statement order without index arithmetic, instants stored as {@code TIMESTAMP WITH TIME
 * ZONE} in UTC, connections and transactions closed on every path, and blocking work handed to an
 * executor meant for it. A helper, not a library (docs/ARCHITECTURE.md, "Read models", says why):
 * the SQL stays the text it was, and every call still runs on the connection the caller chose (the
 * projection's, in its transaction, or one of its own from the pool).
 */
public final class Jdbc {
  private Jdbc() {}

  /** Turns the current row into a value; reads by column name. */
  @FunctionalInterface
  public interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  /** Work on a connection. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection con) throws SQLException;
  }

  /** Blocking work to run elsewhere. */
  @FunctionalInterface
  public interface Call<T> {
    T call() throws SQLException;
  }

  /** Binds one statement's values. */
  @FunctionalInterface
  public interface Bind {
    void bind(Args args) throws SQLException;
  }

  /** Binds one batch item's values. */
  @FunctionalInterface
  public interface BatchBind<T> {
    void bind(Args args, T item) throws SQLException;
  }

  /**
   * A statement's parameters, bound in the order of its {@code ?}s. Typed, so a null is bound as
   * the column's type (a null instant as a null timestamp with time zone).
   */
  public static final class Args {
    private final PreparedStatement ps;
    private int next = 1;

    private Args(PreparedStatement ps) {
      this.ps = ps;
    }

    public Args string(String value) throws SQLException {
      ps.setString(next++, value);
      return this;
    }

    public Args integer(int value) throws SQLException {
      ps.setInt(next++, value);
      return this;
    }

    public Args number(long value) throws SQLException {
      ps.setLong(next++, value);
      return this;
    }

    public Args instant(Instant value) throws SQLException {
      timestamp(ps, next++, value);
      return this;
    }

    /** Binds each of {@code values} by its own type ({@link Instant}s as timestamps); none may be null. */
    public Args values(List<?> values) throws SQLException {
      for (Object v : values) {
        if (v instanceof Instant at) instant(at);
        else if (v == null) throw new IllegalArgumentException("null parameter at " + next + ": bind it typed");
        else ps.setObject(next++, v);
      }
      return this;
    }
  }

  /** Binds {@code ps}'s parameters from the first. */
  public static Args args(PreparedStatement ps) {
    return new Args(ps);
  }

  public static void timestamp(PreparedStatement ps, int index, Instant at) throws SQLException {
    if (at == null) ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    else ps.setObject(index, at.atOffset(ZoneOffset.UTC));
  }

  /** The column's timestamp; null when it is null. */
  public static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  /** The rows of a query whose parameters are {@code params} (none null), in the order they come. */
  public static <T> List<T> query(Connection con, String sql, List<?> params, RowMapper<T> mapper)
      throws SQLException {
    try (PreparedStatement ps = con.prepareStatement(sql)) {
      args(ps).values(params);
      List<T> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(mapper.map(rs));
      }
      return out;
    }
  }

  /** The first row of a query, if any. */
  public static <T> Optional<T> first(Connection con, String sql, List<?> params, RowMapper<T> mapper)
      throws SQLException {
    try (PreparedStatement ps = con.prepareStatement(sql)) {
      args(ps).values(params);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(mapper.map(rs)) : Optional.empty();
      }
    }
  }

  /** Runs an INSERT, UPDATE or DELETE; returns the rows it changed. */
  public static int update(Connection con, String sql, Bind bind) throws SQLException {
    try (PreparedStatement ps = con.prepareStatement(sql)) {
      bind.bind(args(ps));
      return ps.executeUpdate();
    }
  }

  /** Runs one statement per item as a JDBC batch, in the items' order; nothing for no items. */
  public static <T> void batch(Connection con, String sql, Collection<T> items, BatchBind<T> bind)
      throws SQLException {
    if (items.isEmpty()) return;
    try (PreparedStatement ps = con.prepareStatement(sql)) {
      for (T item : items) {
        bind.bind(args(ps), item);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** Runs {@code work} on a connection of its own from {@code dataSource}, in auto-commit. */
  public static <T> T withConnection(DataSource dataSource, Work<T> work) throws SQLException {
    try (Connection con = dataSource.getConnection()) {
      return work.run(con);
    }
  }

  /** Runs {@code work} in one transaction of its own: committed if it returns, rolled back if it throws. */
  public static <T> T inTransaction(DataSource dataSource, Work<T> work) throws SQLException {
    try (Connection con = dataSource.getConnection()) {
      con.setAutoCommit(false);
      try {
        T result = work.run(con);
        con.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        con.rollback();
        throw e;
      }
    }
  }

  /**
   * Runs blocking {@code call} on {@code executor} (a dispatcher meant for blocking JDBC, never an
   * actor's); a {@link SQLException} fails the stage wrapped in a {@link CompletionException}.
   */
  public static <T> CompletableFuture<T> async(Executor executor, Call<T> call) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return call.call();
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, executor);
  }
}

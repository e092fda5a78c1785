package io.switchboard.persistence.readmodel;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/**
 * One transaction of a projection on a pooled connection: the handler's writes and the offset
 * commit together (exactly once). Used only on the projection's blocking JDBC dispatcher.
 */
final class PooledSession implements JdbcSession {
  private final Connection connection;
  /** Run once the transaction has committed (never after a rollback). */
  private final java.util.List<Runnable> afterCommit = new java.util.ArrayList<>();

  PooledSession(DataSource dataSource) {
    try {
      connection = dataSource.getConnection();
      connection.setAutoCommit(false);
    } catch (SQLException e) {
      throw new IllegalStateException("read-model store unavailable: " + e.getMessage(), e);
    }
  }

  @Override
  public <R> R withConnection(Function<Connection, R> func) throws Exception {
    return func.apply(connection);
  }

  /** {@code action} runs after this transaction commits (a notification that must not precede the data). */
  void afterCommit(Runnable action) {
    afterCommit.add(action);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
    for (Runnable action : afterCommit) action.run();
    afterCommit.clear();
  }

  @Override
  public void rollback() throws SQLException {
    afterCommit.clear();
    connection.rollback();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}

package io.switchboard.persistence;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/** Fresh, empty stores for tests: an H2 directory, or a new schema in the local PostgreSQL's test database. */
final class TestStores {
  private TestStores() {}

  static StoreSettings h2(Path dir) {
    StoreSettings s = base("h2");
    return s.withH2(dir);
  }

  /**
   * A schema of its own in {@code switchboard_test} on 127.0.0.1:5432 (or {@code SWITCHBOARD_TEST_PG_URL}),
   * creating that database when it is missing.
   */
  static StoreSettings postgres(String schemaPrefix) {
    String url = System.getenv().getOrDefault("SWITCHBOARD_TEST_PG_URL",
        "jdbc:postgresql://127.0.0.1:5432/switchboard_test");
    StoreSettings s = base("postgres");
    ensureDatabase(url, s.pgUser(), s.pgPassword());
    return s.withPostgres(url, schemaPrefix + "_" + Long.toUnsignedString(System.nanoTime(), 36));
  }

  /** A plain (unpooled) data source on the store. */
  static DataSource dataSource(StoreSettings s) {
    if (s.kind() == StoreSettings.Kind.H2) {
      JdbcDataSource ds = new JdbcDataSource();
      ds.setURL(s.jdbcUrl());
      ds.setUser(s.user());
      ds.setPassword(s.password());
      return ds;
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(s.jdbcUrl());
    ds.setUser(s.user());
    ds.setPassword(s.password());
    return ds;
  }

  /** The tables of the store's schema, lower case. */
  static Set<String> tables(StoreSettings s) throws SQLException {
    Set<String> found = new TreeSet<>();
    try (Connection con = DriverManager.getConnection(s.jdbcUrl(), s.user(), s.password());
         ResultSet rs = con.getMetaData().getTables(null,
             s.kind() == StoreSettings.Kind.H2 ? "PUBLIC" : s.pgSchema(), "%", new String[] {"TABLE"})) {
      while (rs.next()) found.add(rs.getString("TABLE_NAME").toLowerCase());
    }
    return found;
  }

  private static StoreSettings base(String store) {
    return StoreSettings.from(ConfigFactory.parseString("switchboard.persistence.store = " + store)
        .withFallback(ConfigFactory.load()));
  }

  private static void ensureDatabase(String url, String user, String password) {
    int slash = url.lastIndexOf('/');
    String name = url.substring(slash + 1).replaceAll("\\?.*", "");
    String admin = url.substring(0, slash + 1) + "postgres";
    try (Connection con = DriverManager.getConnection(admin, user, password); Statement st = con.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
        if (rs.next()) return;
      }
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL for the storage tests is not reachable at " + admin
          + " (user " + user + "): " + e.getMessage(), e);
    }
  }
}

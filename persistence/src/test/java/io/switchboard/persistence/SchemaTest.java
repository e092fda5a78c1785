package io.switchboard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaTest {
  private static final Set<String> TABLES = Set.of("durable_state", "event_journal", "event_tag", "snapshot");

  @TempDir
  Path dir;

  private static Set<String> tables(StoreSettings s) throws SQLException {
    Set<String> found = new TreeSet<>();
    try (Connection con = DriverManager.getConnection(s.jdbcUrl(), s.user(), s.password());
         ResultSet rs = con.getMetaData().getTables(null,
             s.kind() == StoreSettings.Kind.H2 ? "PUBLIC" : s.pgSchema(), "%", new String[] {"TABLE"})) {
      while (rs.next()) found.add(rs.getString("TABLE_NAME").toLowerCase());
    }
    return found;
  }

  @Test
  void schemaIsCreatedOnH2AndCreatingItAgainChangesNothing() throws SQLException {
    StoreSettings s = TestStores.h2(dir.resolve("h2"));
    Store.createSchema(s);
    Store.createSchema(s);
    assertTrue(tables(s).containsAll(TABLES), "tables: " + tables(s));
  }

  @Test
  void schemaIsCreatedInItsOwnPostgresSchemaAndCreatingItAgainChangesNothing() throws SQLException {
    StoreSettings s = TestStores.postgres("schema");
    Store.createSchema(s);
    Store.createSchema(s);
    assertEquals(TABLES, tables(s));
  }

  @Test
  void anUnreachableStoreIsReportedWithWhereItWas() {
    StoreSettings good = TestStores.postgres("unreachable");
    StoreSettings bad = new StoreSettings(good.kind(), good.h2Dir(), "jdbc:postgresql://127.0.0.1:1/nowhere",
        good.pgUser(), good.pgPassword(), good.pgSchema(), good.poolSize());
    Store.SchemaException e = assertThrows(Store.SchemaException.class, () -> Store.createSchema(bad));
    assertTrue(e.getMessage().contains("127.0.0.1:1/nowhere"), e.getMessage());
  }

  @Test
  void aMisspelledStoreIsRefusedWithTheChoices() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StoreSettings.from(
        com.typesafe.config.ConfigFactory.parseString("switchboard.persistence.store = mysql")
            .withFallback(com.typesafe.config.ConfigFactory.load())));
    assertTrue(e.getMessage().contains("h2 or postgres"), e.getMessage());
  }
}

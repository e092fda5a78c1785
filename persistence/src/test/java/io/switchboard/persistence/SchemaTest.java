package io.switchboard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaTest {
  private static final Set<String> TABLES = Set.of("durable_state", "event_journal", "event_tag", "snapshot",
      "sb_conversation", "sb_routing_stats", "sb_webhook_outbox", "sb_webhook_dead", "sb_message_status", "sb_wakeup",
      "sb_agent_stream", "sb_agent_event");

  @TempDir
  Path dir;

  @Test
  void schemaIsCreatedOnH2AndCreatingItAgainChangesNothing() throws SQLException {
    StoreSettings s = TestStores.h2(dir.resolve("h2"));
    Store.createSchema(s);
    Store.createSchema(s);
    assertTrue(TestStores.tables(s).containsAll(TABLES), "tables: " + TestStores.tables(s));
  }

  @Test
  void schemaIsCreatedInItsOwnPostgresSchemaAndCreatingItAgainChangesNothing() throws SQLException {
    StoreSettings s = TestStores.postgres("schema");
    Store.createSchema(s);
    Store.createSchema(s);
    assertEquals(TABLES, TestStores.tables(s));
  }

  @Test
  void anUnreachableStoreIsReportedWithWhereItWas() {
    StoreSettings good = TestStores.postgres("unreachable");
    StoreSettings bad = good.withPostgres("jdbc:postgresql://127.0.0.1:1/nowhere", good.pgSchema());
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

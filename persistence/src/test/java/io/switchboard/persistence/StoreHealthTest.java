package io.switchboard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

/**
 * The store probe on a working store (H2): the node is found able to write, and probing again and
 * again keeps a bounded tail of the probe entity in the store (the last snapshot, 20 events at most).
 */
class StoreHealthTest {
  @Test
  void aWorkingStoreIsFoundTakingWritesAndProbingDoesNotGrowTheJournal() throws Exception {
    StoreSettings store = TestStores.h2(Files.createTempDirectory("store-health"));
    ActorTestKit kit = StoreTestKit.start(store, "StoreHealthTest", "");
    try {
      StoreHealth health = StoreHealth.start(kit.system(), new StoreHealth.Settings(Duration.ofMillis(100),
          Duration.ofMillis(100), Duration.ofSeconds(15)));
      kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
        assertNull(health.notReadyBecause());
        return null;
      });
      assertNull(health.failingBecause());
      kit.createTestProbe().awaitAssert(Duration.ofSeconds(30), () -> {
        assertTrue(probeRows(store, "SELECT MAX(\"sequence_number\") FROM \"event_journal\"") >= 35,
            "35 probes written");
        return null;
      });
      long events = probeRows(store, "SELECT COUNT(*) FROM \"event_journal\"");
      long snapshots = probeRows(store, "SELECT COUNT(*) FROM \"snapshot\"");
      assertTrue(events <= 22, "events older than the snapshot interval deleted: " + events + " rows, " + snapshots + " snapshots");
      assertTrue(snapshots <= 2, "older snapshots deleted: " + snapshots);
      assertNull(health.failingBecause());
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static long probeRows(StoreSettings store, String select) throws Exception {
    try (Connection con = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
         Statement st = con.createStatement();
         ResultSet rs = st.executeQuery(select + " WHERE \"persistence_id\" LIKE 'StoreProbe|%'")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}

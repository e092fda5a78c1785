package io.switchboard.persistence;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The recovery suite on the embedded H2 file store. */
class H2RecoveryTest extends StoreRecoveryTest {
  @TempDir
  Path dir;

  @Override
  protected StoreSettings freshStore() {
    StoreSettings s = StoreSettings.from(ConfigFactory.parseString("switchboard.persistence.store = h2")
        .withFallback(ConfigFactory.load()));
    return new StoreSettings(s.kind(), dir.resolve("h2"), s.pgUrl(), s.pgUser(), s.pgPassword(), s.pgSchema(),
        s.poolSize());
  }
}

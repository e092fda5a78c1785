package io.switchboard.persistence;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The keeper's suite on an embedded H2 store. */
class H2DeadlineKeeperTest extends DeadlineKeeperTest {
  @TempDir
  Path dir;

  @Override
  protected StoreSettings freshStore() {
    return TestStores.h2(dir.resolve("h2"));
  }
}

package io.switchboard.persistence;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The read-model suite on the embedded H2 file store. */
class H2ReadModelsTest extends ReadModelsTest {
  @TempDir
  Path dir;

  @Override
  protected StoreSettings freshStore() {
    return TestStores.h2(dir.resolve("h2"));
  }
}

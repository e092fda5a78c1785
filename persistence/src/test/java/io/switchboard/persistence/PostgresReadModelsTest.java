package io.switchboard.persistence;

/** The read-model suite on the local PostgreSQL, in a schema of its own per run. */
class PostgresReadModelsTest extends ReadModelsTest {
  @Override
  protected StoreSettings freshStore() {
    return TestStores.postgres("readmodels");
  }
}

package io.switchboard.persistence;

/** The keeper's suite on the local PostgreSQL, in a schema of its own per run. */
class PostgresDeadlineKeeperTest extends DeadlineKeeperTest {
  @Override
  protected StoreSettings freshStore() {
    return TestStores.postgres("keeper");
  }
}

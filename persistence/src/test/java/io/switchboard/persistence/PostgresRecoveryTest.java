package io.switchboard.persistence;

/** The recovery suite on the local PostgreSQL, in a schema of its own per run. */
class PostgresRecoveryTest extends StoreRecoveryTest {
  @Override
  protected StoreSettings freshStore() {
    return TestStores.postgres("recovery");
  }
}

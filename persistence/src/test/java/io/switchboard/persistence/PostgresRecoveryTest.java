package io.switchboard.persistence;

import com.typesafe.config.ConfigFactory;

/**
 * The recovery suite on the local PostgreSQL ({@code SWITCHBOARD_TEST_PG_URL}, by default the
 * database {@code switchboard_test} on 127.0.0.1:5432 that .ci/run prepares), in a schema of its own
 * per run.
 */
class PostgresRecoveryTest extends StoreRecoveryTest {
  @Override
  protected StoreSettings freshStore() {
    String url = System.getenv().getOrDefault("SWITCHBOARD_TEST_PG_URL",
        "jdbc:postgresql://127.0.0.1:5432/switchboard_test");
    StoreSettings s = StoreSettings.from(ConfigFactory.parseString("switchboard.persistence.store = postgres")
        .withFallback(ConfigFactory.load()));
    return new StoreSettings(s.kind(), s.h2Dir(), url, s.pgUser(), s.pgPassword(),
        "recovery_" + Long.toUnsignedString(System.nanoTime(), 36), s.poolSize());
  }
}

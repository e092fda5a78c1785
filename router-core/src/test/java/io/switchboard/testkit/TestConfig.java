package io.switchboard.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.switchboard.CoreSettings;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/** Configuration for entity tests: in-memory journal and snapshots, ManualTime, every message serialized. */
public final class TestConfig {
  private TestConfig() {}

  public static Config manualTime() {
    return ConfigFactory.parseString("""
            pekko.actor.serialize-messages = on
            pekko.loglevel = WARNING
            pekko.log-dead-letters = off
            # Journal timeouts run on the scheduler, which is ManualTime here: a write or a recovery
            # in flight while a test advances hours would "time out". Make them unreachable.
            pekko.persistence.journal-plugin-fallback.recovery-event-timeout = 36500d
            pekko.persistence.journal-plugin-fallback.circuit-breaker.call-timeout = 36500d
            pekko.persistence.snapshot-store-plugin-fallback.circuit-breaker.call-timeout = 36500d
            pekko.persistence.testkit.journal.circuit-breaker.call-timeout = 36500d
            switchboard.core.snapshot-every = 20
            switchboard.core.grant-read-journal = "pekko.persistence.testkit.query"
            """)
        .withFallback(PersistenceTestKitPlugin.getInstance().config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ManualTimeScheduler.CONFIG)
        .withFallback(ManualTime.config())
        .withFallback(ConfigFactory.load());
  }

  public static CoreSettings settings(Config config) {
    return CoreSettings.from(config);
  }
}

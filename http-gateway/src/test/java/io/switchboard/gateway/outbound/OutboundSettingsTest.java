package io.switchboard.gateway.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The defaults of reference.conf, the backoff arithmetic and the checks on bad values. */
class OutboundSettingsTest {

  @Test
  void readsTheDefaults() {
    OutboundSettings s = OutboundSettings.from(ConfigFactory.load());
    assertEquals(Duration.ofSeconds(1), s.pollInterval());
    assertEquals(Duration.ofSeconds(10), s.requestTimeout());
    assertEquals(Duration.ofSeconds(5), s.backoffInitial());
    assertEquals(Duration.ofMinutes(15), s.backoffMax());
    assertEquals(2.0, s.backoffFactor());
    assertEquals(12, s.maxAttempts());
    assertEquals(100, s.batchSize());
    assertEquals(64, s.maxParallelTenants());
    assertEquals(Duration.ofSeconds(5), s.connector().requestTimeout());
    assertEquals(2, s.connector().maxRetries());
    assertEquals(Duration.ofMillis(500), s.connector().retryBackoff());
    assertEquals(16, s.connector().maxConnections());
    assertEquals("thread-pool-executor",
        ConfigFactory.load().getString(OutboundSettings.JDBC_DISPATCHER + ".executor"));
  }

  @Test
  void backsOffExponentiallyUpToTheMaximum() {
    OutboundSettings s = OutboundSettings.from(ConfigFactory.load());
    assertEquals(Duration.ofSeconds(5), s.backoff(1));
    assertEquals(Duration.ofSeconds(10), s.backoff(2));
    assertEquals(Duration.ofSeconds(640), s.backoff(8));
    assertEquals(Duration.ofMinutes(15), s.backoff(9));
    assertEquals(Duration.ofMinutes(15), s.backoff(10_000));
    assertEquals(Duration.ofMillis(500), s.connector().retryDelay(1));
    assertEquals(Duration.ofSeconds(1), s.connector().retryDelay(2));
  }

  @Test
  void dropsATrailingSlashOfTheConnectorUrl() {
    assertEquals("http://connector:8081/api", settings("connector.base-url = \"http://connector:8081/api/\"")
        .connector().baseUrl());
  }

  @Test
  void refusesBadValues() {
    assertThrows(IllegalArgumentException.class, () -> settings("backoff.factor = 0.5"));
    assertThrows(IllegalArgumentException.class, () -> settings("backoff.max = 1s"));
    assertThrows(IllegalArgumentException.class, () -> settings("max-attempts = 0"));
    assertThrows(IllegalArgumentException.class, () -> settings("poll-interval = 0s"));
    assertThrows(IllegalArgumentException.class, () -> settings("connector.max-retries = -1"));
  }

  private static OutboundSettings settings(String override) {
    Config c = ConfigFactory.parseString("switchboard.gateway.outbound." + override).withFallback(ConfigFactory.load());
    return OutboundSettings.from(c);
  }
}

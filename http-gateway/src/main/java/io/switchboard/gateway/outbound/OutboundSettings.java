package io.switchboard.gateway.outbound;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The outbound settings, read once from {@code switchboard.gateway.outbound} (defaults and their
 * meaning in the gateway's {@code reference.conf}).
 *
 * @param pollInterval how often the outbox is checked for due tenants
 * @param requestTimeout the most one webhook delivery may take
 * @param backoffInitial wait after an event's first failed delivery
 * @param backoffMax the longest wait between two deliveries of one event
 * @param backoffFactor how much each further wait grows
 * @param maxAttempts deliveries of one event before it is dead-lettered
 * @param batchSize events of one tenant read at a time
 * @param maxParallelTenants tenants delivered to at the same time
 * @param connector the channel connector's settings
 */
public record OutboundSettings(Duration pollInterval, Duration requestTimeout, Duration backoffInitial,
    Duration backoffMax, double backoffFactor, int maxAttempts, int batchSize, int maxParallelTenants,
    Connector connector) {

  /** Where the blocking outbox JDBC runs: a dispatcher of its own, never the actors'. */
  public static final String JDBC_DISPATCHER = "switchboard.gateway.outbound.jdbc-dispatcher";

  /**
   * The channel connector's settings.
   *
   * @param baseUrl the connector's URL; messages go to {@code <baseUrl>/messages}
   * @param requestTimeout the most one attempt may take
   * @param maxRetries further attempts after a 5xx, a timeout or a connection error
   * @param retryBackoff wait before the first retry, doubled before each further one
   * @param maxConnections connections to the connector
   */
  public record Connector(String baseUrl, Duration requestTimeout, int maxRetries, Duration retryBackoff,
      int maxConnections) {
    public Connector {
      if (baseUrl == null || baseUrl.isBlank()) throw invalid("connector.base-url", "must not be empty");
      // a trailing slash would give //messages
      while (baseUrl.endsWith("/")) baseUrl = baseUrl.substring(0, baseUrl.length() - 1);
      positive("connector.request-timeout", requestTimeout);
      positive("connector.retry-backoff", retryBackoff);
      if (maxRetries < 0) throw invalid("connector.max-retries", "must be >= 0");
      if (maxConnections < 1) throw invalid("connector.max-connections", "must be >= 1");
    }

    /** The wait before retry {@code retry} (1 for the first). */
    public Duration retryDelay(int retry) {
      return scaled(retryBackoff, 2.0, retry - 1, Duration.ofMinutes(1));
    }
  }

  public OutboundSettings {
    positive("poll-interval", pollInterval);
    positive("request-timeout", requestTimeout);
    positive("backoff.initial", backoffInitial);
    positive("backoff.max", backoffMax);
    if (backoffMax.compareTo(backoffInitial) < 0) throw invalid("backoff.max", "must be >= backoff.initial");
    if (!(backoffFactor >= 1.0) || Double.isInfinite(backoffFactor)) throw invalid("backoff.factor", "must be >= 1.0");
    if (maxAttempts < 1) throw invalid("max-attempts", "must be >= 1");
    if (batchSize < 1) throw invalid("batch-size", "must be >= 1");
    if (maxParallelTenants < 1) throw invalid("max-parallel-tenants", "must be >= 1");
    if (connector == null) throw invalid("connector", "is missing");
  }

  /** Reads {@code switchboard.gateway.outbound} of the application's configuration. */
  public static OutboundSettings from(Config root) {
    Config c = root.getConfig("switchboard.gateway.outbound");
    Config k = c.getConfig("connector");
    return new OutboundSettings(c.getDuration("poll-interval"), c.getDuration("request-timeout"),
        c.getDuration("backoff.initial"), c.getDuration("backoff.max"), c.getDouble("backoff.factor"),
        c.getInt("max-attempts"), c.getInt("batch-size"), c.getInt("max-parallel-tenants"),
        new Connector(k.getString("base-url"), k.getDuration("request-timeout"), k.getInt("max-retries"),
            k.getDuration("retry-backoff"), k.getInt("max-connections")));
  }

  /**
   * How long an event waits after its {@code attempts}-th failed delivery: {@code initial *
   * factor^(attempts - 1)}, at most {@code max}.
   */
  public Duration backoff(int attempts) {
    return scaled(backoffInitial, backoffFactor, Math.max(0, attempts - 1), backoffMax);
  }

  private static Duration scaled(Duration base, double factor, int exponent, Duration max) {
    // in double milliseconds so a large exponent saturates at max instead of overflowing
    double millis = base.toMillis() * Math.pow(factor, Math.max(0, exponent));
    return millis >= max.toMillis() ? max : Duration.ofMillis((long) millis);
  }

  private static void positive(String key, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) throw invalid(key, "must be a positive duration");
  }

  private static IllegalArgumentException invalid(String key, String why) {
    return new IllegalArgumentException("switchboard.gateway.outbound." + key + " " + why);
  }
}

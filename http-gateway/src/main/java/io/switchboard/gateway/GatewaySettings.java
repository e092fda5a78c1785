package io.switchboard.gateway;

import com.typesafe.config.Config;
import java.time.Duration;

/** The gateway's settings, read once from {@code switchboard.gateway}. */
public record GatewaySettings(
    String host,
    int port,
    String adminKey,
    long maxBodySize,
    int maxTextLength,
    int maxIdLength,
    Duration askTimeout,
    int maxInFlight,
    Duration retryAfter,
    Duration sseKeepAlive,
    Duration livePollInterval,
    String bootstrapFile,
    Duration shutdownDeadline,
    int whatsappParallelism) {

  public static GatewaySettings from(Config root) {
    Config c = root.getConfig("switchboard.gateway");
    return new GatewaySettings(c.getString("host"), c.getInt("port"), c.getString("admin-key"),
        c.getBytes("max-body-size"), c.getInt("max-text-length"), c.getInt("max-id-length"),
        c.getDuration("ask-timeout"), c.getInt("max-in-flight"), c.getDuration("retry-after"),
        c.getDuration("sse-keep-alive"), c.getDuration("live-poll-interval"), c.getString("bootstrap-file"),
        c.getDuration("shutdown-deadline"), c.getInt("whatsapp.parallelism"));
  }

  public boolean adminEnabled() {
    return adminKey != null && !adminKey.isBlank();
  }
}

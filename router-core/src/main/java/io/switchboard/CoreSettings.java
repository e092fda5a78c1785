package io.switchboard;

import com.typesafe.config.Config;
import io.switchboard.routing.RoutingPolicy;
import java.time.Duration;

/** The routing core's settings, read once from {@code switchboard.core}. */
public record CoreSettings(
    Duration redeliveryInterval,
    Duration queueCheckInterval,
    Duration offlineGrace,
    Duration serviceWindow,
    int snapshotEvery,
    int recentMessageIds,
    RoutingPolicy defaultPolicy) {

  public static CoreSettings from(Config root) {
    Config c = root.getConfig("switchboard.core");
    Config p = c.getConfig("default-policy");
    return new CoreSettings(
        c.getDuration("redelivery-interval"),
        c.getDuration("queue-check-interval"),
        c.getDuration("offline-grace"),
        c.getDuration("service-window"),
        c.getInt("snapshot-every"),
        c.getInt("recent-message-ids"),
        new RoutingPolicy(
            p.getDuration("reply-window"),
            p.getInt("max-reroutes"),
            null,
            p.getBoolean("reroute-answered-on-offline"),
            p.getDuration("idle-auto-resolve")));
  }
}

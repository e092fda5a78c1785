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
    int readModelTags,
    Duration replyWindowWarning,
    RoutingPolicy defaultPolicy,
    Duration passivateAfter,
    Duration minSleep,
    Duration confirmFlushInterval,
    boolean rememberAgentsAndTeams,
    Duration prerouteTimeout,
    int agentSnapshotEvery,
    Duration memberStatusWait,
    int conversationShards,
    Grants grants) {

  /**
   * The agent's grants in memory (docs/ARCHITECTURE.md, "One durable write per routed conversation").
   *
   * @param ttl a conversation persists a grant only this long after the agent made it
   * @param settle an agent that recovers takes no offer for this long, then reads the journal for the
   *     assignments of its previous incarnation's grants: at least {@code ttl} + the journal's write bound
   * @param readJournal the read journal plugin whose {@code currentEventsByTag} that scan uses
   */
  public record Grants(Duration ttl, Duration settle, String readJournal) {}

  /** Whether idle conversations stop themselves (only where a wake-up keeper runs, see ARCHITECTURE). */
  public boolean passivates() {
    return passivateAfter != null;
  }

  /**
   * Restart of an entity whose journal write or recovery failed: every entity backs off the same way.
   * At most about a second, so that an entity is running again within about a second of the store's
   * return however long it was away (docs/ARCHITECTURE.md, "Store outages"); a retry while the journal's
   * circuit breaker is open fails at once and costs nothing.
   */
  public org.apache.pekko.actor.typed.BackoffSupervisorStrategy onPersistFailure() {
    return ON_PERSIST_FAILURE;
  }

  /** Immutable, so one per node: built per entity it cost 128 bytes of every running one (docs/PERFORMANCE.md, "Heap"). */
  private static final org.apache.pekko.actor.typed.BackoffSupervisorStrategy ON_PERSIST_FAILURE =
      org.apache.pekko.actor.typed.SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(1), 0.1);

  /** A snapshot every {@code snapshot-every} events, keeping two, so recovery replays a bounded tail. */
  public org.apache.pekko.persistence.typed.javadsl.RetentionCriteria retention() {
    return org.apache.pekko.persistence.typed.javadsl.RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }

  /** Agents snapshot less often: their state holds every conversation they hold, and grows with capacity. */
  public org.apache.pekko.persistence.typed.javadsl.RetentionCriteria agentRetention() {
    return org.apache.pekko.persistence.typed.javadsl.RetentionCriteria.snapshotEvery(agentSnapshotEvery, 2);
  }

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
        c.getInt("read-model-tags"),
        c.getDuration("reply-window-warning"),
        new RoutingPolicy(
            p.getDuration("reply-window"),
            p.getInt("max-reroutes"),
            null,
            p.getBoolean("reroute-answered-on-offline"),
            p.getDuration("idle-auto-resolve")),
        c.getString("passivate-after").equals("off") ? null : c.getDuration("passivate-after"),
        c.getDuration("min-sleep"),
        c.getDuration("confirm-flush-interval"),
        c.getBoolean("remember-agents-and-teams"),
        c.getString("preroute-timeout").equals("off") ? null : c.getDuration("preroute-timeout"),
        c.getInt("agent-snapshot-every"),
        c.getDuration("member-status-wait"),
        c.getInt("conversation-shards"),
        new Grants(c.getDuration("grant-ttl"), c.getDuration("grant-settle"), c.getString("grant-read-journal")));
  }
}

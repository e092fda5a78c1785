package io.switchboard.persistence.readmodel;

import io.switchboard.conversation.RerouteCause;
import java.util.List;

/**
 * Switchboard's own read-model tables, the same DDL on H2 and PostgreSQL, idempotent. The
 * projections' offset tables are the library's and are created by {@link ReadModels#start}.
 *
 * <ul>
 *   <li>{@code sb_conversation}: one row per conversation, written only by the projection instance
 *       of its tag;
 *   <li>{@code sb_routing_stats}: counters per team and per agent, one row per subject and projection
 *       instance ({@code shard}), so each row has a single writer and no two instances contend for it;
 *       queries sum the shards;
 *   <li>{@code sb_webhook_outbox}: the events each tenant's webhook receives (assigned, re-routed,
 *       escalated, resolved), written in the projection's transaction and deleted once delivered;
 *       {@code event_id} ({@code persistenceId:sequenceNr}) lets a receiver drop a repeat;
 *   <li>{@code sb_webhook_dead}: outbox rows given up after their last delivery attempt (the outbox's
 *       columns, its id kept so a tenant's dead events keep their order, the last error, when);
 *   <li>{@code sb_agent_event}: the agents' live-stream log, numbered per agent from
 *       {@code sb_agent_stream.last_seq} (see {@code AgentFeed}), the last {@code agent-events-kept} per agent;
 *   <li>{@code sb_message_status}: delivery receipts of messages the business sent (sent,
 *       delivered, read, failed), recorded as they arrive, never routed.
 * </ul>
 */
public final class ReadModelSchema {
  private ReadModelSchema() {}

  /** The webhook outbox's columns, shared by its dead-letter table. */
  private static final String OUTBOX_COLUMNS = "tenant VARCHAR NOT NULL, event_id VARCHAR NOT NULL, "
      + "event_type VARCHAR(40) NOT NULL, conversation_id VARCHAR NOT NULL, payload VARCHAR NOT NULL, "
      + "created_at TIMESTAMP WITH TIME ZONE NOT NULL, attempts INT NOT NULL DEFAULT 0, "
      + "next_attempt_at TIMESTAMP WITH TIME ZONE";

  /**
   * The columns of re-routes by cause ({@code reroutes_reply_window_lapsed}, ...), on both tables that count them,
   * by {@code RerouteCause.ordinal()}.
   */
  static final List<String> REROUTE_COLUMNS = RerouteCause.CODES.stream().map(cause -> "reroutes_" + cause).toList();

  public static List<String> statements() {
    List<String> all = new java.util.ArrayList<>(tables());
    // re-routes by cause, added after the tables' first release (rows from before count 0 for each cause)
    for (String c : REROUTE_COLUMNS) {
      all.add("ALTER TABLE sb_conversation ADD COLUMN IF NOT EXISTS " + c + " INT DEFAULT 0 NOT NULL");
      all.add("ALTER TABLE sb_routing_stats ADD COLUMN IF NOT EXISTS " + c + " BIGINT DEFAULT 0 NOT NULL");
    }
    return List.copyOf(all);
  }

  private static List<String> tables() {
    return List.of(
        """
        CREATE TABLE IF NOT EXISTS sb_conversation (
          conversation_id VARCHAR NOT NULL PRIMARY KEY,
          tenant VARCHAR NOT NULL,
          channel VARCHAR NOT NULL,
          contact VARCHAR NOT NULL,
          team VARCHAR,
          status VARCHAR(16) NOT NULL,
          agent_id VARCHAR,
          priority INT NOT NULL,
          reason VARCHAR,
          escalated_to VARCHAR,
          episode INT NOT NULL,
          opened_at TIMESTAMP WITH TIME ZONE,
          waiting_since TIMESTAMP WITH TIME ZONE,
          assigned_at TIMESTAMP WITH TIME ZONE,
          first_response_at TIMESTAMP WITH TIME ZONE,
          reroutes INT NOT NULL,
          updated_at TIMESTAMP WITH TIME ZONE)""",
        // added after the first release of the table: stores created before get the column here
        "ALTER TABLE sb_conversation ADD COLUMN IF NOT EXISTS routed_by VARCHAR",
        // the deadlines as the tagged events tell them, for the wake-up index (docs/ARCHITECTURE.md)
        "ALTER TABLE sb_conversation ADD COLUMN IF NOT EXISTS reply_deadline TIMESTAMP WITH TIME ZONE",
        "ALTER TABLE sb_conversation ADD COLUMN IF NOT EXISTS idle_deadline TIMESTAMP WITH TIME ZONE",
        "ALTER TABLE sb_conversation ADD COLUMN IF NOT EXISTS step_deadline TIMESTAMP WITH TIME ZONE",
        "ALTER TABLE sb_conversation ADD COLUMN IF NOT EXISTS service_window_closes_at TIMESTAMP WITH TIME ZONE",
        "ALTER TABLE sb_conversation ADD COLUMN IF NOT EXISTS check_at TIMESTAMP WITH TIME ZONE",
        // when each conversation must run again: written by the projection, consumed by the keeper
        """
        CREATE TABLE IF NOT EXISTS sb_wakeup (
          conversation_id VARCHAR NOT NULL PRIMARY KEY,
          wake_at TIMESTAMP WITH TIME ZONE,
          seq BIGINT NOT NULL)""",
        // the keeper reads in (wake_at, conversation_id) order, past a cursor (an index on wake_at alone is replaced)
        "DROP INDEX IF EXISTS sb_wakeup_by_time",
        "CREATE INDEX IF NOT EXISTS sb_wakeup_by_time_and_id ON sb_wakeup (wake_at, conversation_id)",
        "CREATE INDEX IF NOT EXISTS sb_conversation_by_team ON sb_conversation (tenant, team, status)",
        "CREATE INDEX IF NOT EXISTS sb_conversation_by_agent ON sb_conversation (agent_id, status)",
        "CREATE INDEX IF NOT EXISTS sb_conversation_by_supervisor ON sb_conversation (escalated_to, status)",
        """
        CREATE TABLE IF NOT EXISTS sb_routing_stats (
          scope VARCHAR(8) NOT NULL,
          subject VARCHAR NOT NULL,
          shard INT NOT NULL,
          tenant VARCHAR NOT NULL,
          assignments BIGINT NOT NULL,
          first_responses BIGINT NOT NULL,
          first_response_ms_total BIGINT NOT NULL,
          first_response_ms_max BIGINT NOT NULL,
          reroutes BIGINT NOT NULL,
          escalations BIGINT NOT NULL,
          resolutions BIGINT NOT NULL,
          PRIMARY KEY (scope, subject, shard))""",
        "CREATE INDEX IF NOT EXISTS sb_routing_stats_by_tenant ON sb_routing_stats (tenant, scope)",
        "CREATE TABLE IF NOT EXISTS sb_webhook_outbox (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            + OUTBOX_COLUMNS + ")",
        "CREATE INDEX IF NOT EXISTS sb_webhook_outbox_by_tenant ON sb_webhook_outbox (tenant, id)",
        // the outbox's columns and its id (kept: a tenant's dead events stay in order), the last error, when
        "CREATE TABLE IF NOT EXISTS sb_webhook_dead (id BIGINT NOT NULL PRIMARY KEY, " + OUTBOX_COLUMNS
            + ", last_error VARCHAR, failed_at TIMESTAMP WITH TIME ZONE NOT NULL)",
        "CREATE INDEX IF NOT EXISTS sb_webhook_dead_by_tenant ON sb_webhook_dead (tenant, id)",
        """
        CREATE TABLE IF NOT EXISTS sb_message_status (
          tenant VARCHAR NOT NULL,
          channel VARCHAR NOT NULL,
          message_id VARCHAR NOT NULL,
          status VARCHAR(32) NOT NULL,
          recipient VARCHAR,
          at TIMESTAMP WITH TIME ZONE,
          errors VARCHAR,
          received_at TIMESTAMP WITH TIME ZONE NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS sb_message_status_by_message ON sb_message_status (tenant, message_id)",
        // the agents' live streams: a numbered log per agent and its counter (docs/ARCHITECTURE.md)
        "CREATE TABLE IF NOT EXISTS sb_agent_stream (agent_id VARCHAR NOT NULL PRIMARY KEY, last_seq BIGINT NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS sb_agent_event (
          agent_id VARCHAR NOT NULL,
          seq BIGINT NOT NULL,
          event_type VARCHAR(24) NOT NULL,
          conversation_id VARCHAR NOT NULL,
          team VARCHAR,
          reason VARCHAR,
          at TIMESTAMP WITH TIME ZONE NOT NULL,
          PRIMARY KEY (agent_id, seq))""");
  }
}

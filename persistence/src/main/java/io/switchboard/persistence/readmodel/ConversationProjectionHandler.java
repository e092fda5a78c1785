package io.switchboard.persistence.readmodel;

import io.switchboard.conversation.Conversation;
import io.switchboard.persistence.jdbc.Jdbc;
import io.switchboard.persistence.outbox.WebhookOutbox;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Applies a batch of one tag's conversation events to {@code sb_conversation},
 * {@code sb_routing_stats} and {@code sb_webhook_outbox} in the projection's transaction (the offset is committed with it, so
 * each event counts exactly once). Rows of a batch are read once, changed in memory, written once.
 */
final class ConversationProjectionHandler
    extends JdbcHandler<List<EventEnvelope<Conversation.Event>>, PooledSession> {

  /** The row's own columns, in the order they are bound (then id, tenant, channel, contact on insert). */
  private static final List<String> ROW_COLUMNS = Stream.concat(Stream.of("team", "status", "agent_id", "priority",
      "reason", "escalated_to", "episode", "opened_at", "waiting_since", "assigned_at", "first_response_at", "reroutes",
      "updated_at", "routed_by", "reply_deadline", "idle_deadline", "step_deadline", "service_window_closes_at",
      "check_at"), ReadModelSchema.REROUTE_COLUMNS.stream()).toList();
  private static final String COLUMNS = String.join(", ", ROW_COLUMNS);
  private static final String UPDATE = "UPDATE sb_conversation SET "
      + ROW_COLUMNS.stream().map(c -> c + " = ?").collect(Collectors.joining(", ")) + " WHERE conversation_id = ?";
  private static final String INSERT = "INSERT INTO sb_conversation (" + COLUMNS + ", conversation_id, tenant, "
      + "channel, contact) VALUES (" + String.join(", ", Collections.nCopies(ROW_COLUMNS.size() + 4, "?")) + ")";

  private final int shard;
  private final Duration checkAfter;
  private final int agentEventsKept;
  /** Told, after each commit, the agents whose live-stream log got lines (a hint to their streams). */
  private final java.util.function.Consumer<Set<String>> agentsWritten;

  /** Tenants known to have no webhook now: their events are not written to the outbox (see {@code ReadModels}). */
  private final java.util.function.Predicate<String> withoutWebhook;

  ConversationProjectionHandler(int shard, Duration checkAfter, int agentEventsKept,
      java.util.function.Consumer<Set<String>> agentsWritten, java.util.function.Predicate<String> withoutWebhook) {
    this.shard = shard;
    this.checkAfter = checkAfter;
    this.agentEventsKept = agentEventsKept;
    this.agentsWritten = agentsWritten;
    this.withoutWebhook = withoutWebhook;
  }

  @Override
  public void process(PooledSession session, List<EventEnvelope<Conversation.Event>> envelopes) throws Exception {
    Set<String> agents = session.withConnection(con -> apply(con, envelopes));
    if (!agents.isEmpty()) session.afterCommit(() -> agentsWritten.accept(agents));
  }

  /** Returns the agents whose live-stream log got lines. */
  private Set<String> apply(Connection con, List<EventEnvelope<Conversation.Event>> envelopes) throws SQLException {
    Map<String, ConversationRow> rows = new LinkedHashMap<>();
    for (EventEnvelope<Conversation.Event> env : envelopes) {
      String id = conversationIdOf(env.persistenceId());
      rows.putIfAbsent(id, null);
    }
    Set<String> existing = load(con, rows);
    StatsDelta stats = new StatsDelta();
    List<WebhookOutbox.Entry> outbox = new ArrayList<>();
    List<AgentFeed.Entry> feed = new ArrayList<>();
    for (EventEnvelope<Conversation.Event> env : envelopes) {
      String id = conversationIdOf(env.persistenceId());
      ConversationRow row = rows.computeIfAbsent(id, ConversationRow::new); // a null value counts as absent
      String agentBefore = row.agentId;
      row.apply(env.event(), env.sequenceNr(), checkAfter, stats);
      String type = WebhookEvents.typeOf(env.event());
      if (type != null && !withoutWebhook.test(row.tenant)) {
        outbox.add(WebhookEvents.entry(env.persistenceId() + ":" + env.sequenceNr(), type, row, agentBefore));
      }
      feed.addAll(AgentFeed.entries(id, env.event(), row.team));
    }
    write(con, rows, existing);
    Wakeups.write(con, rows.values(), checkAfter);
    writeStats(con, stats);
    WebhookOutbox.append(con, outbox);
    return AgentFeed.write(con, feed, agentEventsKept);
  }

  /** {@code Conversation|tenant/channel:contact} → {@code tenant/channel:contact}. */
  static String conversationIdOf(String persistenceId) {
    int bar = persistenceId.indexOf('|');
    return bar < 0 ? persistenceId : persistenceId.substring(bar + 1);
  }

  /** Fills {@code rows} with the stored rows of its keys; returns the ids that exist. */
  private static Set<String> load(Connection con, Map<String, ConversationRow> rows) throws SQLException {
    List<String> ids = new ArrayList<>(rows.keySet());
    String sql = "SELECT conversation_id, " + COLUMNS + " FROM sb_conversation WHERE conversation_id IN ("
        + String.join(", ", Collections.nCopies(ids.size(), "?")) + ")";
    Set<String> found = new HashSet<>();
    for (ConversationRow r : Jdbc.query(con, sql, ids, ConversationProjectionHandler::row)) {
      rows.put(r.conversationId, r);
      found.add(r.conversationId);
    }
    return found;
  }

  private static ConversationRow row(ResultSet rs) throws SQLException {
    ConversationRow r = new ConversationRow(rs.getString("conversation_id"));
    r.team = rs.getString("team");
    r.status = Conversation.Status.valueOf(rs.getString("status"));
    r.agentId = rs.getString("agent_id");
    r.priority = rs.getInt("priority");
    r.reason = rs.getString("reason");
    r.escalatedTo = rs.getString("escalated_to");
    r.episode = rs.getInt("episode");
    r.openedAt = Jdbc.instant(rs, "opened_at");
    r.waitingSince = Jdbc.instant(rs, "waiting_since");
    r.assignedAt = Jdbc.instant(rs, "assigned_at");
    r.firstResponseAt = Jdbc.instant(rs, "first_response_at");
    r.reroutes = rs.getInt("reroutes");
    r.updatedAt = Jdbc.instant(rs, "updated_at");
    r.routedBy = rs.getString("routed_by");
    r.replyDeadline = Jdbc.instant(rs, "reply_deadline");
    r.idleDeadline = Jdbc.instant(rs, "idle_deadline");
    r.stepDeadline = Jdbc.instant(rs, "step_deadline");
    r.serviceWindowClosesAt = Jdbc.instant(rs, "service_window_closes_at");
    r.checkAt = Jdbc.instant(rs, "check_at");
    for (int i = 0; i < r.reroutesByCause.length; i++) {
      r.reroutesByCause[i] = rs.getInt(ReadModelSchema.REROUTE_COLUMNS.get(i));
    }
    return r;
  }

  /** Updates the rows that exist, then inserts the others (each as one batch). */
  private static void write(Connection con, Map<String, ConversationRow> rows, Set<String> existing)
      throws SQLException {
    List<ConversationRow> updates = new ArrayList<>();
    List<ConversationRow> inserts = new ArrayList<>();
    for (ConversationRow r : rows.values()) (existing.contains(r.conversationId) ? updates : inserts).add(r);
    Jdbc.batch(con, UPDATE, updates, (a, r) -> bindColumns(a, r).string(r.conversationId));
    Jdbc.batch(con, INSERT, inserts,
        (a, r) -> bindColumns(a, r).string(r.conversationId).string(r.tenant).string(r.channel).string(r.contact));
  }

  /** Binds {@link #ROW_COLUMNS}, in their order. */
  private static Jdbc.Args bindColumns(Jdbc.Args a, ConversationRow r) throws SQLException {
    a.string(r.team).string(r.status.name()).string(r.agentId).integer(r.priority).string(r.reason)
        .string(r.escalatedTo).integer(r.episode).instant(r.openedAt).instant(r.waitingSince).instant(r.assignedAt)
        .instant(r.firstResponseAt).integer(r.reroutes).instant(r.updatedAt).string(r.routedBy)
        .instant(r.replyDeadline).instant(r.idleDeadline).instant(r.stepDeadline).instant(r.serviceWindowClosesAt)
        .instant(r.checkAt);
    for (int count : r.reroutesByCause) a.integer(count);
    return a;
  }

  /** The counters of {@code sb_routing_stats}, in the order they are bound. */
  private static final List<String> STATS_COLUMNS = Stream.concat(Stream.of("assignments", "first_responses",
      "first_response_ms_total", "first_response_ms_max", "reroutes", "escalations", "resolutions"),
      ReadModelSchema.REROUTE_COLUMNS.stream()).toList();
  /**
   * Adds a batch's counts to a subject's row, or inserts the row the first time: standard MERGE (H2 2.x and
   * PostgreSQL 15, as {@code Wakeups}), one JDBC batch for all the subjects of a batch (one statement per
   * subject in one round trip, where an UPDATE and, for a new subject, an INSERT each took one). The row has
   * one writer (its projection instance), so no concurrent insert can race it.
   */
  private static final String STATS_MERGE = "MERGE INTO sb_routing_stats s USING (VALUES ("
      + STATS_COLUMNS.stream().map(c -> "CAST(? AS BIGINT)").collect(Collectors.joining(", "))
      + ", CAST(? AS VARCHAR), CAST(? AS VARCHAR), CAST(? AS INT), CAST(? AS VARCHAR))) AS v("
      + String.join(", ", STATS_COLUMNS) + ", scope, subject, shard, tenant)"
      + " ON s.scope = v.scope AND s.subject = v.subject AND s.shard = v.shard"
      + " WHEN MATCHED THEN UPDATE SET " + STATS_COLUMNS.stream()
          .map(c -> c + " = " + (c.equals("first_response_ms_max") ? "GREATEST(s." + c + ", v." + c + ")"
              : "s." + c + " + v." + c))
          .collect(Collectors.joining(", "))
      + " WHEN NOT MATCHED THEN INSERT (" + String.join(", ", STATS_COLUMNS) + ", scope, subject, shard, tenant)"
      + " VALUES (" + STATS_COLUMNS.stream().map(c -> "v." + c).collect(Collectors.joining(", "))
      + ", v.scope, v.subject, v.shard, v.tenant)";

  /** Each subject's row of this instance gets the batch's counts (one writer per (subject, shard) row). */
  private void writeStats(Connection con, StatsDelta stats) throws SQLException {
    Jdbc.batch(con, STATS_MERGE, stats.counts().entrySet(), (a, e) -> bindStats(a, e.getKey(), e.getValue())
        .string(e.getKey().tenant()));
  }

  private Jdbc.Args bindStats(Jdbc.Args a, StatsDelta.Key key, StatsDelta.Counts c) throws SQLException {
    a.number(c.assignments).number(c.firstResponses).number(c.firstResponseMsTotal).number(c.firstResponseMsMax)
        .number(c.reroutes).number(c.escalations).number(c.resolutions);
    for (long count : c.reroutesByCause) a.number(count);
    return a.string(key.scope().name().toLowerCase()).string(key.subject()).integer(shard);
  }
}

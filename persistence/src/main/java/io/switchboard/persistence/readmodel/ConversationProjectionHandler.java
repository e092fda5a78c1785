package io.switchboard.persistence.readmodel;

import io.switchboard.conversation.Conversation;
import io.switchboard.persistence.outbox.WebhookOutbox;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Applies a batch of one tag's conversation events to {@code sb_conversation},
 * {@code sb_routing_stats} and {@code sb_webhook_outbox} in the projection's transaction (the offset is committed with it, so
 * each event counts exactly once). Rows of a batch are read once, changed in memory, written once.
 */
final class ConversationProjectionHandler
    extends JdbcHandler<List<EventEnvelope<Conversation.Event>>, PooledSession> {

  private static final String COLUMNS = "team, status, agent_id, priority, reason, escalated_to, episode, opened_at, "
      + "waiting_since, assigned_at, first_response_at, reroutes, updated_at, routed_by, reply_deadline, idle_deadline, "
      + "step_deadline, service_window_closes_at, check_at, " + String.join(", ", ReadModelSchema.REROUTE_COLUMNS);
  /** How many of {@link #COLUMNS}: the row's own columns (then id, tenant, channel, contact on insert). */
  private static final int BOUND = 19 + ReadModelSchema.REROUTE_COLUMNS.size();

  private final int shard;
  private final Duration checkAfter;
  private final int agentEventsKept;
  /** Told, after each commit, the agents whose live-stream log got lines (a hint to their streams). */
  private final java.util.function.Consumer<Set<String>> agentsWritten;

  ConversationProjectionHandler(int shard, Duration checkAfter) {
    this(shard, checkAfter, 1000, agents -> {});
  }

  ConversationProjectionHandler(int shard, Duration checkAfter, int agentEventsKept,
      java.util.function.Consumer<Set<String>> agentsWritten) {
    this.shard = shard;
    this.checkAfter = checkAfter;
    this.agentEventsKept = agentEventsKept;
    this.agentsWritten = agentsWritten;
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
      if (type != null) {
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
    try (PreparedStatement ps = con.prepareStatement(sql)) {
      for (int i = 0; i < ids.size(); i++) ps.setString(i + 1, ids.get(i));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ConversationRow r = new ConversationRow(rs.getString(1));
          r.team = rs.getString(2);
          r.status = Conversation.Status.valueOf(rs.getString(3));
          r.agentId = rs.getString(4);
          r.priority = rs.getInt(5);
          r.reason = rs.getString(6);
          r.escalatedTo = rs.getString(7);
          r.episode = rs.getInt(8);
          r.openedAt = instant(rs, 9);
          r.waitingSince = instant(rs, 10);
          r.assignedAt = instant(rs, 11);
          r.firstResponseAt = instant(rs, 12);
          r.reroutes = rs.getInt(13);
          r.updatedAt = instant(rs, 14);
          r.routedBy = rs.getString(15);
          r.replyDeadline = instant(rs, 16);
          r.idleDeadline = instant(rs, 17);
          r.stepDeadline = instant(rs, 18);
          r.serviceWindowClosesAt = instant(rs, 19);
          r.checkAt = instant(rs, 20);
          for (int i = 0; i < r.reroutesByCause.length; i++) r.reroutesByCause[i] = rs.getInt(21 + i);
          rows.put(r.conversationId, r);
          found.add(r.conversationId);
        }
      }
    }
    return found;
  }

  private static void write(Connection con, Map<String, ConversationRow> rows, Set<String> existing)
      throws SQLException {
    String update = "UPDATE sb_conversation SET team = ?, status = ?, agent_id = ?, priority = ?, reason = ?, "
        + "escalated_to = ?, episode = ?, opened_at = ?, waiting_since = ?, assigned_at = ?, first_response_at = ?, "
        + "reroutes = ?, updated_at = ?, routed_by = ?, reply_deadline = ?, idle_deadline = ?, step_deadline = ?, "
        + "service_window_closes_at = ?, check_at = ?"
        + ReadModelSchema.REROUTE_COLUMNS.stream().map(c -> ", " + c + " = ?").collect(java.util.stream.Collectors.joining())
        + " WHERE conversation_id = ?";
    String insert = "INSERT INTO sb_conversation (" + COLUMNS + ", conversation_id, tenant, channel, contact) "
        + "VALUES (" + String.join(", ", Collections.nCopies(BOUND + 4, "?")) + ")";
    try (PreparedStatement up = con.prepareStatement(update); PreparedStatement in = con.prepareStatement(insert)) {
      boolean updates = false;
      boolean inserts = false;
      for (ConversationRow r : rows.values()) {
        boolean exists = existing.contains(r.conversationId);
        PreparedStatement ps = exists ? up : in;
        bindColumns(ps, r);
        ps.setString(BOUND + 1, r.conversationId);
        if (!exists) {
          ps.setString(BOUND + 2, r.tenant);
          ps.setString(BOUND + 3, r.channel);
          ps.setString(BOUND + 4, r.contact);
        }
        ps.addBatch();
        if (exists) updates = true;
        else inserts = true;
      }
      if (updates) up.executeBatch();
      if (inserts) in.executeBatch();
    }
  }

  private static void bindColumns(PreparedStatement ps, ConversationRow r) throws SQLException {
    ps.setString(1, r.team);
    ps.setString(2, r.status.name());
    ps.setString(3, r.agentId);
    ps.setInt(4, r.priority);
    ps.setString(5, r.reason);
    ps.setString(6, r.escalatedTo);
    ps.setInt(7, r.episode);
    timestamp(ps, 8, r.openedAt);
    timestamp(ps, 9, r.waitingSince);
    timestamp(ps, 10, r.assignedAt);
    timestamp(ps, 11, r.firstResponseAt);
    ps.setInt(12, r.reroutes);
    timestamp(ps, 13, r.updatedAt);
    ps.setString(14, r.routedBy);
    timestamp(ps, 15, r.replyDeadline);
    timestamp(ps, 16, r.idleDeadline);
    timestamp(ps, 17, r.stepDeadline);
    timestamp(ps, 18, r.serviceWindowClosesAt);
    timestamp(ps, 19, r.checkAt);
    for (int i = 0; i < r.reroutesByCause.length; i++) ps.setInt(20 + i, r.reroutesByCause[i]);
  }

  /** One writer per (subject, shard) row: update it, or insert it the first time. */
  private void writeStats(Connection con, StatsDelta stats) throws SQLException {
    if (stats.isEmpty()) return;
    String update = "UPDATE sb_routing_stats SET assignments = assignments + ?, first_responses = first_responses + ?, "
        + "first_response_ms_total = first_response_ms_total + ?, "
        + "first_response_ms_max = GREATEST(first_response_ms_max, ?), reroutes = reroutes + ?, "
        + "escalations = escalations + ?, resolutions = resolutions + ?"
        + ReadModelSchema.REROUTE_COLUMNS.stream().map(c -> ", " + c + " = " + c + " + ?")
            .collect(java.util.stream.Collectors.joining())
        + " WHERE scope = ? AND subject = ? AND shard = ?";
    String insert = "INSERT INTO sb_routing_stats (assignments, first_responses, first_response_ms_total, "
        + "first_response_ms_max, reroutes, escalations, resolutions, "
        + String.join(", ", ReadModelSchema.REROUTE_COLUMNS) + ", scope, subject, shard, tenant) "
        + "VALUES (" + String.join(", ", Collections.nCopies(11 + ReadModelSchema.REROUTE_COLUMNS.size(), "?")) + ")";
    int tenantAt = 11 + ReadModelSchema.REROUTE_COLUMNS.size();
    try (PreparedStatement up = con.prepareStatement(update); PreparedStatement in = con.prepareStatement(insert)) {
      for (Map.Entry<StatsDelta.Key, StatsDelta.Counts> e : stats.counts().entrySet()) {
        bindStats(up, e.getKey(), e.getValue());
        if (up.executeUpdate() == 0) {
          bindStats(in, e.getKey(), e.getValue());
          in.setString(tenantAt, e.getKey().tenant());
          in.executeUpdate();
        }
      }
    }
  }

  private void bindStats(PreparedStatement ps, StatsDelta.Key key, StatsDelta.Counts c) throws SQLException {
    ps.setLong(1, c.assignments);
    ps.setLong(2, c.firstResponses);
    ps.setLong(3, c.firstResponseMsTotal);
    ps.setLong(4, c.firstResponseMsMax);
    ps.setLong(5, c.reroutes);
    ps.setLong(6, c.escalations);
    ps.setLong(7, c.resolutions);
    int n = c.reroutesByCause.length;
    for (int i = 0; i < n; i++) ps.setLong(8 + i, c.reroutesByCause[i]);
    ps.setString(8 + n, key.scope().name().toLowerCase());
    ps.setString(9 + n, key.subject());
    ps.setInt(10 + n, shard);
  }

  static void timestamp(PreparedStatement ps, int i, Instant at) throws SQLException {
    if (at == null) ps.setNull(i, Types.TIMESTAMP_WITH_TIMEZONE);
    else ps.setObject(i, at.atOffset(ZoneOffset.UTC));
  }

  static Instant instant(ResultSet rs, int i) throws SQLException {
    OffsetDateTime t = rs.getObject(i, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }
}

package io.switchboard.persistence.readmodel;

import io.switchboard.conversation.Conversation;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * Queries on the read-model tables (and the one write that is not a projection's: delivery receipts). Blocking JDBC runs on the executor given (a dispatcher of its
 * own), never on the caller's thread; each answer is a {@link CompletionStage} that fails with a
 * {@link CompletionException} wrapping the {@link SQLException} when the store is unavailable.
 */
public final class ReadModelQueries {
  /** The most rows one query returns. */
  public static final int MAX_LIMIT = 500;

  private static final String SELECT = "SELECT conversation_id, tenant, channel, contact, team, status, agent_id, "
      + "priority, reason, escalated_to, episode, opened_at, waiting_since, assigned_at, first_response_at, reroutes, "
      + "updated_at, routed_by, " + String.join(", ", ReadModelSchema.REROUTE_COLUMNS) + " FROM sb_conversation";

  private final DataSource dataSource;
  private final Executor executor;

  ReadModelQueries(DataSource dataSource, Executor executor) {
    this.dataSource = dataSource;
    this.executor = executor;
  }

  /** A delivery receipt of a message the business sent. */
  public record MessageStatus(String tenant, String channel, String messageId, String status, String recipient,
      java.time.Instant at, String errors) {}

  /** Records delivery receipts (they are facts to keep, not input to route). */
  public CompletionStage<Integer> recordStatuses(List<MessageStatus> statuses) {
    if (statuses.isEmpty()) return CompletableFuture.completedFuture(0);
    return run(con -> {
      try (PreparedStatement ps = con.prepareStatement("INSERT INTO sb_message_status (tenant, channel, message_id, "
          + "status, recipient, at, errors, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        java.time.Instant now = java.time.Instant.now();
        for (MessageStatus m : statuses) {
          ps.setString(1, m.tenant());
          ps.setString(2, m.channel());
          ps.setString(3, m.messageId());
          ps.setString(4, m.status());
          ps.setString(5, m.recipient());
          ConversationProjectionHandler.timestamp(ps, 6, m.at());
          ps.setString(7, m.errors());
          ConversationProjectionHandler.timestamp(ps, 8, now);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      return statuses.size();
    }, false);
  }

  /** The receipts recorded for one message, oldest first. */
  public CompletionStage<List<MessageStatus>> statusesOf(String tenant, String messageId) {
    return run(con -> {
      List<MessageStatus> out = new ArrayList<>();
      try (PreparedStatement ps = prepare(con, "SELECT tenant, channel, message_id, status, recipient, at, errors FROM "
          + "sb_message_status WHERE tenant = ? AND message_id = ? ORDER BY received_at, at", List.of(tenant, messageId));
           ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new MessageStatus(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
              rs.getString(5), ConversationProjectionHandler.instant(rs, 6), rs.getString(7)));
        }
      }
      return out;
    });
  }

  /** Completes when the read-model store answers a trivial query (readiness checks). */
  public CompletionStage<Boolean> ping() {
    return run(con -> {
      try (PreparedStatement ps = con.prepareStatement("SELECT 1"); ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    });
  }

  public CompletionStage<Optional<ConversationSummary>> conversation(String conversationId) {
    return run(con -> {
      List<ConversationSummary> rows = select(con, SELECT + " WHERE conversation_id = ?", List.of(conversationId));
      return rows.stream().findFirst();
    });
  }

  /** A team's waiting pool: highest priority first, then longest waiting. */
  public CompletionStage<List<ConversationSummary>> waitingPool(String tenant, String teamId, int limit, int offset) {
    return run(con -> select(con, SELECT + " WHERE tenant = ? AND team = ? AND status = 'WAITING' "
        + "ORDER BY priority DESC, waiting_since, conversation_id" + page(limit, offset), List.of(tenant, teamId)));
  }

  /** The conversations an agent holds now, oldest assignment first. */
  public CompletionStage<List<ConversationSummary>> openConversationsOf(String agentId) {
    return run(con -> select(con, SELECT + " WHERE agent_id = ? AND status = 'ASSIGNED' ORDER BY assigned_at, "
        + "conversation_id" + page(MAX_LIMIT, 0), List.of(agentId)));
  }

  /**
   * A tenant's conversations, optionally of one team and in one state, most recently changed first.
   *
   * @param teamId null for every team
   * @param status null for every state
   */
  public CompletionStage<List<ConversationSummary>> conversations(String tenant, String teamId,
      Conversation.Status status, int limit, int offset) {
    List<Object> args = new ArrayList<>(List.of(tenant));
    StringBuilder sql = new StringBuilder(SELECT).append(" WHERE tenant = ?");
    if (teamId != null) {
      sql.append(" AND team = ?");
      args.add(teamId);
    }
    if (status != null) {
      sql.append(" AND status = ?");
      args.add(status.name());
    }
    sql.append(" ORDER BY updated_at DESC, conversation_id").append(page(limit, offset));
    return run(con -> select(con, sql.toString(), args));
  }

  /** How many of a tenant's conversations (of one team, unless null) are in each state; absent states count 0. */
  public CompletionStage<Map<Conversation.Status, Long>> countByStatus(String tenant, String teamId) {
    String sql = "SELECT status, COUNT(*) FROM sb_conversation WHERE tenant = ?"
        + (teamId == null ? "" : " AND team = ?") + " GROUP BY status";
    List<Object> args = teamId == null ? List.of(tenant) : List.of(tenant, teamId);
    return run(con -> {
      Map<Conversation.Status, Long> counts = new EnumMap<>(Conversation.Status.class);
      for (Conversation.Status s : Conversation.Status.values()) counts.put(s, 0L);
      try (PreparedStatement ps = prepare(con, sql, args); ResultSet rs = ps.executeQuery()) {
        while (rs.next()) counts.put(Conversation.Status.valueOf(rs.getString(1)), rs.getLong(2));
      }
      return counts;
    });
  }

  /** Routing figures of every team ({@code scope = "team"}) or agent ({@code "agent"}) of a tenant. */
  public CompletionStage<List<RoutingStats>> stats(String tenant, String scope) {
    return run(con -> stats(con, "tenant = ? AND scope = ?", List.of(tenant, scope)));
  }

  /** Routing figures of one team or agent; empty when it has none yet. */
  public CompletionStage<Optional<RoutingStats>> statsOf(String scope, String subject) {
    return run(con -> stats(con, "scope = ? AND subject = ?", List.of(scope, subject)).stream().findFirst());
  }

  private static List<RoutingStats> stats(Connection con, String where, List<Object> args) throws SQLException {
    String sql = "SELECT scope, subject, SUM(assignments), SUM(first_responses), SUM(first_response_ms_total), "
        + "MAX(first_response_ms_max), SUM(reroutes), SUM(escalations), SUM(resolutions), "
        + ReadModelSchema.REROUTE_COLUMNS.stream().map(c -> "SUM(" + c + ")").collect(java.util.stream.Collectors.joining(", "))
        + " FROM sb_routing_stats WHERE "
        + where + " GROUP BY scope, subject ORDER BY subject";
    List<RoutingStats> out = new ArrayList<>();
    try (PreparedStatement ps = prepare(con, sql, args); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        long responses = rs.getLong(4);
        Map<String, Long> byCause = new java.util.LinkedHashMap<>();
        for (int i = 0; i < Conversation.REROUTE_CAUSES.size(); i++) {
          byCause.put(Conversation.REROUTE_CAUSES.get(i), rs.getLong(10 + i));
        }
        out.add(new RoutingStats(rs.getString(1), rs.getString(2), rs.getLong(3), responses,
            responses == 0 ? null : Duration.ofMillis(rs.getLong(5) / responses),
            responses == 0 ? null : Duration.ofMillis(rs.getLong(6)),
            rs.getLong(7), java.util.Collections.unmodifiableMap(byCause), rs.getLong(8), rs.getLong(9)));
      }
    }
    return out;
  }

  private static String page(int limit, int offset) {
    if (limit < 1 || limit > MAX_LIMIT) throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ": " + limit);
    if (offset < 0) throw new IllegalArgumentException("offset must be >= 0: " + offset);
    return " LIMIT " + limit + " OFFSET " + offset;
  }

  private static List<ConversationSummary> select(Connection con, String sql, List<Object> args) throws SQLException {
    List<ConversationSummary> out = new ArrayList<>();
    try (PreparedStatement ps = prepare(con, sql, args); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new ConversationSummary(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
            rs.getString(5), Conversation.Status.valueOf(rs.getString(6)), rs.getString(7), rs.getInt(8),
            rs.getString(9), rs.getString(10), rs.getInt(11), ConversationProjectionHandler.instant(rs, 12),
            ConversationProjectionHandler.instant(rs, 13), ConversationProjectionHandler.instant(rs, 14),
            ConversationProjectionHandler.instant(rs, 15), rs.getInt(16), rerouteCounts(rs, 19),
            ConversationProjectionHandler.instant(rs, 17), rs.getString(18)));
      }
    }
    return out;
  }

  private static Map<String, Integer> rerouteCounts(ResultSet rs, int first) throws SQLException {
    int[] counts = new int[Conversation.REROUTE_CAUSES.size()];
    for (int i = 0; i < counts.length; i++) counts[i] = rs.getInt(first + i);
    return ConversationRow.byCause(counts);
  }

  /** The conversations parked with this supervisor (escalated to it), at most {@link #MAX_LIMIT}. */
  public CompletionStage<List<String>> escalatedTo(String agentId) {
    return run(con -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement ps = prepare(con, "SELECT conversation_id FROM sb_conversation WHERE escalated_to = ? "
          + "AND status = ? ORDER BY conversation_id LIMIT " + MAX_LIMIT,
          List.of(agentId, Conversation.Status.ESCALATED.name()));
           ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(rs.getString(1));
      }
      return out;
    });
  }

  /** The wake-up index rows due by {@code until}, earliest first or past {@code after} (the keeper's poll). */
  CompletionStage<List<Wakeups.Due>> dueWakeups(java.time.Instant until, Wakeups.Due after, int limit) {
    return run(con -> Wakeups.due(con, until, after, limit));
  }


  /** What woken conversations answered: their next deadlines, into the wake-up index. */
  CompletionStage<Integer> recordWoken(List<Conversation.Woken> woken) {
    if (woken.isEmpty()) return CompletableFuture.completedFuture(0);
    return run(con -> {
      Wakeups.record(con, woken);
      return woken.size();
    }, false);
  }

  /** One line of an agent's live-stream log: {@code seq} is its id, the agent's own number (1, 2, ...). */
  public record AgentFeedEvent(String agentId, long seq, String type, String conversationId, String team,
      String reason, java.time.Instant at) {}

  /** The agent's last live-stream number (0: none yet): where a stream without {@code Last-Event-ID} starts. */
  public CompletionStage<Long> agentFeedHead(String agentId) {
    return run(con -> {
      try (PreparedStatement ps = prepare(con, "SELECT last_seq FROM sb_agent_stream WHERE agent_id = ?",
          List.of(agentId)); ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0L;
      }
    });
  }

  /** The agent's live-stream lines after {@code afterSeq}, in order, at most {@code limit}. */
  public CompletionStage<List<AgentFeedEvent>> agentFeedAfter(String agentId, long afterSeq, int limit) {
    return run(con -> {
      List<AgentFeedEvent> out = new ArrayList<>();
      try (PreparedStatement ps = prepare(con, "SELECT seq, event_type, conversation_id, team, reason, at "
          + "FROM sb_agent_event WHERE agent_id = ? AND seq > ? ORDER BY seq LIMIT ?",
          List.of(agentId, afterSeq, Math.min(limit, MAX_LIMIT))); ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new AgentFeedEvent(agentId, rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
              rs.getString(5), ConversationProjectionHandler.instant(rs, 6)));
        }
      }
      return out;
    });
  }

  private static PreparedStatement prepare(Connection con, String sql, List<Object> args) throws SQLException {
    PreparedStatement ps = con.prepareStatement(sql);
    for (int i = 0; i < args.size(); i++) ps.setObject(i + 1, args.get(i));
    return ps;
  }

  private interface Query<T> {
    T run(Connection con) throws SQLException;
  }

  private <T> CompletionStage<T> run(Query<T> query) {
    return run(query, true);
  }

  private <T> CompletionStage<T> run(Query<T> query, boolean readOnly) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection con = dataSource.getConnection()) {
        con.setReadOnly(readOnly);
        con.setAutoCommit(true);
        return query.run(con);
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, executor);
  }
}

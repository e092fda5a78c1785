package io.switchboard.persistence.readmodel;

import io.switchboard.conversation.Conversation;
import io.switchboard.conversation.RerouteCause;
import io.switchboard.persistence.jdbc.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;
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
      Instant at, String errors) {}

  /** Records delivery receipts (they are facts to keep, not input to route). */
  public CompletionStage<Integer> recordStatuses(List<MessageStatus> statuses) {
    if (statuses.isEmpty()) return CompletableFuture.completedFuture(0);
    return run(con -> {
      Instant now = Instant.now();
      Jdbc.batch(con, "INSERT INTO sb_message_status (tenant, channel, message_id, status, recipient, at, errors, "
          + "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", statuses, (a, m) -> a.string(m.tenant())
          .string(m.channel()).string(m.messageId()).string(m.status()).string(m.recipient()).instant(m.at())
          .string(m.errors()).instant(now));
      return statuses.size();
    }, false);
  }

  /** The receipts recorded for one message, oldest first. */
  public CompletionStage<List<MessageStatus>> statusesOf(String tenant, String messageId) {
    return run(con -> Jdbc.query(con, "SELECT tenant, channel, message_id, status, recipient, at, errors FROM "
        + "sb_message_status WHERE tenant = ? AND message_id = ? ORDER BY received_at, at", List.of(tenant, messageId),
        rs -> new MessageStatus(rs.getString("tenant"), rs.getString("channel"), rs.getString("message_id"),
            rs.getString("status"), rs.getString("recipient"), Jdbc.instant(rs, "at"), rs.getString("errors"))));
  }

  /** Completes when the read-model store answers a trivial query (readiness checks). */
  public CompletionStage<Boolean> ping() {
    return run(con -> Jdbc.first(con, "SELECT 1", List.of(), rs -> true).isPresent());
  }

  public CompletionStage<Optional<ConversationSummary>> conversation(String conversationId) {
    return run(con -> Jdbc.first(con, SELECT + " WHERE conversation_id = ?", List.of(conversationId),
        ReadModelQueries::summary));
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
    String sql = "SELECT status, COUNT(*) AS n FROM sb_conversation WHERE tenant = ?"
        + (teamId == null ? "" : " AND team = ?") + " GROUP BY status";
    List<Object> args = teamId == null ? List.of(tenant) : List.of(tenant, teamId);
    return run(con -> {
      Map<Conversation.Status, Long> counts = new EnumMap<>(Conversation.Status.class);
      for (Conversation.Status s : Conversation.Status.values()) counts.put(s, 0L);
      for (Map.Entry<Conversation.Status, Long> c : Jdbc.query(con, sql, args,
          rs -> Map.entry(Conversation.Status.valueOf(rs.getString("status")), rs.getLong("n")))) {
        counts.put(c.getKey(), c.getValue());
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
    String sql = "SELECT scope, subject, SUM(assignments) AS assignments, SUM(first_responses) AS first_responses, "
        + "SUM(first_response_ms_total) AS first_response_ms_total, "
        + "MAX(first_response_ms_max) AS first_response_ms_max, SUM(reroutes) AS reroutes, SUM(escalations) AS escalations, SUM(resolutions) AS resolutions, "
        + ReadModelSchema.REROUTE_COLUMNS.stream().map(c -> "SUM(" + c + ") AS " + c).collect(Collectors.joining(", "))
        + " FROM sb_routing_stats WHERE "
        + where + " GROUP BY scope, subject ORDER BY subject";
    return Jdbc.query(con, sql, args, rs -> {
      long responses = rs.getLong("first_responses");
      Map<String, Long> byCause = new LinkedHashMap<>();
      for (RerouteCause cause : RerouteCause.values()) {
        byCause.put(cause.codeValue(), rs.getLong(ReadModelSchema.REROUTE_COLUMNS.get(cause.ordinal())));
      }
      return new RoutingStats(rs.getString("scope"), rs.getString("subject"), rs.getLong("assignments"), responses,
          responses == 0 ? null : Duration.ofMillis(rs.getLong("first_response_ms_total") / responses),
          responses == 0 ? null : Duration.ofMillis(rs.getLong("first_response_ms_max")),
          rs.getLong("reroutes"), Collections.unmodifiableMap(byCause), rs.getLong("escalations"),
          rs.getLong("resolutions"));
    });
  }

  private static String page(int limit, int offset) {
    if (limit < 1 || limit > MAX_LIMIT) throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ": " + limit);
    if (offset < 0) throw new IllegalArgumentException("offset must be >= 0: " + offset);
    return " LIMIT " + limit + " OFFSET " + offset;
  }

  private static List<ConversationSummary> select(Connection con, String sql, List<Object> args) throws SQLException {
    return Jdbc.query(con, sql, args, ReadModelQueries::summary);
  }

  private static ConversationSummary summary(ResultSet rs) throws SQLException {
    int[] byCause = new int[ReadModelSchema.REROUTE_COLUMNS.size()];
    for (int i = 0; i < byCause.length; i++) byCause[i] = rs.getInt(ReadModelSchema.REROUTE_COLUMNS.get(i));
    return new ConversationSummary(rs.getString("conversation_id"), rs.getString("tenant"), rs.getString("channel"),
        rs.getString("contact"), rs.getString("team"), Conversation.Status.valueOf(rs.getString("status")),
        rs.getString("agent_id"), rs.getInt("priority"), rs.getString("reason"), rs.getString("escalated_to"),
        rs.getInt("episode"), Jdbc.instant(rs, "opened_at"), Jdbc.instant(rs, "waiting_since"),
        Jdbc.instant(rs, "assigned_at"), Jdbc.instant(rs, "first_response_at"), rs.getInt("reroutes"),
        ConversationRow.byCause(byCause), Jdbc.instant(rs, "updated_at"), rs.getString("routed_by"));
  }

  /** The conversations parked with this supervisor (escalated to it), at most {@link #MAX_LIMIT}. */
  public CompletionStage<List<String>> escalatedTo(String agentId) {
    return run(con -> Jdbc.query(con, "SELECT conversation_id FROM sb_conversation WHERE escalated_to = ? "
        + "AND status = ? ORDER BY conversation_id LIMIT " + MAX_LIMIT,
        List.of(agentId, Conversation.Status.ESCALATED.name()), rs -> rs.getString("conversation_id")));
  }

  /** The wake-up index rows due by {@code until}, earliest first or past {@code after} (the keeper's poll). */
  CompletionStage<List<Wakeups.Due>> dueWakeups(Instant until, Wakeups.Due after, int limit) {
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
      String reason, Instant at) {}

  /** The agent's last live-stream number (0: none yet): where a stream without {@code Last-Event-ID} starts. */
  public CompletionStage<Long> agentFeedHead(String agentId) {
    return run(con -> Jdbc.first(con, "SELECT last_seq FROM sb_agent_stream WHERE agent_id = ?", List.of(agentId),
        rs -> rs.getLong("last_seq")).orElse(0L));
  }

  /** The agent's live-stream lines after {@code afterSeq}, in order, at most {@code limit}. */
  public CompletionStage<List<AgentFeedEvent>> agentFeedAfter(String agentId, long afterSeq, int limit) {
    return run(con -> Jdbc.query(con, "SELECT seq, event_type, conversation_id, team, reason, at "
        + "FROM sb_agent_event WHERE agent_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        List.of(agentId, afterSeq, Math.min(limit, MAX_LIMIT)),
        rs -> new AgentFeedEvent(agentId, rs.getLong("seq"), rs.getString("event_type"),
            rs.getString("conversation_id"), rs.getString("team"), rs.getString("reason"), Jdbc.instant(rs, "at"))));
  }

  private <T> CompletionStage<T> run(Jdbc.Work<T> query) {
    return run(query, true);
  }

  /** On the query dispatcher, a pooled connection of its own in auto-commit. */
  private <T> CompletionStage<T> run(Jdbc.Work<T> query, boolean readOnly) {
    return Jdbc.async(executor, () -> Jdbc.withConnection(dataSource, con -> {
      con.setReadOnly(readOnly);
      con.setAutoCommit(true);
      return query.run(con);
    }));
  }
}

package io.switchboard.persistence.readmodel;

import io.switchboard.conversation.Conversation;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The agents' live-stream log ({@code sb_agent_event}), written by the conversation projection in its
 * transaction. Each agent's rows are numbered 1, 2, 3, ... from {@code sb_agent_stream.last_seq},
 * which the transaction increments and so keeps locked until it commits: two projection instances
 * writing for one agent take numbers in commit order, so a reader that saw {@code n} never sees a
 * smaller number appear later ({@code seq > n} is a complete resumption point). docs/ARCHITECTURE.md,
 * "The agents' live streams".
 */
final class AgentFeed {
  private AgentFeed() {}

  private static final String UNIQUE_VIOLATION = "23505";

  /** One line for one agent, before it is numbered. */
  record Entry(String agentId, String type, String conversationId, String team, String reason, Instant at) {}

  /**
   * What {@code event} tells agents (the same as the live observer: assigned, rerouted, escalated to
   * the former agent and to the supervisor, resolved).
   *
   * @param teamAfter the conversation's team once the event is applied
   */
  static List<Entry> entries(String conversationId, Conversation.Event event, String teamAfter) {
    List<Entry> out = new ArrayList<>(2);
    if (event instanceof Conversation.Assigned e) {
      add(out, e.agentId(), "assigned", conversationId, e.team() != null ? e.team() : teamAfter, null, e.at());
    } else if (event instanceof Conversation.Rerouted e) {
      add(out, e.fromAgent(), "rerouted", conversationId, teamAfter, e.cause(), e.at());
    } else if (event instanceof Conversation.Escalated e) {
      add(out, e.fromAgent(), "escalated", conversationId, e.team(), e.reason(), e.at());
      add(out, e.supervisor(), "escalated", conversationId, e.team(), e.reason(), e.at());
    } else if (event instanceof Conversation.Resolved e) {
      add(out, e.agentId(), "resolved", conversationId, null, e.reason(), e.at());
    }
    return out;
  }

  private static void add(List<Entry> out, String agent, String type, String conv, String team, String reason,
      Instant at) {
    if (agent != null) out.add(new Entry(agent, type, conv, team, reason, at));
  }

  /**
   * Numbers and inserts {@code entries} (in their order per agent), keeping the last {@code kept} rows
   * of each agent; returns the agents written for. Counter rows are locked in agent-id order, so two
   * batches that write for the same agents cannot deadlock.
   */
  static Set<String> write(Connection con, List<Entry> entries, int kept) throws SQLException {
    if (entries.isEmpty()) return Set.of();
    Map<String, List<Entry>> byAgent = new TreeMap<>();
    for (Entry e : entries) byAgent.computeIfAbsent(e.agentId(), a -> new ArrayList<>()).add(e);
    try (PreparedStatement insert = con.prepareStatement("INSERT INTO sb_agent_event (agent_id, seq, event_type, "
        + "conversation_id, team, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)");
         PreparedStatement prune = con.prepareStatement("DELETE FROM sb_agent_event WHERE agent_id = ? AND seq <= ?")) {
      boolean pruning = false;
      for (Map.Entry<String, List<Entry>> a : byAgent.entrySet()) {
        List<Entry> lines = a.getValue();
        long last = advance(con, a.getKey(), lines.size());
        long seq = last - lines.size();
        for (Entry e : lines) {
          insert.setString(1, e.agentId());
          insert.setLong(2, ++seq);
          insert.setString(3, e.type());
          insert.setString(4, e.conversationId());
          insert.setString(5, e.team());
          insert.setString(6, e.reason());
          ConversationProjectionHandler.timestamp(insert, 7, e.at());
          insert.addBatch();
        }
        if (last > kept) {
          prune.setString(1, a.getKey());
          prune.setLong(2, last - kept);
          prune.addBatch();
          pruning = true;
        }
      }
      insert.executeBatch();
      if (pruning) prune.executeBatch();
    }
    return byAgent.keySet();
  }

  /** Adds {@code n} to the agent's counter (locking its row until commit); returns the new last number. */
  private static long advance(Connection con, String agentId, int n) throws SQLException {
    if (increment(con, agentId, n)) return lastSeq(con, agentId);
    // the agent's first line: a concurrent first insert by another instance waits for it, then is a repeat
    Savepoint before = con.setSavepoint();
    try (PreparedStatement ps = con.prepareStatement(
        "INSERT INTO sb_agent_stream (agent_id, last_seq) VALUES (?, ?)")) {
      ps.setString(1, agentId);
      ps.setLong(2, n);
      ps.executeUpdate();
      con.releaseSavepoint(before);
      return n;
    } catch (SQLException e) {
      if (!UNIQUE_VIOLATION.equals(e.getSQLState())) throw e;
      con.rollback(before);
      if (!increment(con, agentId, n)) throw e;
      return lastSeq(con, agentId);
    }
  }

  private static boolean increment(Connection con, String agentId, int n) throws SQLException {
    try (PreparedStatement ps = con.prepareStatement(
        "UPDATE sb_agent_stream SET last_seq = last_seq + ? WHERE agent_id = ?")) {
      ps.setLong(1, n);
      ps.setString(2, agentId);
      return ps.executeUpdate() == 1;
    }
  }

  private static long lastSeq(Connection con, String agentId) throws SQLException {
    try (PreparedStatement ps = con.prepareStatement("SELECT last_seq FROM sb_agent_stream WHERE agent_id = ?")) {
      ps.setString(1, agentId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) throw new SQLException("no sb_agent_stream row for " + agentId);
        return rs.getLong(1);
      }
    }
  }
}

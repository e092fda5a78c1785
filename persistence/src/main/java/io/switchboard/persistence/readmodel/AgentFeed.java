package io.switchboard.persistence.readmodel;

import io.switchboard.conversation.Conversation;
import io.switchboard.persistence.jdbc.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
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
  private static final String INCREMENT = "UPDATE sb_agent_stream SET last_seq = last_seq + ? WHERE agent_id = ?";

  /** One line for one agent, before it is numbered. */
  record Entry(String agentId, String type, String conversationId, String team, String reason, Instant at) {}

  /** A line with its number. */
  private record Numbered(Entry entry, long seq) {}

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
    // every agent's numbers first (each counter locked in agent-id order), then the lines and the pruning as batches
    Map<String, Long> lastSeqs = advance(con, byAgent);
    List<Numbered> lines = new ArrayList<>(entries.size());
    Map<String, Long> pruneUpTo = new TreeMap<>();
    for (Map.Entry<String, List<Entry>> a : byAgent.entrySet()) {
      long last = lastSeqs.get(a.getKey());
      long seq = last - a.getValue().size();
      for (Entry e : a.getValue()) lines.add(new Numbered(e, ++seq));
      if (last > kept) pruneUpTo.put(a.getKey(), last - kept);
    }
    Jdbc.batch(con, "INSERT INTO sb_agent_event (agent_id, seq, event_type, conversation_id, team, reason, at) "
        + "VALUES (?, ?, ?, ?, ?, ?, ?)", lines, (a, n) -> a.string(n.entry().agentId()).number(n.seq())
        .string(n.entry().type()).string(n.entry().conversationId()).string(n.entry().team())
        .string(n.entry().reason()).instant(n.entry().at()));
    Jdbc.batch(con, "DELETE FROM sb_agent_event WHERE agent_id = ? AND seq <= ?", pruneUpTo.entrySet(),
        (a, p) -> a.string(p.getKey()).number(p.getValue()));
    return byAgent.keySet();
  }

  /**
   * Adds each agent's line count to its counter (locking the rows until commit, in agent-id order: the
   * map's); returns each agent's new last number. The increments go as one JDBC batch and the numbers
   * come back in one query (two round trips for the batch, where two per agent were taken before); an
   * agent without a counter yet gets its row inserted.
   */
  private static Map<String, Long> advance(Connection con, Map<String, List<Entry>> byAgent) throws SQLException {
    List<String> agents = new ArrayList<>(byAgent.keySet());
    int[] counts;
    try (PreparedStatement ps = con.prepareStatement(INCREMENT)) {
      for (String agent : agents) {
        Jdbc.args(ps).number(byAgent.get(agent).size()).string(agent);
        ps.addBatch();
      }
      counts = ps.executeBatch();
    }
    Map<String, Long> last = new TreeMap<>();
    List<String> incremented = new ArrayList<>(agents.size());
    for (int i = 0; i < agents.size(); i++) {
      // the driver counts each UPDATE of a batch (0: no counter row yet)
      if (counts[i] == 0) last.put(agents.get(i), first(con, agents.get(i), byAgent.get(agents.get(i)).size()));
      else incremented.add(agents.get(i));
    }
    if (incremented.isEmpty()) return last;
    String sql = "SELECT agent_id, last_seq FROM sb_agent_stream WHERE agent_id IN ("
        + String.join(", ", Collections.nCopies(incremented.size(), "?")) + ")";
    for (Map.Entry<String, Long> row : Jdbc.query(con, sql, incremented,
        rs -> Map.entry(rs.getString("agent_id"), rs.getLong("last_seq")))) {
      last.put(row.getKey(), row.getValue());
    }
    if (last.size() < agents.size()) throw new SQLException("sb_agent_stream rows missing for some of " + agents);
    return last;
  }

  /** The agent's first lines: its counter row inserted; returns the new last number. */
  private static long first(Connection con, String agentId, int n) throws SQLException {
    // a concurrent first insert by another instance waits for it, then is a repeat
    Savepoint before = con.setSavepoint();
    try {
      Jdbc.update(con, "INSERT INTO sb_agent_stream (agent_id, last_seq) VALUES (?, ?)",
          a -> a.string(agentId).number(n));
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
    return Jdbc.update(con, INCREMENT, a -> a.number(n).string(agentId)) == 1;
  }

  private static long lastSeq(Connection con, String agentId) throws SQLException {
    return Jdbc.first(con, "SELECT last_seq FROM sb_agent_stream WHERE agent_id = ?", List.of(agentId),
        rs -> rs.getLong("last_seq")).orElseThrow(() -> new SQLException("no sb_agent_stream row for " + agentId));
  }
}

package io.switchboard.team;

import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentStatus;
import io.switchboard.routing.Candidate;
import io.switchboard.routing.RoutingRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A team's offers in flight, the rounds its agents accepted a moment ago, and its round-robin cursor:
 * soft state of one team incarnation, never persisted (an offer lost with a restart is re-requested by
 * its conversation; the cursor is taken again from the members' last assignments, {@link #resumeAfter}).
 * Pure: the team passes the time in, so it is tested without actors. One per running team.
 */
final class OfferBook {

  /**
   * An offer in flight; it counts against the agent's room until answered or two redelivery intervals pass.
   *
   * @param probe made for a {@link Team.ProbeAgent}: a decline is answered with another probe's answer, never a
   *     queue entry
   * @param first the offer's time as sent to the agent ({@link Agent.Offer#offeredAt}), kept when it is re-sent
   */
  record Offered(int attempt, String agentId, String channel, Instant at, boolean probe, Instant first) {}

  private record Accepted(int attempt, Instant at) {}

  private final Map<String, Offered> offered = new HashMap<>();
  /** Rounds an agent accepted in the last two redelivery intervals, oldest first. */
  private final LinkedHashMap<String, Accepted> acceptedRecently = new LinkedHashMap<>();
  /** How long an offer counts as in flight (two redelivery intervals), computed once: it is read per pick. */
  private final Duration fresh;
  private final Duration redeliveryInterval;
  /** An offer nobody asked about for this long is forgotten (the queue-check interval). */
  private final Duration staleAfter;
  private Instant nextPrune = Instant.MIN;
  private String cursor;
  /** The time of this team's latest offer (see {@link Agent.Offer#offeredAt}). */
  private Instant lastOfferAt = Instant.MIN;

  OfferBook(Duration redeliveryInterval, Duration queueCheckInterval) {
    this.fresh = redeliveryInterval.multipliedBy(2);
    this.redeliveryInterval = redeliveryInterval;
    this.staleAfter = queueCheckInterval;
  }

  /** The offer in flight for {@code conversationId}, or null. */
  Offered offered(String conversationId) {
    return offered.get(conversationId);
  }

  boolean fresh(Offered o, Instant now) {
    return o.at().plus(fresh).isAfter(now);
  }

  /**
   * Whether an agent accepted round {@code attempt} of {@code conversationId} in the last two redelivery
   * intervals (its AssignTo is then on the way, re-sent by the agent until answered).
   */
  boolean acceptedRecently(String conversationId, int attempt, Instant now) {
    Instant before = now.minus(fresh);
    var it = acceptedRecently.values().iterator();
    while (it.hasNext() && it.next().at().isBefore(before)) it.remove();
    Accepted accepted = acceptedRecently.get(conversationId);
    return accepted != null && accepted.attempt() == attempt;
  }

  /** The agent accepted round {@code attempt}: the offer is answered (a stale acceptance changes nothing). */
  void accepted(String conversationId, int attempt, Instant now) {
    Offered o = offered.get(conversationId);
    if (o != null && o.attempt() == attempt) {
      offered.remove(conversationId);
      acceptedRecently.remove(conversationId); // put again below: the map stays oldest first
      acceptedRecently.put(conversationId, new Accepted(attempt, now));
    }
  }

  /** The agent declined: the offer it answers, now forgotten, or null when a newer offer or round superseded it. */
  Offered declined(String conversationId, int attempt, String agentId) {
    Offered o = offered.get(conversationId);
    if (o == null || o.attempt() != attempt || !o.agentId().equals(agentId)) return null;
    offered.remove(conversationId);
    return o;
  }

  /** The conversation no longer waits in this team. */
  void withdrawn(String conversationId) {
    offered.remove(conversationId);
    acceptedRecently.remove(conversationId);
  }

  /**
   * Whether the offer {@code o} of {@code conversationId} should be sent again (it is no longer fresh); if so
   * it counts as in flight again from {@code now}.
   */
  boolean resendDue(String conversationId, Offered o, Instant now) {
    if (fresh(o, now)) return false;
    offered.put(conversationId, new Offered(o.attempt(), o.agentId(), o.channel(), now, o.probe(), o.first()));
    return true;
  }

  /**
   * Records an offer of {@code req} to {@code agent} and moves the cursor to it (unless it is the request's
   * preferred agent, who is not the round robin's turn). Answers the offer's time to send: strictly later than
   * every earlier offer of this team, because agents store it as their last assignment.
   */
  Instant record(RoutingRequest req, String agent, Instant now, boolean probe) {
    lastOfferAt = now.isAfter(lastOfferAt) ? now : lastOfferAt.plusNanos(1);
    offered.put(req.conversationId(), new Offered(req.attempt(), agent, req.channel(), now, probe, lastOfferAt));
    if (!agent.equals(req.need().preferredAgent())) cursor = agent;
    return lastOfferAt;
  }

  /** The member offered to last by round robin, or null. */
  String cursor() {
    return cursor;
  }

  /**
   * After a recovery: the round robin continues after the member assigned last (the cursor is not persisted),
   * as the members' statuses tell ({@link AgentStatus#lastAssignedAt}). No member assigned yet: unchanged.
   */
  void resumeAfter(List<String> memberIds, Map<String, AgentStatus> statuses) {
    Instant latest = null;
    for (String a : memberIds) {
      AgentStatus st = statuses.get(a);
      if (st != null && st.lastAssignedAt() != null && (latest == null || st.lastAssignedAt().isAfter(latest))) {
        latest = st.lastAssignedAt();
        cursor = a;
      }
    }
  }

  /**
   * The members to pick from for a conversation on {@code channel}, in member order: their last reported
   * statuses plus the offers still in flight to them, so the team does not offer one agent more than it has
   * room for before the agent answers. An offer that was lost stops counting once it is no longer fresh.
   */
  List<Candidate> candidates(List<String> memberIds, Map<String, AgentStatus> statuses, String channel, Instant now) {
    // An offer nobody asked about for a long time belongs to a conversation that went elsewhere.
    if (!now.isBefore(nextPrune)) { // at most once per redelivery interval: a pick must not scan twice
      Instant staleBefore = now.minus(staleAfter);
      offered.values().removeIf(o -> o.at().isBefore(staleBefore));
      nextPrune = now.plus(redeliveryInterval);
    }
    Map<String, Integer> inFlight = new HashMap<>();
    for (Offered o : offered.values()) {
      if (fresh(o, now) && o.channel().equals(channel)) inFlight.merge(o.agentId(), 1, Integer::sum);
    }
    List<Candidate> candidates = new ArrayList<>(memberIds.size());
    for (String a : memberIds) {
      AgentStatus st = statuses.get(a);
      if (st == null) continue;
      Candidate c = st.candidateFor(channel);
      int pending = inFlight.getOrDefault(a, 0);
      candidates.add(pending == 0 ? c : new Candidate(c.agentId(), c.presence(), c.load() + pending, c.capacity(),
          c.totalOpen() + pending, now, c.skills(), c.languages()));
    }
    return candidates;
  }
}

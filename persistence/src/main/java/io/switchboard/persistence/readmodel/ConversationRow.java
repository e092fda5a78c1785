package io.switchboard.persistence.readmodel;

import io.switchboard.EntityIds;
import io.switchboard.conversation.Conversation;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.conversation.RerouteCause;
import java.time.Instant;

/**
 * The mutable working copy of one {@code sb_conversation} row inside one projection batch (one
 * thread, never shared). {@link #apply} mirrors {@link Conversation}'s event handler for the fields
 * the read model shows, and reports what each event adds to the team and agent statistics.
 */
final class ConversationRow {
  final String conversationId;
  final String tenant;
  final String channel;
  final String contact;
  String team;
  Status status = Status.NEW;
  String agentId;
  int priority;
  String reason;
  String escalatedTo;
  int episode;
  Instant openedAt;
  Instant waitingSince;
  Instant assignedAt;
  Instant firstResponseAt;
  /** Re-routes of the current episode, every cause (the entity's {@code reroutesTotal}). */
  int reroutes;
  /** The same by cause, by {@link RerouteCause#ordinal()} (other causes only in the total). */
  final int[] reroutesByCause = new int[RerouteCause.values().length];
  Instant updatedAt;
  String routedBy;
  // the durable deadlines as of the last tagged event, and a pending check (see wakeAt)
  Instant replyDeadline;
  Instant idleDeadline;
  Instant stepDeadline;
  Instant serviceWindowClosesAt;
  Instant checkAt;
  /** The sequence number of the last event applied (not a column: the wake-up row's version). */
  long seq;

  ConversationRow(String conversationId) {
    this.conversationId = conversationId;
    this.tenant = EntityIds.tenantOf(conversationId);
    this.channel = EntityIds.channelOf(conversationId);
    this.contact = EntityIds.contactOf(conversationId);
  }

  ConversationSummary summary() {
    return new ConversationSummary(conversationId, tenant, channel, contact, team, status, agentId, priority, reason,
        escalatedTo, episode, openedAt, waitingSince, assignedAt, firstResponseAt, reroutes, byCause(reroutesByCause),
        updatedAt, routedBy);
  }

  /** Counts by {@link RerouteCause#ordinal()} as a map from cause code to count, every cause named. */
  static java.util.Map<String, Integer> byCause(int[] counts) {
    java.util.Map<String, Integer> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < counts.length; i++) m.put(RerouteCause.values()[i].codeValue(), counts[i]);
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * When the conversation must run again, as far as its tagged events tell (docs/ARCHITECTURE.md,
   * "Recovery on demand"): the earliest deadline running in its status; a check {@code checkAfter}
   * into a routing round that is still waiting, or after an agent was released (its release may have
   * been lost with a crash); null when nothing. Untagged events only move deadlines later, so this is
   * never later than the entity's own next deadline.
   */
  Instant wakeAt(java.time.Duration checkAfter) {
    Instant wake = checkAt;
    if (status == Status.WAITING && waitingSince != null) wake = earliest(wake, waitingSince.plus(checkAfter));
    for (Instant d : new Instant[] {
        status == Status.ASSIGNED ? replyDeadline : null,
        status == Status.ASSIGNED ? idleDeadline : null,
        status == Status.ROUTING ? stepDeadline : null,
        status == Status.RESOLVED || status == Status.NEW ? null : serviceWindowClosesAt}) {
      wake = earliest(wake, d);
    }
    return wake;
  }

  private static Instant earliest(Instant a, Instant b) {
    return a == null || (b != null && b.isBefore(a)) ? b : a;
  }

  /**
   * Applies one event of this conversation, adding its effect on the statistics to {@code stats}.
   *
   * @param checkAfter how long after it released an agent the conversation is woken once, in case the
   *     release was lost with a crash
   */
  void apply(Conversation.Event event, long sequenceNr, java.time.Duration checkAfter, StatsDelta stats) {
    seq = sequenceNr;
    String agentBefore = agentId;
    Instant at = applyShown(event, stats);
    if (at == null) return;
    if (checkAt != null && !checkAt.isAfter(at)) checkAt = null; // the check's moment passed with later events
    if (agentBefore != null && !agentBefore.equals(agentId)) checkAt = earliest(checkAt, at.plus(checkAfter));
  }

  /** The event's effect on the shown fields and deadlines; its time, or null when it changes nothing. */
  private Instant applyShown(Conversation.Event event, StatsDelta stats) {
    if (event instanceof Conversation.MessageReceived e) {
      serviceWindowClosesAt = e.serviceWindowClosesAt();
      idleDeadline = null;
      replyDeadline = e.replyDeadline();
      if (!e.opensEpisode()) return e.at();
      waitIn(e.team(), e.at(), "new_message");
      agentId = null;
      assignedAt = null;
      priority = e.hint() == null ? 0 : e.hint().priority();
      episode++;
      openedAt = e.at();
      firstResponseAt = null;
      reroutes = 0;
      java.util.Arrays.fill(reroutesByCause, 0);
      routedBy = null;
      stepDeadline = null;
      updatedAt = e.at();
    } else if (event instanceof Conversation.Assigned e) {
      status = Status.ASSIGNED;
      agentId = e.agentId();
      if (e.team() != null) team = e.team();
      assignedAt = e.at();
      reason = null;
      escalatedTo = null;
      replyDeadline = e.replyDeadline();
      idleDeadline = e.idleDeadline();
      updatedAt = e.at();
      stats.assignment(team, agentId);
    } else if (event instanceof Conversation.AgentReplied e) {
      replyDeadline = null;
      idleDeadline = e.idleDeadline();
      if (!e.firstOfAssignment() || firstResponseAt != null || openedAt == null) return e.at();
      firstResponseAt = e.at();
      updatedAt = e.at();
      stats.firstResponse(team, e.agentId(), Math.max(0, java.time.Duration.between(openedAt, e.at()).toMillis()));
    } else if (event instanceof Conversation.Rerouted e) {
      stats.reroute(team, e.fromAgent(), e.cause());
      unassign();
      waitIn(team, e.at(), e.cause());
      reroutes++;
      RerouteCause known = RerouteCause.of(e.cause());
      int cause = known == null ? -1 : known.ordinal();
      if (cause >= 0) reroutesByCause[cause]++;
      updatedAt = e.at();
    } else if (event instanceof Conversation.Escalated e) {
      stats.escalation(team, e.fromAgent());
      unassign();
      if (e.team() != null) {
        waitIn(e.team(), e.at(), e.reason());
      } else {
        status = Status.ESCALATED;
        escalatedTo = e.supervisor();
        reason = e.reason();
      }
      updatedAt = e.at();
    } else if (event instanceof Conversation.Overflowed e) {
      waitIn(e.toTeam(), e.at(), e.reason());
      updatedAt = e.at();
    } else if (event instanceof Conversation.TransferredToTeam e) {
      unassign();
      waitIn(e.toTeam(), e.at(), "transferred by " + e.requestedBy());
      updatedAt = e.at();
    } else if (event instanceof Conversation.StepStarted e) {
      status = Status.ROUTING;
      priority = e.priority();
      reason = e.reason();
      stepDeadline = e.deadline();
      updatedAt = e.at();
    } else if (event instanceof Conversation.RulesDecided e) {
      if (status == Status.ROUTING && e.team() != null) waitIn(e.team(), e.at(), e.reason());
      else if (status == Status.ROUTING) status = Status.ESCALATED;
      priority = e.priority();
      reason = e.reason();
      routedBy = e.reason();
      stepDeadline = null;
      updatedAt = e.at();
    } else if (event instanceof Conversation.Resolved e) {
      stats.resolution(team, agentId != null ? agentId : e.agentId());
      unassign();
      status = Status.RESOLVED;
      reason = e.reason();
      escalatedTo = null;
      updatedAt = e.at();
    } else {
      // TransferRequested, PolicyLearned, ServiceWindowClosed, step progress: untagged, nothing shown here
      return null;
    }
    return updatedAt;
  }

  private void unassign() {
    agentId = null;
    assignedAt = null;
    replyDeadline = null;
    idleDeadline = null;
  }

  private void waitIn(String toTeam, Instant at, String why) {
    status = Status.WAITING;
    team = toTeam;
    waitingSince = at;
    reason = why;
    escalatedTo = null;
  }
}

package io.switchboard.persistence.readmodel;

import io.switchboard.EntityIds;
import io.switchboard.conversation.Conversation;
import io.switchboard.conversation.Conversation.Status;
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
  int reroutes;
  Instant updatedAt;
  String routedBy;

  ConversationRow(String conversationId) {
    this.conversationId = conversationId;
    this.tenant = EntityIds.tenantOf(conversationId);
    this.channel = EntityIds.channelOf(conversationId);
    this.contact = conversationId.substring(conversationId.indexOf(':', conversationId.indexOf('/')) + 1);
  }

  ConversationSummary summary() {
    return new ConversationSummary(conversationId, tenant, channel, contact, team, status, agentId, priority, reason,
        escalatedTo, episode, openedAt, waitingSince, assignedAt, firstResponseAt, reroutes, updatedAt, routedBy);
  }

  /** Applies one event of this conversation, adding its effect on the statistics to {@code stats}. */
  void apply(Conversation.Event event, StatsDelta stats) {
    if (event instanceof Conversation.MessageReceived e) {
      if (!e.opensEpisode()) return;
      waitIn(e.team(), e.at(), "new_message");
      agentId = null;
      assignedAt = null;
      priority = e.hint() == null ? 0 : e.hint().priority();
      episode++;
      openedAt = e.at();
      firstResponseAt = null;
      reroutes = 0;
      routedBy = null;
      updatedAt = e.at();
    } else if (event instanceof Conversation.Assigned e) {
      status = Status.ASSIGNED;
      agentId = e.agentId();
      if (e.team() != null) team = e.team();
      assignedAt = e.at();
      reason = null;
      escalatedTo = null;
      updatedAt = e.at();
      stats.assignment(team, agentId);
    } else if (event instanceof Conversation.AgentReplied e) {
      if (!e.firstOfAssignment() || firstResponseAt != null || openedAt == null) return;
      firstResponseAt = e.at();
      updatedAt = e.at();
      stats.firstResponse(team, e.agentId(), Math.max(0, java.time.Duration.between(openedAt, e.at()).toMillis()));
    } else if (event instanceof Conversation.Rerouted e) {
      stats.reroute(team, e.fromAgent());
      unassign();
      waitIn(team, e.at(), e.cause());
      if (e.lapsed()) reroutes++;
      updatedAt = e.at();
    } else if (event instanceof Conversation.Escalated e) {
      stats.escalation(team, e.fromAgent());
      unassign();
      if (e.team() != null) {
        waitIn(e.team(), e.at(), e.reason());
        reroutes = 0;
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
      reroutes = 0;
      updatedAt = e.at();
    } else if (event instanceof Conversation.StepStarted e) {
      status = Status.ROUTING;
      priority = e.priority();
      reason = e.reason();
      updatedAt = e.at();
    } else if (event instanceof Conversation.RulesDecided e) {
      if (status == Status.ROUTING && e.team() != null) waitIn(e.team(), e.at(), e.reason());
      else if (status == Status.ROUTING) status = Status.ESCALATED;
      priority = e.priority();
      reason = e.reason();
      routedBy = e.reason();
      updatedAt = e.at();
    } else if (event instanceof Conversation.Resolved e) {
      stats.resolution(team, agentId != null ? agentId : e.agentId());
      unassign();
      status = Status.RESOLVED;
      reason = e.reason();
      escalatedTo = null;
      updatedAt = e.at();
    }
    // TransferRequested, PolicyLearned, ServiceWindowClosed change nothing shown here (and are untagged).
  }

  private void unassign() {
    agentId = null;
    assignedAt = null;
  }

  private void waitIn(String toTeam, Instant at, String why) {
    status = Status.WAITING;
    team = toTeam;
    waitingSince = at;
    reason = why;
    escalatedTo = null;
  }
}

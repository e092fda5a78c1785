package io.switchboard.persistence.readmodel;

import io.switchboard.conversation.Conversation;
import java.time.Instant;

/**
 * One conversation as the read model shows it: where it is, who has it, since when. Eventually
 * consistent with the entity (a projection applies its events shortly after they are written).
 *
 * @param episode how many times the contact opened it (the current episode's number)
 * @param openedAt when the current episode's first message arrived
 * @param firstResponseAt the first agent reply in the current episode, null while unanswered
 * @param reroutes re-routes in the current episode, every cause (as the entity counts them)
 * @param reroutesByCause the same by cause, every {@code RerouteCause} named
 * @param routedBy which routing rule sent the current episode to its team and why, null without rules
 */
public record ConversationSummary(
    String conversationId,
    String tenant,
    String channel,
    String contact,
    String team,
    Conversation.Status status,
    String agentId,
    int priority,
    String reason,
    String escalatedTo,
    int episode,
    Instant openedAt,
    Instant waitingSince,
    Instant assignedAt,
    Instant firstResponseAt,
    int reroutes,
    java.util.Map<String, Integer> reroutesByCause,
    Instant updatedAt,
    String routedBy) {}

package io.switchboard.persistence.readmodel;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.conversation.Conversation;
import io.switchboard.persistence.outbox.WebhookOutbox;

/**
 * What a tenant's webhook receives for a conversation event: {@code conversation.assigned},
 * {@code .rerouted}, {@code .escalated}, {@code .resolved}, as a JSON object built from the
 * read-model row after the event. Other events send nothing.
 */
final class WebhookEvents {
  private WebhookEvents() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  static String typeOf(Conversation.Event event) {
    if (event instanceof Conversation.Assigned) return "conversation.assigned";
    if (event instanceof Conversation.Rerouted) return "conversation.rerouted";
    if (event instanceof Conversation.Escalated) return "conversation.escalated";
    if (event instanceof Conversation.Resolved) return "conversation.resolved";
    return null;
  }

  /**
   * @param eventId {@code persistenceId:sequenceNr}, the same however often it is delivered
   * @param agentBefore who held the conversation before the event (the agent re-routed, escalated or resolved away from)
   */
  static WebhookOutbox.Entry entry(String eventId, String type, ConversationRow row, String agentBefore) {
    ObjectNode o = JSON.createObjectNode();
    o.put("eventId", eventId);
    o.put("type", type);
    o.put("tenant", row.tenant);
    o.put("conversationId", row.conversationId);
    o.put("channel", row.channel);
    o.put("contact", row.contact);
    o.put("status", row.status.name());
    o.put("team", row.team);
    o.put("agentId", row.agentId);
    o.put("previousAgentId", agentBefore);
    o.put("escalatedTo", row.escalatedTo);
    o.put("reason", row.reason);
    o.put("episode", row.episode);
    o.put("at", row.updatedAt == null ? null : row.updatedAt.toString());
    return new WebhookOutbox.Entry(row.tenant, eventId, type, row.conversationId, o.toString(), row.updatedAt);
  }
}

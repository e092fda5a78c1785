package io.switchboard.persistence.outbox;

import java.time.Instant;

/**
 * One row of {@code sb_webhook_outbox}: an event a tenant's webhook must receive.
 *
 * @param id the outbox's order: a tenant's events are delivered by ascending id
 * @param eventId {@code persistenceId:sequenceNr}, the same every time the event is delivered
 * @param eventType {@code conversation.assigned}, {@code .rerouted}, {@code .escalated} or {@code .resolved}
 * @param payload the JSON object sent as the request body, byte for byte
 * @param attempts failed deliveries so far
 * @param nextAttemptAt when the next delivery may start; null when it may start now
 */
public record OutboxRow(long id, String tenant, String eventId, String eventType, String conversationId,
    String payload, Instant createdAt, int attempts, Instant nextAttemptAt) {

  /** Whether the row may be delivered at {@code now}. */
  public boolean dueAt(Instant now) {
    return nextAttemptAt == null || !nextAttemptAt.isAfter(now);
  }
}

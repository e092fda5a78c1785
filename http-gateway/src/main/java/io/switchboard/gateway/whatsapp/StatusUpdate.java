package io.switchboard.gateway.whatsapp;

import java.time.Instant;
import java.util.Objects;

/**
 * A delivery receipt from {@code value.statuses[]} for a message the business sent. Recorded (for
 * read models and outbound webhooks), never routed: it is not customer input and must not open or
 * restart the customer service window.
 *
 * @param phoneNumberId the business number ({@code value.metadata.phone_number_id})
 * @param id the id of the business's message ({@code wamid...})
 * @param status {@code sent}, {@code delivered}, {@code read}, {@code failed}, or any newer value, verbatim
 * @param recipientId {@code recipient_id} (the phone), else {@code recipient_user_id}; may be null
 * @param timestamp when the status happened
 * @param errors the {@code errors[]} as one line ({@code 131047 Re-engagement message: ...; ...}); null when none
 */
public record StatusUpdate(
    String phoneNumberId, String id, String status, String recipientId, Instant timestamp, String errors) {
  public StatusUpdate {
    Objects.requireNonNull(phoneNumberId, "phoneNumberId");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(timestamp, "timestamp");
  }
}

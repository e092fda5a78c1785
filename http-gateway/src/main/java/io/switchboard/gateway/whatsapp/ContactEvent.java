package io.switchboard.gateway.whatsapp;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What WhatsApp says about a contact that is not a message from it: a {@code system} message in
 * {@code value.messages[]} ({@code user_changed_number}, {@code user_changed_user_id},
 * {@code customer_identity_changed}, ...). Recorded with the contact's conversation as a contact
 * event; never routed, never a customer message, and it does not open the service window (the
 * contact wrote nothing).
 *
 * @param phoneNumberId the business number that received it
 * @param contactId the contact it is about, as for {@link InboundMessage#contactId()} (the old number
 *     when the number changed)
 * @param eventId the system message's id ({@code wamid...}), the deduplication key
 * @param at the system message's timestamp
 * @param kind {@code system.type} verbatim ({@code user_changed_number}, ...); {@code unknown} when absent
 * @param text {@code system.body}, the notice as WhatsApp words it; may be null
 * @param newPhone the contact's new number ({@code system.wa_id} or {@code system.new_wa_id}), else null
 * @param newUserId the contact's new business-scoped user id ({@code system.user_id} or
 *     {@code system.new_user_id}), else null
 * @param fields the scalar members of {@code system} as {@code system.<key>}, as for messages
 */
public record ContactEvent(
    String phoneNumberId,
    String contactId,
    String eventId,
    Instant at,
    String kind,
    String text,
    String newPhone,
    String newUserId,
    Map<String, String> fields) {

  public ContactEvent {
    Objects.requireNonNull(phoneNumberId, "phoneNumberId");
    Objects.requireNonNull(contactId, "contactId");
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(kind, "kind");
    fields = fields == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }
}

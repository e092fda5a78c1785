package io.switchboard.gateway.whatsapp;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One customer message from a WhatsApp webhook ({@code value.messages[]} under
 * {@code field: messages}), flattened to what routing needs. Any message type is accepted, including
 * types this code does not know: {@link #type()} is kept verbatim and {@link #text()} is null.
 *
 * @param phoneNumberId the business number that received it ({@code value.metadata.phone_number_id});
 *     selects the tenant and channel
 * @param contactId who sent it: the phone ({@code from}, a wa_id) when known, else the business-scoped
 *     user id; never null
 * @param contactPhone the {@code from} phone / wa_id; null for a user who shares no phone number
 * @param contactUserId the business-scoped user id ({@code from_user_id}, or the matching contact's
 *     {@code user_id}); null when absent
 * @param contactName {@code profile.name} of the matching {@code value.contacts[]} entry; may be null
 * @param messageId the WhatsApp message id ({@code wamid...}), the deduplication key
 * @param sentAt the message's own timestamp; the 24-hour customer service window counts from it
 * @param type the message type verbatim ({@code text}, {@code image}, {@code interactive}, ...,
 *     {@code unsupported}); {@code unknown} when the payload gave none
 * @param text the best text for routing ({@code text.body}, a reply button or list title, a template
 *     button's text, a reaction emoji, a media caption, a location's name and address, an order's
 *     note, a system notice); null when the message has none. At most
 *     {@link WhatsAppWebhook#MAX_TEXT_CHARS} characters
 * @param fields further facts under flat keys ({@code interactive.id}, {@code button.payload},
 *     {@code reaction.message_id}, {@code media.id}, {@code location.latitude}, {@code context.id},
 *     {@code referral.source_url}, {@code errors.code}, ...; see {@link WhatsAppWebhook}); in body order
 */
public record InboundMessage(
    String phoneNumberId,
    String contactId,
    String contactPhone,
    String contactUserId,
    String contactName,
    String messageId,
    Instant sentAt,
    String type,
    String text,
    Map<String, String> fields) {

  public InboundMessage {
    Objects.requireNonNull(phoneNumberId, "phoneNumberId");
    Objects.requireNonNull(contactId, "contactId");
    Objects.requireNonNull(messageId, "messageId");
    Objects.requireNonNull(sentAt, "sentAt");
    Objects.requireNonNull(type, "type");
    // a copy that keeps body order, which Map.copyOf would not
    fields = fields == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }
}

package io.switchboard.gateway.whatsapp;

import java.util.List;

/**
 * Everything one WhatsApp webhook POST carried, in body order: the customer messages to route, the
 * delivery receipts to record, what WhatsApp said about contacts ({@code system} messages), and the
 * parts that were left out with their reasons.
 */
public record WebhookBatch(List<InboundMessage> messages, List<StatusUpdate> statuses,
    List<ContactEvent> contactEvents, List<Skipped> skipped) {
  public WebhookBatch {
    messages = List.copyOf(messages);
    statuses = List.copyOf(statuses);
    contactEvents = List.copyOf(contactEvents);
    skipped = List.copyOf(skipped);
  }

  public WebhookBatch(List<InboundMessage> messages, List<StatusUpdate> statuses, List<Skipped> skipped) {
    this(messages, statuses, List.of(), skipped);
  }
}

package io.switchboard.gateway.whatsapp;

import java.util.List;

/**
 * Everything one WhatsApp webhook POST carried, in body order: the customer messages to route, the
 * delivery receipts to record, and the parts that were left out with their reasons.
 */
public record WebhookBatch(List<InboundMessage> messages, List<StatusUpdate> statuses, List<Skipped> skipped) {
  public WebhookBatch {
    messages = List.copyOf(messages);
    statuses = List.copyOf(statuses);
    skipped = List.copyOf(skipped);
  }
}

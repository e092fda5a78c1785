package io.switchboard.gateway.whatsapp;

/**
 * The whole WhatsApp webhook body is unusable (not JSON, not an object, not a
 * {@code whatsapp_business_account} notification, no {@code entry} array, too large). The HTTP
 * layer answers it with 400. A bad part inside a usable body never raises this: it is listed in
 * {@link WebhookBatch#skipped()} instead.
 */
public final class MalformedWebhookException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MalformedWebhookException(String message) {
    super(message);
  }

  public MalformedWebhookException(String message, Throwable cause) {
    super(message, cause);
  }
}

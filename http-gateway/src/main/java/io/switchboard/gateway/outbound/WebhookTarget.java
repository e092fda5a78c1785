package io.switchboard.gateway.outbound;

/**
 * Where one tenant's webhook events go and the secret they are signed with.
 *
 * @param url the receiver, {@code http} or {@code https}
 * @param secret the HMAC-SHA256 key of {@code X-Switchboard-Signature-256}
 */
public record WebhookTarget(String url, String secret) {
  public WebhookTarget {
    if (url == null || url.isBlank()) throw new IllegalArgumentException("a webhook target needs a URL");
    if (secret == null || secret.isEmpty()) throw new IllegalArgumentException("a webhook target needs a secret");
  }

  /** Never prints the secret: targets end up in log lines. */
  @Override
  public String toString() {
    return "WebhookTarget[url=" + url + "]";
  }
}

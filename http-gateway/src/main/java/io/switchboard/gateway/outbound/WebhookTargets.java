package io.switchboard.gateway.outbound;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Which webhook, if any, each tenant has configured. The application implements it from the tenant
 * entity; the {@link WebhookDispatcher} asks once per batch of a tenant's events, so a change of URL
 * or secret applies from the next batch.
 */
public interface WebhookTargets {
  /**
   * The tenant's webhook, or empty when it has none (its events are then dropped). The stage should
   * complete within {@code request-timeout} (an ask with a timeout, say); a failed or late answer
   * leaves the events where they are until the next poll.
   */
  CompletionStage<Optional<WebhookTarget>> targetOf(String tenant);
}

package io.switchboard.gateway.outbound;

import io.switchboard.gateway.tenant.TenantDirectory;
import io.switchboard.gateway.tenant.TenantSecrets;
import io.switchboard.gateway.tenant.TenantSettings;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * A tenant's webhook, as this node's copy of the tenant holds it ({@link TenantDirectory}; its entity
 * is asked only when the copy has none), read once per delivery batch; its secret is stored sealed and
 * opened here ({@link TenantSecrets}).
 */
public final class TenantWebhookTargets implements WebhookTargets {
  private final TenantDirectory directory;
  private final TenantSecrets secrets;
  private final Executor executor;

  public TenantWebhookTargets(TenantDirectory directory, TenantSecrets secrets, Executor executor) {
    this.directory = directory;
    this.secrets = secrets;
    this.executor = executor;
  }

  @Override
  public CompletionStage<Optional<WebhookTarget>> targetOf(String tenant) {
    return directory.lookup(tenant)
        .thenApplyAsync(d -> {
          TenantSettings s = d == null ? null : d.settings();
          if (!hasWebhook(s)) return Optional.empty();
          return Optional.of(new WebhookTarget(s.webhookUrl(), secrets.webhookSecret(tenant, s)));
        }, executor);
  }

  /** Whether a tenant of these settings has a webhook (a URL and a secret); null settings have none. */
  public static boolean hasWebhook(TenantSettings s) {
    return s != null && !blank(s.webhookUrl()) && !blank(s.webhookSecret());
  }

  /**
   * Whether this node's copy says, now, that {@code tenant} has no webhook (false when the copy does not know
   * the tenant yet): the read models then write none of its events to the outbox, which the dispatcher would
   * drop. No ask, no wait.
   */
  public static boolean knownWithout(TenantDirectory directory, String tenant) {
    var d = directory.cached(tenant);
    return d != null && !hasWebhook(d.settings());
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}

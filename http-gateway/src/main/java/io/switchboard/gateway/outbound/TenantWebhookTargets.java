package io.switchboard.gateway.outbound;

import io.switchboard.gateway.tenant.Tenant;
import io.switchboard.gateway.tenant.TenantSettings;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** A tenant's webhook, as its {@link Tenant} entity holds it now (asked once per delivery batch). */
public final class TenantWebhookTargets implements WebhookTargets {
  private final ClusterSharding sharding;
  private final Duration timeout;
  private final Executor executor;

  public TenantWebhookTargets(ClusterSharding sharding, Duration timeout, Executor executor) {
    this.sharding = sharding;
    this.timeout = timeout;
    this.executor = executor;
  }

  @Override
  public CompletionStage<Optional<WebhookTarget>> targetOf(String tenant) {
    return sharding.entityRefFor(Tenant.ENTITY_TYPE_KEY, tenant).<Tenant.View>ask(Tenant.Get::new, timeout)
        .thenApplyAsync(v -> {
          TenantSettings s = v.state() == null ? null : v.state().settings();
          if (s == null || blank(s.webhookUrl()) || blank(s.webhookSecret())) return Optional.empty();
          return Optional.of(new WebhookTarget(s.webhookUrl(), s.webhookSecret()));
        }, executor);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}

package io.switchboard.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.gateway.tenant.ApiKeys;
import io.switchboard.gateway.tenant.Tenant;
import io.switchboard.gateway.tenant.TenantSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The provider's admin API ({@code /v1/admin}, admin key only): create or update a tenant, read it
 * (secrets are never shown back, only whether they are set), issue and revoke its API keys (a new
 * key is shown once).
 */
public final class AdminRoutes extends RouteSupport {
  private final Auth auth;
  private final ClusterSharding sharding;
  private final Duration timeout;

  public AdminRoutes(ObjectMapper json, Errors errors, Validation valid, Auth auth, ClusterSharding sharding,
      Duration timeout) {
    super(json, errors, valid);
    this.auth = auth;
    this.sharding = sharding;
    this.timeout = timeout;
  }

  /** A tenant as the admin sees it. */
  public record TenantView(String tenant, String displayName, boolean verifyTokenSet, boolean appSecretSet,
      String webhookUrl, boolean webhookSecretSet, String defaultTeam, Map<String, String> whatsappNumbers,
      List<KeyView> apiKeys) {}

  public record KeyView(String keyId, String label, Instant createdAt) {}

  /** Shown once: the key itself is not stored. */
  public record NewKey(String keyId, String apiKey, String label) {}

  public Route routes() {
    return pathPrefix("admin", () -> auth.admin(() -> pathPrefix("tenants", () ->
        pathPrefix(PathMatchers.segment(), tenant -> {
          valid.tenant(tenant); // every admin path names a tenant the journal can hold
          return concat(
              pathEnd(() -> concat(
                  put(() -> body(Requests.TenantRequest.class, r -> configure(tenant, r))),
                  get(() -> view(tenant)))),
              pathPrefix("api-keys", () -> concat(
                  pathEnd(() -> post(() -> body(Requests.ApiKeyRequest.class, r -> newKey(tenant, r)))),
                  path(PathMatchers.segment(), keyId -> delete(() -> revoke(tenant, valid.id("keyId", keyId)))))));
        }))));
  }

  private CompletionStage<Outcome> ask(String tenant, java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<Outcome>, Tenant.Command> f) {
    return sharding.entityRefFor(Tenant.ENTITY_TYPE_KEY, tenant).ask(f::apply, timeout);
  }

  /**
   * A validated request as the tenant entity's settings (team names become {@code tenant/name} ids), its
   * secrets still in clear: {@code TenantSecrets.protect} seals them before they are sent to the entity.
   */
  public static TenantSettings settingsOf(String tenant, Requests.TenantRequest r, Validation valid) {
    r.validate(valid);
    return new TenantSettings(r.displayName(), r.verifyToken(), r.appSecret(), r.webhookUrl(),
        r.webhookSecret(), r.defaultTeam() == null ? null : EntityIds.teamId(tenant, r.defaultTeam()),
        r.whatsappNumbers() == null ? Map.of() : r.whatsappNumbers().entrySet().stream()
            .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> EntityIds.teamId(tenant, e.getValue()))));
  }

  private Route configure(String tenant, Requests.TenantRequest r) {
    TenantSettings s = auth.secrets().protect(tenant, settingsOf(tenant, r, valid));
    return outcome(ask(tenant, to -> new Tenant.Configure(s, to)), o -> await(auth.directory().refresh(tenant), v ->
        json("created".equals(o.message()) ? StatusCodes.CREATED : StatusCodes.OK, viewOf(v))));
  }

  private Route view(String tenant) {
    return await(auth.tenantView(tenant), v -> v.state() == null
        ? complete(errors.response(StatusCodes.NOT_FOUND, "not_found", "no tenant " + tenant))
        : ok(viewOf(v)));
  }

  private Route newKey(String tenant, Requests.ApiKeyRequest r) {
    r.validate(valid);
    ApiKeys.Generated key = ApiKeys.generate(tenant);
    return outcome(ask(tenant, to -> new Tenant.AddApiKey(key.keyId(), ApiKeys.hash(key.secret()), r.label(), to)),
        o -> afterChange(tenant, () -> json(StatusCodes.CREATED, new NewKey(key.keyId(), key.token(), r.label()))));
  }

  private Route revoke(String tenant, String keyId) {
    return outcome(ask(tenant, to -> new Tenant.RevokeApiKey(keyId, to)),
        o -> afterChange(tenant, () -> complete(StatusCodes.NO_CONTENT)));
  }

  /**
   * Answers once this node's copy of the tenant holds the change (a revoked key is refused here from
   * the next request on); a failure to refresh it changes nothing of the answer: the change is stored,
   * and the copy gets it from the replicas.
   */
  private Route afterChange(String tenant, java.util.function.Supplier<Route> answer) {
    return await(auth.directory().refresh(tenant).exceptionally(failure -> null), v -> answer.get());
  }

  private static TenantView viewOf(Tenant.View v) {
    TenantSettings s = v.state().settings();
    return new TenantView(v.tenantId(), s.displayName(), set(s.verifyToken()), set(s.appSecret()), s.webhookUrl(),
        set(s.webhookSecret()), EntityIds.localName(s.defaultTeam()),
        s.whatsappNumbers().entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey,
            e -> EntityIds.localName(e.getValue()))),
        v.state().apiKeys().values().stream().map(k -> new KeyView(k.keyId(), k.label(), k.createdAt())).toList());
  }

  private static boolean set(String s) {
    return s != null && !s.isEmpty();
  }
}

package io.switchboard.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.gateway.GatewaySettings;
import io.switchboard.gateway.tenant.ApiKeys;
import io.switchboard.gateway.tenant.Tenant;
import io.switchboard.gateway.tenant.TenantData;
import io.switchboard.gateway.tenant.TenantDirectory;
import io.switchboard.gateway.tenant.TenantSecrets;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Who is calling: the provider's admin key ({@code switchboard.gateway.admin-key}) or a tenant's API
 * key ({@code Authorization: Bearer <key>} or {@code X-Api-Key}). A tenant's key reaches only that
 * tenant's resources; anything of another tenant is answered 404, as if it did not exist. Keys and
 * settings are read from this node's copy ({@link TenantDirectory}): no ask on a request whose
 * tenant and key are in it; a key the copy does not hold (issued a moment ago on another node) or a
 * tenant it does not hold yet is asked of the tenant's entity, the authority.
 */
public final class Auth extends RouteSupport {
  private final ClusterSharding sharding;
  private final GatewaySettings settings;
  private final TenantDirectory directory;
  private final TenantSecrets secrets;

  public Auth(ObjectMapper json, Errors errors, Validation valid, ClusterSharding sharding, GatewaySettings settings,
      TenantDirectory directory, TenantSecrets secrets) {
    super(json, errors, valid);
    this.sharding = sharding;
    this.settings = settings;
    this.directory = directory;
    this.secrets = secrets;
  }

  public TenantDirectory directory() {
    return directory;
  }

  /** Seals a tenant's secrets before they are stored and opens them where a signature needs one. */
  public TenantSecrets secrets() {
    return secrets;
  }

  /** The tenant entity's own view (state null when the tenant does not exist), for the admin API. */
  public CompletionStage<Tenant.View> tenantView(String tenant) {
    return sharding.entityRefFor(Tenant.ENTITY_TYPE_KEY, tenant).ask(Tenant.Get::new, settings.askTimeout());
  }

  public Route admin(Supplier<Route> inner) {
    return token(token -> isAdmin(token) ? inner.get() : unauthorized("the admin API needs the provider's admin key"));
  }

  /** The existing tenant {@code tenant} (its settings, keys, rules), for its own key or the admin key. */
  public Route tenant(String tenant, Function<TenantData, Route> inner) {
    valid.tenant(tenant);
    return token(token -> {
      if (isAdmin(token)) return existing(tenant, inner);
      Optional<ApiKeys.Presented> key = ApiKeys.parse(token);
      if (key.isEmpty()) return unauthorized("the API key is not valid");
      if (!key.get().tenant().equals(tenant)) {
        return complete(errors.response(StatusCodes.NOT_FOUND, "not_found", "no tenant " + tenant));
      }
      TenantData cached = directory.cached(tenant);
      if (cached != null && cached.apiKeys().containsKey(key.get().keyId())) {
        return checked(key.get(), cached, inner); // the hot path: no ask
      }
      return await(directory.fetch(tenant), d -> checked(key.get(), d, inner));
    });
  }

  /** The tenant (from this node's copy, else its entity), or 404. */
  public Route existing(String tenant, Function<TenantData, Route> inner) {
    TenantData cached = directory.cached(tenant);
    if (cached != null) return inner.apply(cached);
    return await(directory.fetch(tenant), d -> d == null
        ? complete(errors.response(StatusCodes.NOT_FOUND, "not_found", "no tenant " + tenant))
        : inner.apply(d));
  }

  private Route checked(ApiKeys.Presented key, TenantData d, Function<TenantData, Route> inner) {
    Tenant.ApiKey stored = d == null ? null : d.apiKeys().get(key.keyId());
    if (stored == null || !ApiKeys.matches(key.secret(), stored.secretHash())) {
      return unauthorized("the API key is not valid (revoked, or never issued)");
    }
    return inner.apply(d);
  }

  private Route token(Function<String, Route> inner) {
    return optionalHeaderValueByName("Authorization", authorization ->
        optionalHeaderValueByName("X-Api-Key", apiKey -> {
          String token = authorization.filter(a -> a.regionMatches(true, 0, "Bearer ", 0, 7))
              .map(a -> a.substring(7).trim()).orElse(apiKey.orElse(null));
          if (token == null || token.isEmpty()) {
            return unauthorized("send an API key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'");
          }
          return inner.apply(token);
        }));
  }

  private boolean isAdmin(String token) {
    return settings.adminEnabled() && MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
        settings.adminKey().getBytes(StandardCharsets.UTF_8));
  }

  private Route unauthorized(String message) {
    return complete(errors.response(StatusCodes.UNAUTHORIZED, "unauthorized", message));
  }
}

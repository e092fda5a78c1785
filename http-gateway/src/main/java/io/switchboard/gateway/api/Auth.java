package io.switchboard.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.gateway.GatewaySettings;
import io.switchboard.gateway.tenant.ApiKeys;
import io.switchboard.gateway.tenant.Tenant;
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
 * tenant's resources; anything of another tenant is answered 404, as if it did not exist.
 */
public final class Auth extends RouteSupport {
  private final ClusterSharding sharding;
  private final GatewaySettings settings;

  public Auth(ObjectMapper json, Errors errors, Validation valid, ClusterSharding sharding, GatewaySettings settings) {
    super(json, errors, valid);
    this.sharding = sharding;
    this.settings = settings;
  }

  /** The tenant entity's view (state null when the tenant does not exist). */
  public CompletionStage<Tenant.View> tenantView(String tenant) {
    return sharding.entityRefFor(Tenant.ENTITY_TYPE_KEY, tenant).ask(Tenant.Get::new, settings.askTimeout());
  }

  public Route admin(Supplier<Route> inner) {
    return token(token -> isAdmin(token) ? inner.get() : unauthorized("the admin API needs the provider's admin key"));
  }

  /** The existing tenant {@code tenant} (its settings, keys, rules), for its own key or the admin key. */
  public Route tenant(String tenant, Function<Tenant.State, Route> inner) {
    valid.tenant(tenant);
    return token(token -> {
      if (isAdmin(token)) {
        return await(tenantView(tenant), v -> v.state() == null
            ? complete(errors.response(StatusCodes.NOT_FOUND, "not_found", "no tenant " + tenant))
            : inner.apply(v.state()));
      }
      Optional<ApiKeys.Presented> key = ApiKeys.parse(token);
      if (key.isEmpty()) return unauthorized("the API key is not valid");
      if (!key.get().tenant().equals(tenant)) {
        return complete(errors.response(StatusCodes.NOT_FOUND, "not_found", "no tenant " + tenant));
      }
      return await(tenantView(tenant), v -> {
        Tenant.ApiKey stored = v.state() == null ? null : v.state().apiKeys().get(key.get().keyId());
        if (stored == null || !ApiKeys.matches(key.get().secret(), stored.secretHash())) {
          return unauthorized("the API key is not valid (revoked, or never issued)");
        }
        return inner.apply(v.state());
      });
    });
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

package io.switchboard.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.gateway.tenant.Tenant;
import io.switchboard.gateway.tenant.TenantData;
import io.switchboard.routing.rules.RoutingRules;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/tenants/{t}/rules}: the tenant's routing rules (see {@code examples/rules/README.md}).
 * PUT replaces them whole once they validate against the tenant's configured teams and agents; a
 * refusal lists every error, each naming its rule (400 {@code invalid_rules}), and changes nothing; so
 * does a body that does not read as rules, naming the JSON path ({@code rules[2].when.type: unknown
 * type 'keywordz', expected one of [...]}).
 */
public final class RulesRoutes extends RouteSupport {
  private final Entities entities;
  private final Auth auth;

  public RulesRoutes(ObjectMapper json, Errors errors, Validation valid, Entities entities, Auth auth) {
    super(json, errors, valid);
    this.entities = entities;
    this.auth = auth;
  }

  /** @param data the tenant as the request's authentication read it (this node's copy) */
  public Route routes(String tenant, TenantData data) {
    return path("rules", () -> concat(
        put(() -> body(RoutingRules.class, "invalid_rules", rules -> outcome(entities.tenant(tenant, to -> new Tenant.SetRules(rules, to)),
            o -> await(auth.directory().refresh(tenant).exceptionally(failure -> null), v -> ok(rules))))),
        get(() -> data.rules() == null
            ? complete(errors.response(StatusCodes.NOT_FOUND, "not_found", "tenant " + tenant + " has no routing rules"))
            : ok(data.rules()))));
  }
}

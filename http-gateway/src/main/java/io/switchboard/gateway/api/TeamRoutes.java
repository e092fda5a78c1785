package io.switchboard.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.EntityIds;
import io.switchboard.gateway.tenant.Tenant;
import io.switchboard.persistence.readmodel.ReadModelQueries;
import io.switchboard.routing.EscalationTarget;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/tenants/{t}/teams/{team}}: configure a team (PUT; its members and supervisor must be agents
 * created before, else 422 {@code unknown_agents} naming them), read it with its live queue and
 * members (GET), its waiting pool from the read model ({@code /waiting}); figures of every team
 * ({@code /v1/tenants/{t}/stats/teams}) are in {@link ConversationRoutes}.
 */
public final class TeamRoutes extends RouteSupport {
  private final Entities entities;
  private final ReadModelQueries queries;
  private final java.time.Duration defaultOfflineGrace;

  /** @param defaultOfflineGrace the server-wide offline grace, shown for teams that set none */
  public TeamRoutes(ObjectMapper json, Errors errors, Validation valid, Entities entities, ReadModelQueries queries,
      java.time.Duration defaultOfflineGrace) {
    super(json, errors, valid);
    this.entities = entities;
    this.queries = queries;
    this.defaultOfflineGrace = defaultOfflineGrace;
  }

  public Route routes(String tenant) {
    return pathPrefix("teams", () -> pathPrefix(PathMatchers.segment(), name -> {
      String teamId = EntityIds.teamId(tenant, valid.name("team", name));
      return concat(
          pathEnd(() -> concat(
              put(() -> body(Requests.TeamRequest.class, r -> configure(tenant, teamId, r))),
              get(() -> await(entities.teamView(teamId), v -> v.config() == null
                  ? complete(errors.response(org.apache.pekko.http.javadsl.model.StatusCodes.NOT_FOUND, "not_found",
                      "no team " + name + " (never configured)"))
                  : ok(Views.TeamView.of(v, defaultOfflineGrace)))))),
          path("waiting", () -> get(() -> Paging.page(this, (limit, offset) ->
              await(queries.waitingPool(tenant, teamId, limit, offset),
                  rows -> ok(new Views.Page<>(Views.ConversationRow.of(rows), limit, offset)))))));
    }));
  }

  private Route configure(String tenant, String teamId, Requests.TeamRequest r) {
    TeamConfig config = configOf(tenant, r, valid);
    String name = teamId.substring(tenant.length() + 1);
    // agents are never deleted, so members known now stay known: the check cannot go stale before the write
    return outcome(entities.tenant(tenant, to -> new Tenant.CheckAgents(r.agentNames(), to)),
        checked -> outcome(entities.team(teamId, to -> new Team.Configure(config, to)),
            o -> outcome(entities.tenant(tenant, to -> new Tenant.RecordName("team", name, to)),
                known -> await(entities.teamView(teamId), v -> ok(Views.TeamView.of(v, defaultOfflineGrace))))));
  }

  /** A validated request as the team's configuration (names become {@code tenant/name} ids). */
  public static TeamConfig configOf(String tenant, Requests.TeamRequest r, Validation valid) {
    r.validate(valid);
    String p = tenant + "/";
    EscalationTarget escalation = r.escalation() == null ? null : r.escalation().supervisor() != null
        ? EscalationTarget.supervisor(p + r.escalation().supervisor()) : EscalationTarget.team(p + r.escalation().team());
    TeamConfig config = new TeamConfig(r.members().stream().map(m -> p + m).toList(), r.strategy(), r.replyWindow(),
        r.maxReroutes() == null ? 3 : r.maxReroutes(), escalation, r.queueWait(),
        r.overflowTeam() == null ? null : p + r.overflowTeam(), r.businessHours(), r.idleAutoResolve(),
        Boolean.TRUE.equals(r.rerouteAnsweredOnOffline()), r.offlineGrace(), r.wrapUp());
    return config;
  }
}

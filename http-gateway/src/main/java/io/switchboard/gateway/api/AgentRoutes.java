package io.switchboard.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.agent.Agent;
import io.switchboard.gateway.live.AgentStream;
import io.switchboard.gateway.tenant.Tenant;
import io.switchboard.persistence.readmodel.ReadModelQueries;
import java.util.Optional;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/tenants/{t}/agents/{agent}}: profile (PUT, GET), presence, claims, the agent's open
 * conversations (read model), the end of a wrap-up and its live event stream (Server-Sent Events, {@link AgentStream}:
 * assigned, rerouted, escalated, resolved with their ids, window_closing without; a {@code subscribed}
 * event first, then a keep-alive comment every {@code sse-keep-alive}; {@code Last-Event-ID} resumes
 * after that id, on any node).
 */
public final class AgentRoutes extends RouteSupport {
  private final Entities entities;
  private final ReadModelQueries queries;
  private final AgentStream streams;

  public AgentRoutes(ObjectMapper json, Errors errors, Validation valid, Entities entities, ReadModelQueries queries,
      AgentStream streams) {
    super(json, errors, valid);
    this.entities = entities;
    this.queries = queries;
    this.streams = streams;
  }

  public Route routes(String tenant) {
    return pathPrefix("agents", () -> pathPrefix(PathMatchers.segment(), name -> {
      String agentId = EntityIds.agentId(tenant, valid.name("agent", name));
      return concat(
          pathEnd(() -> concat(
              put(() -> body(Requests.AgentRequest.class, r -> {
                r.validate(valid);
                return outcome(entities.agent(agentId, to -> new Agent.SetProfile(r.profile(), to)),
                    o -> outcome(entities.tenant(tenant, to -> new Tenant.RecordName("agent",
                        name, to)), known -> view(agentId)));
              })),
              get(() -> view(agentId)))),
          path("presence", () -> put(() -> body(Requests.PresenceRequest.class, r -> {
            r.validate();
            return await(entities.tenant(tenant, to -> new Tenant.CheckAgents(java.util.List.of(name), to)),
                known -> !known.ok() && known.is(Outcome.Code.UNKNOWN_AGENTS)
                    ? complete(errors.response(StatusCodes.NOT_FOUND, "agent_not_found", "no agent " + name
                        + " (never created): create it with PUT /v1/tenants/" + tenant + "/agents/" + name + " first"))
                    : !known.ok() ? complete(errors.refusal(known))
                    : outcome(entities.agent(agentId, to -> new Agent.SetPresence(r.presence(), to)),
                        o -> view(agentId)));
          }))),
          path("claims", () -> post(() -> body(Requests.ClaimRequest.class, r -> {
            String conversationId = ConversationRoutes.conversationId(valid, tenant, r.conversation());
            return outcome(entities.agent(agentId, to -> new Agent.Claim(conversationId, to)),
                o -> ok(new Views.Accepted("claimed", r.conversation(), o.message())));
          }))),
          path("conversations", () -> get(() -> await(queries.openConversationsOf(agentId),
              rows -> ok(Views.ConversationRow.of(rows))))),
          path(PathMatchers.segment("conversations").slash(PathMatchers.segment()).slash("wrap-up").slash("end"),
              key -> post(() -> {
                String conversationId = ConversationRoutes.conversationId(valid, tenant, key);
                return outcome(entities.agent(agentId, to -> new Agent.EndWrapUp(conversationId, to)),
                    o -> view(agentId));
              })),
          path("events", () -> get(() -> events(agentId))));
    }));
  }

  /**
   * The agent as its entity sees it; a supervisor's escalations also from the read model, since a
   * conversation announces its escalation only while it runs (it may have passivated, or not started
   * again after a restart).
   */
  private Route view(String agentId) {
    return await(entities.agentView(agentId), v -> await(queries.escalatedTo(agentId),
        parked -> ok(Views.AgentView.of(v, parked))));
  }

  private Route events(String agentId) {
    return optionalHeaderValueByName("Last-Event-ID", last -> {
      Optional<Long> after = last.map(String::trim).filter(v -> !v.isEmpty()).map(AgentRoutes::lastEventId);
      return complete(StatusCodes.OK, streams.of(agentId, after), EventStreamMarshalling.toEventStream());
    });
  }

  private static long lastEventId(String value) {
    long id;
    try {
      id = Long.parseLong(value);
    } catch (NumberFormatException e) {
      id = -1;
    }
    if (id < 0) {
      throw ApiException.badRequest("invalid_last_event_id", "Last-Event-ID must be an id this stream sent (a "
          + "number from 0), not '" + (value.length() > 40 ? value.substring(0, 40) + "..." : value) + "'");
    }
    return id;
  }
}

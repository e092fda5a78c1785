package io.switchboard.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.agent.Agent;
import io.switchboard.gateway.live.AgentEvent;
import io.switchboard.gateway.live.AgentEvents;
import io.switchboard.gateway.tenant.Tenant;
import io.switchboard.persistence.readmodel.ReadModelQueries;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * {@code /v1/tenants/{t}/agents/{agent}}: profile (PUT, GET), presence, claims, the agent's open
 * conversations (read model) and its live event stream (Server-Sent Events: assigned, rerouted,
 * escalated, resolved, window_closing; a {@code subscribed} event first, then a keep-alive comment
 * every {@code sse-keep-alive}). A slow stream client loses its oldest events, never the system's time.
 */
public final class AgentRoutes extends RouteSupport {
  private static final int STREAM_BUFFER = 256;

  private final Entities entities;
  private final ReadModelQueries queries;
  private final ActorRef<AgentEvents.Command> topics;
  private final Duration keepAlive;

  public AgentRoutes(ObjectMapper json, Errors errors, Validation valid, Entities entities, ReadModelQueries queries,
      ActorRef<AgentEvents.Command> topics, Duration keepAlive) {
    super(json, errors, valid);
    this.entities = entities;
    this.queries = queries;
    this.topics = topics;
    this.keepAlive = keepAlive;
  }

  public Route routes(String tenant) {
    return pathPrefix("agents", () -> pathPrefix(PathMatchers.segment(), name -> {
      String agentId = tenant + "/" + valid.name("agent", name);
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
                known -> !known.ok() && "unknown_agents".equals(known.code())
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
    Source<ServerSentEvent, NotUsed> live = ActorSource.<AgentEvent>actorRef(e -> false, e -> Optional.empty(),
            STREAM_BUFFER, OverflowStrategy.dropHead())
        .mapMaterializedValue(ref -> {
          topics.tell(new AgentEvents.Subscribe(agentId, ref));
          return NotUsed.notUsed();
        })
        .map(e -> ServerSentEvent.create(toJson(e), e.type()));
    Source<ServerSentEvent, NotUsed> stream = Source.single(ServerSentEvent.create("{}", "subscribed"))
        .concat(live)
        .keepAlive(keepAlive, ServerSentEvent::heartbeat);
    return complete(StatusCodes.OK, stream, EventStreamMarshalling.toEventStream());
  }

  private String toJson(AgentEvent e) {
    try {
      return json.writeValueAsString(e);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException(ex);
    }
  }
}

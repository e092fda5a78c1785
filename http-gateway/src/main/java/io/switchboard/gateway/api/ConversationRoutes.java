package io.switchboard.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.conversation.Conversation;
import io.switchboard.gateway.Metrics;
import io.switchboard.gateway.tenant.TenantData;
import io.switchboard.persistence.readmodel.ReadModelQueries;
import io.switchboard.routing.RoutingHint;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Messages and conversations of a tenant: the generic inbound endpoint for any channel connector
 * ({@code POST /messages}, 202 only once the message is stored), a conversation's exact state
 * (from its entity), replies, transfers and resolve, lists and counts from the read model, and the
 * routing figures per team and agent ({@code /stats/teams}, {@code /stats/agents}), and the delivery
 * receipts of a message the business sent ({@code /messages/{id}/statuses}).
 */
public final class ConversationRoutes extends RouteSupport {
  private final Entities entities;
  private final ReadModelQueries queries;
  private final Metrics metrics;
  private final Replies replies;
  private final Clock clock;

  /** Sends an accepted agent reply to the contact through the channel connector. */
  public interface Replies {
    CompletionStage<Outcome> send(String tenant, String conversationId, Requests.ReplyRequest reply);
  }

  public ConversationRoutes(ObjectMapper json, Errors errors, Validation valid, Entities entities,
      ReadModelQueries queries, Metrics metrics, Replies replies, Clock clock) {
    super(json, errors, valid);
    this.entities = entities;
    this.queries = queries;
    this.metrics = metrics;
    this.replies = replies;
    this.clock = clock;
  }

  /** {@code channel:contact} within {@code tenant} → the conversation's entity id, or a 400. */
  static String conversationId(Validation valid, String tenant, String key) {
    valid.required("conversation", key);
    int colon = key.indexOf(':');
    if (colon <= 0 || colon == key.length() - 1) {
      throw ApiException.badRequest("invalid_request", "a conversation is named channel:contact, e.g. whatsapp:+5511999999999");
    }
    valid.channel("channel", key.substring(0, colon));
    valid.id("contact", key.substring(colon + 1));
    return EntityIds.conversationId(tenant, key.substring(0, colon), key.substring(colon + 1));
  }

  public Route routes(String tenant, TenantData state) {
    return concat(
        pathPrefix("messages", () -> concat(
            pathEnd(() -> post(() -> body(Requests.InboundRequest.class, r -> inbound(tenant, state, r)))),
            pathPrefix(PathMatchers.segment(), messageId -> path("statuses", () -> get(() -> await(
                queries.statusesOf(tenant, valid.id("messageId", messageId)), list -> ok(list.stream()
                    .map(m -> new Views.StatusView(m.messageId(), m.status(), m.recipient(), m.at(), m.errors()))
                    .toList()))))))),
        pathPrefix("conversations", () -> concat(
            pathEnd(() -> get(() -> list(tenant))),
            path("counts", () -> get(() -> parameterOptional("team", team -> await(
                queries.countByStatus(tenant, team.map(t -> EntityIds.teamId(tenant, valid.name("team", t))).orElse(null)),
                counts -> ok(Views.Counts.of(counts)))))),
            pathPrefix(PathMatchers.segment(), key -> {
              String id = conversationId(valid, tenant, key);
              return concat(
                  pathEnd(() -> get(() -> view(id))),
                  path("replies", () -> post(() -> body(Requests.ReplyRequest.class, r -> reply(tenant, id, key, r)))),
                  path("transfer", () -> post(() -> body(Requests.TransferRequest.class, r -> {
                    r.validate(valid);
                    String p = tenant + "/";
                    return act(id, to -> new Conversation.Transfer(r.toAgent() == null ? null : p + r.toAgent(),
                        r.toTeam() == null ? null : p + r.toTeam(), p + r.requestedBy(), to));
                  }))),
                  path("resolve", () -> post(() -> body(Requests.ResolveRequest.class, r -> {
                    r.validate(valid);
                    return act(id, to -> new Conversation.Resolve(EntityIds.agentId(tenant, r.requestedBy()), to));
                  }))));
            }))),
        pathPrefix("stats", () -> concat(
            path("teams", () -> get(() -> await(queries.stats(tenant, "team"), s -> ok(Views.StatsView.of(s))))),
            path("agents", () -> get(() -> await(queries.stats(tenant, "agent"), s -> ok(Views.StatsView.of(s))))))));
  }

  /**
   * A message from a connector. A new conversation is routed by the tenant's rules when it has some
   * (the request's team, else the tenant's default team, is then only the last resort of a rules set
   * that matched nothing), else to that team. The request's fields become the contact's fields.
   */
  private Route inbound(String tenant, TenantData state, Requests.InboundRequest r) {
    r.validate(valid);
    String id = EntityIds.conversationId(tenant, r.channel(), r.contact());
    String team = r.team() != null ? EntityIds.teamId(tenant, r.team()) : state.settings().defaultTeam();
    RoutingHint hint = new RoutingHint(team, r.priority() == null ? 0 : r.priority(), r.skills(), r.language());
    return outcome(entities.conversationMessage(id, to -> new Conversation.Inbound(r.messageId(), r.text(), hint,
        r.timestamp(), r.team() == null ? state.rules() : null, r.fields(), to)), o -> {
          metrics.messageIn(r.channel(), "api");
          boolean duplicate = o.alreadyAccepted();
          return json(StatusCodes.ACCEPTED, new Views.Accepted(duplicate ? "duplicate" : "accepted",
              r.channel() + ":" + r.contact(), o.message()));
        });
  }

  private Route list(String tenant) {
    return parameterOptional("team", team -> parameterOptional("status", status -> Paging.page(this, (limit, offset) -> {
      Conversation.Status st = status.map(ConversationRoutes::status).orElse(null);
      String teamId = team.map(t -> EntityIds.teamId(tenant, valid.name("team", t))).orElse(null);
      return await(queries.conversations(tenant, teamId, st, limit, offset),
          rows -> ok(new Views.Page<>(Views.ConversationRow.of(rows), limit, offset)));
    })));
  }

  private static Conversation.Status status(String s) {
    try {
      return Conversation.Status.valueOf(s.toUpperCase());
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_request", "status must be one of " + List.of(Conversation.Status.values()));
    }
  }

  private Route view(String id) {
    return await(entities.conversationView(id), v -> v.state().status() == Conversation.Status.NEW
        ? complete(errors.response(StatusCodes.NOT_FOUND, "not_found", "no conversation " + EntityIds.localName(id)))
        : ok(Views.ConversationView.of(v, clock.instant())));
  }

  private Route act(String id, Function<org.apache.pekko.actor.typed.ActorRef<Outcome>, Conversation.Command> command) {
    return outcome(entities.conversation(id, command), o -> view(id));
  }

  /** The conversation accepts the reply (assigned agent, service window) before it goes to the contact. */
  private Route reply(String tenant, String id, String key, Requests.ReplyRequest r) {
    r.validate(valid);
    String agentId = EntityIds.agentId(tenant, r.agent());
    return outcome(entities.conversation(id, to -> new Conversation.AgentReply(agentId, r.text(), r.template() != null,
        to)), accepted -> outcome(replies.send(tenant, id, r),
            sent -> json(StatusCodes.ACCEPTED, new Views.Accepted("sent", key, sent.message()))));
  }
}

package io.switchboard.gateway.api;

import io.switchboard.Outcome;
import io.switchboard.Storable;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.team.Team;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Asks of the routing core's entities, the only place the gateway asks (at the edge), with one timeout.
 * An id the journal cannot hold ({@link Storable}) fails at once with a 400 and never reaches an
 * entity, whose recovery could fail on it; the routes check their ids before, this is the last guard.
 */
public final class Entities {
  private final ClusterSharding sharding;
  private final Duration timeout;

  public Entities(ClusterSharding sharding, Duration timeout) {
    this.sharding = sharding;
    this.timeout = timeout;
  }

  public CompletionStage<Outcome> conversation(String id, Function<ActorRef<Outcome>, Conversation.Command> command) {
    return ask(Conversation.ENTITY_TYPE_KEY, id, command);
  }

  public CompletionStage<Outcome> agent(String id, Function<ActorRef<Outcome>, Agent.Command> command) {
    return ask(Agent.ENTITY_TYPE_KEY, id, command);
  }

  public CompletionStage<Outcome> team(String id, Function<ActorRef<Outcome>, Team.Command> command) {
    return ask(Team.ENTITY_TYPE_KEY, id, command);
  }

  public CompletionStage<Outcome> tenant(String id, Function<ActorRef<Outcome>, io.switchboard.gateway.tenant.Tenant.Command> command) {
    return ask(io.switchboard.gateway.tenant.Tenant.ENTITY_TYPE_KEY, id, command);
  }

  public CompletionStage<Conversation.View> conversationView(String id) {
    return ask(Conversation.ENTITY_TYPE_KEY, id, Conversation.Get::new);
  }

  public CompletionStage<Agent.View> agentView(String id) {
    return ask(Agent.ENTITY_TYPE_KEY, id, Agent.Get::new);
  }

  public CompletionStage<Team.View> teamView(String id) {
    return ask(Team.ENTITY_TYPE_KEY, id, Team.Get::new);
  }

  private <M, R> CompletionStage<R> ask(EntityTypeKey<M> type, String id, Function<ActorRef<R>, M> command) {
    String problem = Storable.problem(id);
    if (problem != null) {
      return CompletableFuture.failedFuture(ApiException.badRequest("invalid_request", "id: " + problem));
    }
    return sharding.entityRefFor(type, id).ask(command::apply, timeout);
  }
}

package io.switchboard.gateway.api;

import io.switchboard.Outcome;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.team.Team;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Asks of the routing core's entities, the only place the gateway asks (at the edge), with one timeout. */
public final class Entities {
  private final ClusterSharding sharding;
  private final Duration timeout;

  public Entities(ClusterSharding sharding, Duration timeout) {
    this.sharding = sharding;
    this.timeout = timeout;
  }

  public CompletionStage<Outcome> conversation(String id, Function<ActorRef<Outcome>, Conversation.Command> command) {
    return sharding.entityRefFor(Conversation.ENTITY_TYPE_KEY, id).ask(command::apply, timeout);
  }

  public CompletionStage<Outcome> agent(String id, Function<ActorRef<Outcome>, Agent.Command> command) {
    return sharding.entityRefFor(Agent.ENTITY_TYPE_KEY, id).ask(command::apply, timeout);
  }

  public CompletionStage<Outcome> team(String id, Function<ActorRef<Outcome>, Team.Command> command) {
    return sharding.entityRefFor(Team.ENTITY_TYPE_KEY, id).ask(command::apply, timeout);
  }

  public CompletionStage<Outcome> tenant(String id, Function<ActorRef<Outcome>, io.switchboard.gateway.tenant.Tenant.Command> command) {
    return sharding.entityRefFor(io.switchboard.gateway.tenant.Tenant.ENTITY_TYPE_KEY, id).ask(command::apply, timeout);
  }

  public CompletionStage<Conversation.View> conversationView(String id) {
    return sharding.entityRefFor(Conversation.ENTITY_TYPE_KEY, id).ask(Conversation.Get::new, timeout);
  }

  public CompletionStage<Agent.View> agentView(String id) {
    return sharding.entityRefFor(Agent.ENTITY_TYPE_KEY, id).ask(Agent.Get::new, timeout);
  }

  public CompletionStage<Team.View> teamView(String id) {
    return sharding.entityRefFor(Team.ENTITY_TYPE_KEY, id).ask(Team.Get::new, timeout);
  }
}

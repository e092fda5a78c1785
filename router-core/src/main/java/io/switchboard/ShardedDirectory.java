package io.switchboard;

import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.team.Team;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** The production {@link Directory}: every message goes through a sharded {@code EntityRef}. */
public final class ShardedDirectory implements Directory {
  private final ClusterSharding sharding;

  public ShardedDirectory(ClusterSharding sharding) {
    this.sharding = sharding;
  }

  @Override
  public void conversation(String conversationId, Conversation.Command command) {
    sharding.entityRefFor(Conversation.ENTITY_TYPE_KEY, conversationId).tell(command);
  }

  @Override
  public void agent(String agentId, Agent.Command command) {
    sharding.entityRefFor(Agent.ENTITY_TYPE_KEY, agentId).tell(command);
  }

  @Override
  public void team(String teamId, Team.Command command) {
    sharding.entityRefFor(Team.ENTITY_TYPE_KEY, teamId).tell(command);
  }
}

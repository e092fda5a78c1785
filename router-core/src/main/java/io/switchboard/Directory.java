package io.switchboard;

import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.team.Team;

/**
 * How entities address each other: by id, with tell only. In production every call goes to a
 * Cluster Sharding {@code EntityRef} ({@link ShardedDirectory}); tests may route to local actors.
 * Delivery is at most once (an entity that stops mid-flight loses its mailbox), so every protocol
 * step that matters is re-sent until acknowledged: see docs/ARCHITECTURE.md.
 */
public interface Directory {
  void conversation(String conversationId, Conversation.Command command);

  void agent(String agentId, Agent.Command command);

  void team(String teamId, Team.Command command);
}

package io.switchboard.agent;

import io.switchboard.CborSerializable;
import io.switchboard.routing.Candidate;
import io.switchboard.routing.Presence;
import java.time.Instant;
import java.util.Map;

/**
 * What an agent tells each of its teams whenever its availability changes (presence, profile,
 * load). Teams keep the latest one per member, never persisted: it is re-announced on demand.
 *
 * @param settling the agent started again a moment ago and takes no offer yet (docs/ARCHITECTURE.md, "One
 *     durable write per routed conversation"): its teams do not pick it, and it announces the end
 */
public record AgentStatus(String agentId, Presence presence, AgentProfile profile, Map<String, Integer> load,
    int totalOpen, Instant lastAssignedAt, boolean settling) implements CborSerializable {

  public AgentStatus(String agentId, Presence presence, AgentProfile profile, Map<String, Integer> load,
      int totalOpen, Instant lastAssignedAt) {
    this(agentId, presence, profile, load, totalOpen, lastAssignedAt, false);
  }

  public Candidate candidateFor(String channel) {
    return new Candidate(agentId, settling && presence == Presence.ONLINE ? Presence.AWAY : presence,
        load.getOrDefault(channel, 0), profile.capacityFor(channel), totalOpen, lastAssignedAt, profile.skills(),
        profile.languages());
  }
}

package io.switchboard.agent;

import io.switchboard.CborSerializable;
import io.switchboard.routing.Candidate;
import io.switchboard.routing.Presence;
import java.time.Instant;
import java.util.Map;

/**
 * What an agent tells each of its teams whenever its availability changes (presence, profile,
 * load). Teams keep the latest one per member, never persisted: it is re-announced on demand.
 */
public record AgentStatus(String agentId, Presence presence, AgentProfile profile, Map<String, Integer> load,
    int totalOpen, Instant lastAssignedAt) implements CborSerializable {

  public Candidate candidateFor(String channel) {
    return new Candidate(agentId, presence, load.getOrDefault(channel, 0), profile.capacityFor(channel), totalOpen,
        lastAssignedAt, profile.skills(), profile.languages());
  }
}

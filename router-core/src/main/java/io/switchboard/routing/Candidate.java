package io.switchboard.routing;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * What a team knows of one member agent at the moment it picks.
 *
 * @param load           open conversations of the agent on the channel being routed
 * @param capacity       maximum open conversations of the agent on that channel
 * @param totalOpen      open conversations of the agent over all channels
 * @param lastAssignedAt last assignment, null if never assigned (counts as idle longest)
 * @param skills         skill to level
 * @param languages      languages spoken; empty means not declared (accepts any)
 */
public record Candidate(String agentId, Presence presence, int load, int capacity, int totalOpen,
                        Instant lastAssignedAt, Map<String, Integer> skills, Set<String> languages) {

  public Candidate {
    skills = skills == null ? Map.of() : Map.copyOf(skills);
    languages = languages == null ? Set.of() : Set.copyOf(languages);
  }

  /** Whether the agent can take one more conversation on the channel being routed. */
  public boolean hasRoom() {
    return load < capacity;
  }
}

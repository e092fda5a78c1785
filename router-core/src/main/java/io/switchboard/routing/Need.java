package io.switchboard.routing;

import java.util.Map;
import java.util.Set;

/**
 * What a conversation needs from the agent it is routed to.
 *
 * @param requiredSkills skill to minimum level
 * @param language       language of the contact, null if unknown
 * @param excludedAgents agents that must not get it (e.g. who just declined or transferred it away)
 * @param preferredAgent previous agent of a returning contact, null if none
 * @param poolOnly no auto-assignment: it waits in the team's pool for a claim (or its preferred agent)
 */
public record Need(String channel, Map<String, Integer> requiredSkills, String language,
                   Set<String> excludedAgents, String preferredAgent, boolean poolOnly) {

  public Need(String channel, Map<String, Integer> requiredSkills, String language, Set<String> excludedAgents,
      String preferredAgent) {
    this(channel, requiredSkills, language, excludedAgents, preferredAgent, false);
  }

  public Need {
    requiredSkills = requiredSkills == null ? Map.of() : Map.copyOf(requiredSkills);
    excludedAgents = excludedAgents == null ? Set.of() : Set.copyOf(excludedAgents);
  }

  /** A need on a channel with no skills, no language, nobody excluded and no preference. */
  public static Need of(String channel) {
    return new Need(channel, Map.of(), null, Set.of(), null);
  }

  public Need withExcluded(Set<String> excluded) {
    return new Need(channel, requiredSkills, language, excluded, preferredAgent, poolOnly);
  }

  public Need withPreferredAgent(String agentId) {
    return new Need(channel, requiredSkills, language, excludedAgents, agentId, poolOnly);
  }
}

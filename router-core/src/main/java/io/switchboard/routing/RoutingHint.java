package io.switchboard.routing;

import io.switchboard.CborSerializable;
import java.util.Map;

/**
 * What the rules (or the channel connector) decided for an inbound message before the team's
 * strategy picks an agent. Null team: keep the conversation's current or previous team.
 */
public record RoutingHint(String team, int priority, Map<String, Integer> requiredSkills, String language)
    implements CborSerializable {
  public RoutingHint {
    requiredSkills = requiredSkills == null ? Map.of() : Map.copyOf(requiredSkills);
  }

  public static RoutingHint toTeam(String team) {
    return new RoutingHint(team, 0, Map.of(), null);
  }
}

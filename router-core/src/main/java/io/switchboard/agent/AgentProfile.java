package io.switchboard.agent;

import io.switchboard.CborSerializable;
import java.util.Map;
import java.util.Set;

/**
 * Who an agent is for routing.
 *
 * @param capacity open conversations allowed at once per channel; key {@code "*"} is the default
 *     for channels not named
 * @param skills skill name to level (higher is better)
 */
public record AgentProfile(Map<String, Integer> capacity, Map<String, Integer> skills, Set<String> languages, Role role)
    implements CborSerializable {

  public enum Role { AGENT, SUPERVISOR }

  public AgentProfile {
    capacity = capacity == null ? Map.of() : Map.copyOf(capacity);
    skills = skills == null ? Map.of() : Map.copyOf(skills);
    languages = languages == null ? Set.of() : Set.copyOf(languages);
    role = role == null ? Role.AGENT : role;
    capacity.forEach((channel, n) -> {
      if (n < 0) throw new IllegalArgumentException("capacity of " + channel + " must be >= 0");
    });
  }

  public static AgentProfile withCapacity(int anyChannel) {
    return new AgentProfile(Map.of("*", anyChannel), Map.of(), Set.of(), Role.AGENT);
  }

  public int capacityFor(String channel) {
    Integer n = capacity.get(channel);
    return n != null ? n : capacity.getOrDefault("*", 0);
  }

  public AgentProfile withCapacity(Map<String, Integer> newCapacity) {
    return new AgentProfile(newCapacity, skills, languages, role);
  }
}

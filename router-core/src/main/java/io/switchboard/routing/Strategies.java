package io.switchboard.routing;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The routing strategies as pure functions of a team's view of its members, so that the team actor
 * only gathers {@link Candidate}s and applies the result, and the choice itself is testable alone.
 * Candidates are always given in the team's member order, which is the last tie-breaker.
 */
public final class Strategies {

  private static final Comparator<Candidate> FEWEST_OPEN = Comparator.comparingInt(Candidate::totalOpen);

  /** Never assigned (null) counts as idle longest. */
  private static final Comparator<Candidate> LONGEST_IDLE =
      Comparator.comparing(Candidate::lastAssignedAt, Comparator.nullsFirst(Comparator.<Instant>naturalOrder()));

  private Strategies() {
  }

  /** Online, with room on the channel, and not excluded from this conversation. */
  public static boolean available(Candidate c, Need need) {
    return c.presence() == Presence.ONLINE && c.hasRoom() && !need.excludedAgents().contains(c.agentId());
  }

  /**
   * Every required skill at its minimum level, and the contact's language if both it and the
   * agent's languages are known (an agent without declared languages is not filtered out).
   */
  public static boolean coversSkills(Candidate c, Need need) {
    boolean skills = need.requiredSkills().entrySet().stream().allMatch(required -> {
      Integer level = c.skills().get(required.getKey());
      return level != null && level >= required.getValue();
    });
    if (!skills || need.language() == null || c.languages().isEmpty()) {
      return skills;
    }
    return c.languages().stream().anyMatch(need.language()::equalsIgnoreCase);
  }

  /**
   * The first available candidate strictly after {@code cursor} in member order, wrapping around, the
   * cursor itself last. A null cursor, or one that is no longer a member, starts from the first.
   */
  public static Optional<String> roundRobin(List<Candidate> candidates, String cursor, Need need) {
    int n = candidates.size();
    int start = 0;
    for (int i = 0; cursor != null && i < n; i++) {
      if (cursor.equals(candidates.get(i).agentId())) {
        start = i + 1;
        break;
      }
    }
    for (int k = 0; k < n; k++) {
      Candidate c = candidates.get((start + k) % n);
      if (available(c, need)) {
        return Optional.of(c.agentId());
      }
    }
    return Optional.empty();
  }

  /** Among available: fewest open conversations, then longest idle, then member order. */
  public static Optional<String> leastBusy(List<Candidate> candidates, Need need) {
    return best(candidates, c -> available(c, need), FEWEST_OPEN.thenComparing(LONGEST_IDLE));
  }

  /**
   * Among available candidates covering the skills: highest sum of levels in the required skills,
   * then fewest open, then longest idle, then member order. Without required skills every score is 0,
   * so this is least-busy among those passing the language rule.
   */
  public static Optional<String> skillBased(List<Candidate> candidates, Need need) {
    Comparator<Candidate> highestLevel = Comparator.comparingLong((Candidate c) -> -score(c, need));
    return best(candidates, c -> available(c, need) && coversSkills(c, need),
        highestLevel.thenComparing(FEWEST_OPEN).thenComparing(LONGEST_IDLE));
  }

  /**
   * The agent for a conversation: its preferred (previous) agent if available (and, for skill-based,
   * still covering the skills), so a returning contact gets the same person; otherwise the team's
   * strategy. {@link StrategyKind#MANUAL} picks nobody: the conversation waits in the pool for a claim.
   */
  public static Optional<String> pick(StrategyKind kind, Need need, List<Candidate> candidates, String rrCursor) {
    if (need.preferredAgent() != null) {
      Optional<Candidate> preferred = candidates.stream()
          .filter(c -> need.preferredAgent().equals(c.agentId()))
          .filter(c -> available(c, need) && (kind != StrategyKind.SKILL_BASED || coversSkills(c, need)))
          .findFirst();
      if (preferred.isPresent()) {
        return preferred.map(Candidate::agentId);
      }
    }
    return switch (kind) {
      case ROUND_ROBIN -> roundRobin(candidates, rrCursor, need);
      case LEAST_BUSY -> leastBusy(candidates, need);
      case SKILL_BASED -> skillBased(candidates, need);
      case MANUAL -> Optional.empty();
    };
  }

  private static long score(Candidate c, Need need) {
    return need.requiredSkills().keySet().stream()
        .mapToLong(skill -> c.skills().getOrDefault(skill, 0))
        .sum();
  }

  /** The eligible candidate ranked first; on a full tie the earlier one in member order. */
  private static Optional<String> best(List<Candidate> candidates, Predicate<Candidate> eligible,
                                       Comparator<Candidate> order) {
    Candidate best = null;
    for (Candidate c : candidates) {
      if (eligible.test(c) && (best == null || order.compare(c, best) < 0)) {
        best = c;
      }
    }
    return Optional.ofNullable(best).map(Candidate::agentId);
  }
}

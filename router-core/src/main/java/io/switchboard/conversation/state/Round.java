package io.switchboard.conversation.state;

import io.switchboard.Canonical;
import io.switchboard.routing.RoutingHint;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the episode is routed and what it needs: the team it waits in and the round ({@code attempt}) of
 * that wait, and what the episode carried into it (priority, skills, language, preferred agent, the
 * agents that lapsed, the teams visited, re-routes). Reset when a new episode opens; a new round
 * ({@link #waitIn}) keeps the rest.
 *
 * @param attempt the current routing round; offers for any other round are refused
 * @param reason why the conversation waits or was escalated, visible to supervisors
 * @param visitedTeams teams this episode has overflowed or escalated to, so it never loops
 * @param poolOnly the rules left this episode in its team's pool: no auto-assignment
 * @param routedBy which rule sent this episode to its team and why (kept once assigned), null without rules
 * @param reroutes lapsed reply windows since the conversation came to its current team this episode:
 *     what the team's {@code maxReroutes} limits
 * @param reroutesByCause re-routes of this episode by cause ({@code RerouteCause#codeValue}), every team
 */
public record Round(String team, int attempt, Instant waitingSince, int priority, Map<String, Integer> requiredSkills,
    String language, String preferredAgent, boolean poolOnly, Set<String> lapsedAgents, Set<String> visitedTeams,
    String reason, String routedBy, int reroutes, Map<String, Integer> reroutesByCause) {

  /** A conversation that never had an episode. */
  public static final Round EMPTY = new Round(null, 0, null, 0, Map.of(), null, null, false, Set.of(), Set.of(), null,
      null, 0, Map.of());

  public Round {
    team = Canonical.of(team); // one instance per team, also when read from the journal
    requiredSkills = requiredSkills == null ? Map.of() : requiredSkills;
    lapsedAgents = lapsedAgents == null ? Set.of() : lapsedAgents;
    visitedTeams = visitedTeams == null ? Set.of() : visitedTeams;
    reroutesByCause = reroutesByCause == null ? Map.of() : reroutesByCause; // snapshots older than the field
  }

  /**
   * A new episode's first round in {@code toTeam}, with the opening message's needs; a returning contact
   * prefers {@code previousAgent}.
   */
  public Round newEpisode(String toTeam, Instant at, RoutingHint hint, String previousAgent) {
    return new Round(toTeam, attempt + 1, at, hint.priority(), hint.requiredSkills(),
        hint.language() != null ? hint.language() : language, previousAgent, false, Set.of(),
        onlyTeam(toTeam), "new_message", null, 0, Map.of());
  }

  /** A new episode's visited teams, its one team: one shared set per team (bounded), not one per episode. */
  private static final ConcurrentHashMap<String, Set<String>> ONE_TEAM = new ConcurrentHashMap<>();

  private static Set<String> onlyTeam(String team) {
    if (team == null) return Set.of();
    Set<String> shared = ONE_TEAM.get(team);
    if (shared != null) return shared;
    return ONE_TEAM.size() < 10_000 ? ONE_TEAM.computeIfAbsent(team, Set::of) : Set.of(team);
  }

  /** Starts a new routing round in {@code toTeam}. */
  public Round waitIn(String toTeam, Instant at, String why) {
    return new Round(toTeam, attempt + 1, at, priority, requiredSkills, language, preferredAgent, poolOnly,
        lapsedAgents, visitedTeams, why, routedBy, reroutes, reroutesByCause);
  }

  /** A new round in another team, remembered as visited; {@code fresh}: its re-routes count from zero. */
  public Round movedTo(String toTeam, Instant at, String why, boolean fresh) {
    Set<String> v = new LinkedHashSet<>(visitedTeams);
    v.add(toTeam);
    return new Round(toTeam, attempt + 1, at, priority, requiredSkills, language, preferredAgent, poolOnly,
        lapsedAgents, Set.copyOf(v), why, routedBy, fresh ? 0 : reroutes, reroutesByCause);
  }

  /** Taken from its agent ({@code cause}), in a new round of the same team; a lapsed agent is excluded. */
  public Round rerouted(String fromAgent, String cause, boolean lapsed, Instant at) {
    Map<String, Integer> byCause = new TreeMap<>(reroutesByCause);
    byCause.merge(cause, 1, Integer::sum);
    Set<String> l = lapsedAgents;
    if (lapsed) {
      Set<String> more = new LinkedHashSet<>(lapsedAgents);
      more.add(fromAgent);
      l = Set.copyOf(more);
    }
    return new Round(team, attempt + 1, at, priority, requiredSkills, language, preferredAgent, poolOnly, l,
        visitedTeams, cause, routedBy, lapsed ? reroutes + 1 : reroutes, Map.copyOf(byCause));
  }

  /** An agent holds it ({@code toTeam}: a claim stays with the current team when null). */
  public Round assigned(String toTeam) {
    return new Round(toTeam != null ? toTeam : team, attempt, waitingSince, priority, requiredSkills, language, null,
        poolOnly, lapsedAgents, visitedTeams, null, routedBy, reroutes, reroutesByCause);
  }

  /** A transfer to an agent is a round of its own: offers of the round before are refused. */
  public Round nextAttempt() {
    return new Round(team, attempt + 1, waitingSince, priority, requiredSkills, language, preferredAgent, poolOnly,
        lapsedAgents, visitedTeams, reason, routedBy, reroutes, reroutesByCause);
  }

  public Round because(String why) {
    return new Round(team, attempt, waitingSince, priority, requiredSkills, language, preferredAgent, poolOnly,
        lapsedAgents, visitedTeams, why, routedBy, reroutes, reroutesByCause);
  }

  public Round withoutPreferredAgent() {
    return new Round(team, attempt, waitingSince, priority, requiredSkills, language, null, poolOnly,
        lapsedAgents, visitedTeams, reason, routedBy, reroutes, reroutesByCause);
  }

  /** A rule step started with {@code newPriority}, {@code why}. */
  public Round stepStarted(int newPriority, String why) {
    return new Round(team, attempt, waitingSince, newPriority, requiredSkills, language, preferredAgent, poolOnly,
        lapsedAgents, visitedTeams, why, routedBy, reroutes, reroutesByCause);
  }

  /**
   * The rules decided ({@code why}): their priority, preferred agent (if any), skills (added to the
   * message's own, the higher level when both name one) and pool-only choice.
   */
  public Round decided(String why, int newPriority, String preferred, Map<String, Integer> skills, boolean pool) {
    Map<String, Integer> need = skills.isEmpty() ? requiredSkills : withSkills(requiredSkills, skills);
    return new Round(team, attempt, waitingSince, newPriority, need, language,
        preferred != null ? preferred : preferredAgent, pool, lapsedAgents, visitedTeams, why, why, reroutes,
        reroutesByCause);
  }

  /** Re-routes of this episode, every cause (what the API calls {@code reroutes}). */
  public int reroutesTotal() {
    return reroutesByCause.values().stream().mapToInt(Integer::intValue).sum();
  }

  /**
   * The message's own required skills with a rule's team action's skills added (a skill both name
   * needs the higher level), so a skill-based team matches agents against both.
   */
  public static Map<String, Integer> withSkills(Map<String, Integer> own, Map<String, Integer> rule) {
    Map<String, Integer> all = new TreeMap<>(own == null ? Map.of() : own);
    rule.forEach((skill, level) -> all.merge(skill, level, Math::max));
    return Map.copyOf(all);
  }
}

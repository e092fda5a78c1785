package io.switchboard.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StrategiesTest {

  private static final Instant T0 = Instant.parse("2024-06-10T09:00:00Z");
  private static final Need CHAT = Need.of("chat");

  private static Candidate online(String id) {
    return new Candidate(id, Presence.ONLINE, 0, 3, 0, null, null, null);
  }

  private static Candidate agent(String id, Presence presence, int load, int capacity, int totalOpen,
                                 Instant lastAssignedAt) {
    return new Candidate(id, presence, load, capacity, totalOpen, lastAssignedAt, null, null);
  }

  private static Candidate skilled(String id, int totalOpen, Map<String, Integer> skills, Set<String> languages) {
    return new Candidate(id, Presence.ONLINE, 0, 3, totalOpen, null, skills, languages);
  }

  private static Need needing(Map<String, Integer> skills, String language) {
    return new Need("chat", skills, language, null, null);
  }

  // round-robin

  @Test
  void roundRobinCyclesInMemberOrderFromTheCursor() {
    List<Candidate> team = List.of(online("a"), online("b"), online("c"));
    assertEquals(Optional.of("b"), Strategies.roundRobin(team, "a", CHAT));
    assertEquals(Optional.of("c"), Strategies.roundRobin(team, "b", CHAT));
    assertEquals(Optional.of("a"), Strategies.roundRobin(team, "c", CHAT));
  }

  @Test
  void roundRobinSkipsAgentsWhoAreAwayOfflineFullOrExcluded() {
    List<Candidate> team = List.of(online("a"),
        agent("b", Presence.AWAY, 0, 3, 0, null),
        agent("c", Presence.OFFLINE, 0, 3, 0, null),
        agent("d", Presence.ONLINE, 3, 3, 3, null),
        online("e"),
        online("f"));
    Need excludingE = CHAT.withExcluded(Set.of("e"));
    assertEquals(Optional.of("e"), Strategies.roundRobin(team, "a", CHAT));
    assertEquals(Optional.of("f"), Strategies.roundRobin(team, "a", excludingE));
    assertEquals(Optional.of("a"), Strategies.roundRobin(team, "f", excludingE));
  }

  @Test
  void roundRobinGivesTheCursorAgainOnlyWhenNobodyElseIsAvailable() {
    List<Candidate> team = List.of(agent("a", Presence.AWAY, 0, 3, 0, null), online("b"));
    assertEquals(Optional.of("b"), Strategies.roundRobin(team, "b", CHAT));
  }

  @Test
  void roundRobinStartsAtTheFirstWhenTheCursorIsNullOrNoLongerAMember() {
    List<Candidate> team = List.of(online("a"), online("b"));
    assertEquals(Optional.of("a"), Strategies.roundRobin(team, null, CHAT));
    assertEquals(Optional.of("a"), Strategies.roundRobin(team, "gone", CHAT));
  }

  @Test
  void roundRobinSharesThreeThousandPicksExactlyEvenlyAmongThreeAgents() {
    List<Candidate> team = List.of(online("a"), online("b"), online("c"));
    Map<String, Integer> counts = new HashMap<>();
    String cursor = null;
    for (int i = 0; i < 3_000; i++) {
      cursor = Strategies.roundRobin(team, cursor, CHAT).orElseThrow();
      counts.merge(cursor, 1, Integer::sum);
    }
    assertEquals(Map.of("a", 1_000, "b", 1_000, "c", 1_000), counts);
  }

  // least-busy

  @Test
  void leastBusyPicksTheAvailableAgentWithFewestOpenConversations() {
    List<Candidate> team = List.of(
        agent("a", Presence.ONLINE, 2, 3, 2, null),
        agent("b", Presence.ONLINE, 1, 3, 1, T0),
        agent("c", Presence.AWAY, 0, 3, 0, null),
        agent("d", Presence.ONLINE, 1, 3, 3, null));
    assertEquals(Optional.of("b"), Strategies.leastBusy(team, CHAT));
  }

  @Test
  void leastBusyBreaksTiesByLongestIdleWithNeverAssignedFirst() {
    List<Candidate> assigned = List.of(
        agent("a", Presence.ONLINE, 1, 3, 1, T0.plusSeconds(60)),
        agent("b", Presence.ONLINE, 1, 3, 1, T0));
    assertEquals(Optional.of("b"), Strategies.leastBusy(assigned, CHAT));

    List<Candidate> withNewcomer = List.of(
        agent("a", Presence.ONLINE, 1, 3, 1, T0),
        agent("b", Presence.ONLINE, 1, 3, 1, null));
    assertEquals(Optional.of("b"), Strategies.leastBusy(withNewcomer, CHAT));
  }

  @Test
  void leastBusyFallsBackToMemberOrderOnAFullTie() {
    List<Candidate> team = List.of(online("x"), online("y"), online("z"));
    assertEquals(Optional.of("x"), Strategies.leastBusy(team, CHAT));
    assertEquals(Optional.of("y"), Strategies.leastBusy(team, CHAT.withExcluded(Set.of("x"))));
  }

  // skill-based

  @Test
  void skillBasedRequiresEverySkillAtItsMinimumLevel() {
    Need need = needing(Map.of("billing", 3, "spanish-law", 2), null);
    List<Candidate> team = List.of(
        skilled("a", 0, Map.of("billing", 5), null),
        skilled("b", 0, Map.of("billing", 2, "spanish-law", 5), null),
        skilled("c", 5, Map.of("billing", 3, "spanish-law", 2), null));
    assertEquals(Optional.of("c"), Strategies.skillBased(team, need));
    assertEquals(Optional.empty(), Strategies.skillBased(team.subList(0, 2), need));
  }

  @Test
  void skillBasedPrefersHigherLevelThenLeastBusy() {
    Need need = needing(Map.of("billing", 2), null);
    List<Candidate> team = List.of(
        skilled("a", 0, Map.of("billing", 2), null),
        skilled("b", 2, Map.of("billing", 4), null),
        skilled("c", 1, Map.of("billing", 4), null));
    assertEquals(Optional.of("c"), Strategies.skillBased(team, need));
  }

  @Test
  void skillBasedRespectsTheLanguageOfTheContact() {
    Need need = needing(Map.of(), "pt");
    List<Candidate> team = List.of(
        skilled("en", 0, Map.of(), Set.of("en")),
        skilled("pt", 2, Map.of(), Set.of("PT", "es")),
        skilled("undeclared", 1, Map.of(), Set.of()));
    assertEquals(Optional.of("undeclared"), Strategies.skillBased(team, need));
    assertEquals(Optional.of("pt"), Strategies.skillBased(team.subList(0, 2), need));
    assertEquals(Optional.empty(), Strategies.skillBased(team.subList(0, 1), need));
  }

  @Test
  void skillBasedIgnoresAgentsWhoAreNotAvailable() {
    Need need = needing(Map.of("billing", 1), null);
    List<Candidate> team = List.of(
        new Candidate("expert", Presence.AWAY, 0, 3, 0, null, Map.of("billing", 9), null),
        skilled("novice", 2, Map.of("billing", 1), null));
    assertEquals(Optional.of("novice"), Strategies.skillBased(team, need));
  }

  @Test
  void coversSkillsMatchesLanguageCaseInsensitively() {
    Candidate c = skilled("a", 0, Map.of("billing", 3), Set.of("pt-BR"));
    assertTrue(Strategies.coversSkills(c, needing(Map.of("billing", 3), "PT-br")));
    assertFalse(Strategies.coversSkills(c, needing(Map.of("billing", 4), "pt-BR")));
    assertFalse(Strategies.coversSkills(c, needing(Map.of(), "en")));
  }

  // pick

  @Test
  void manualNeverPicks() {
    List<Candidate> team = List.of(online("a"), online("b"));
    assertEquals(Optional.empty(), Strategies.pick(StrategyKind.MANUAL, CHAT, team, null));
  }

  @Test
  void pickDispatchesToTheTeamsStrategy() {
    List<Candidate> team = List.of(
        agent("a", Presence.ONLINE, 2, 3, 2, null),
        agent("b", Presence.ONLINE, 0, 3, 0, null));
    assertEquals(Optional.of("a"), Strategies.pick(StrategyKind.ROUND_ROBIN, CHAT, team, "b"));
    assertEquals(Optional.of("b"), Strategies.pick(StrategyKind.LEAST_BUSY, CHAT, team, "b"));
    assertEquals(Optional.of("b"), Strategies.pick(StrategyKind.SKILL_BASED, CHAT, team, "b"));
  }

  @Test
  void preferredAgentWinsWhenAvailable() {
    List<Candidate> team = List.of(online("a"), agent("prev", Presence.ONLINE, 2, 3, 2, T0), online("c"));
    Need returning = CHAT.withPreferredAgent("prev");
    for (StrategyKind kind : StrategyKind.values()) {
      assertEquals(Optional.of("prev"), Strategies.pick(kind, returning, team, null), kind.name());
    }
  }

  @Test
  void preferredAgentFallsBackToTheStrategyWhenOfflineFullOrExcluded() {
    Need returning = CHAT.withPreferredAgent("prev");
    List<Candidate> offline = List.of(online("a"), agent("prev", Presence.OFFLINE, 0, 3, 0, null));
    List<Candidate> full = List.of(online("a"), agent("prev", Presence.ONLINE, 3, 3, 3, null));
    List<Candidate> present = List.of(online("a"), online("prev"));
    assertEquals(Optional.of("a"), Strategies.pick(StrategyKind.ROUND_ROBIN, returning, offline, null));
    assertEquals(Optional.of("a"), Strategies.pick(StrategyKind.LEAST_BUSY, returning, full, null));
    assertEquals(Optional.of("a"),
        Strategies.pick(StrategyKind.LEAST_BUSY, returning.withExcluded(Set.of("prev")), present, null));
    assertEquals(Optional.of("prev"), Strategies.pick(StrategyKind.LEAST_BUSY, returning, List.of(online("prev")), null));
  }

  @Test
  void preferredAgentMustCoverTheSkillsForSkillBased() {
    Need need = new Need("chat", Map.of("billing", 2), null, null, "prev");
    List<Candidate> team = List.of(
        skilled("prev", 0, Map.of("billing", 1), null),
        skilled("b", 2, Map.of("billing", 2), null));
    assertEquals(Optional.of("b"), Strategies.pick(StrategyKind.SKILL_BASED, need, team, null));
    assertEquals(Optional.of("prev"), Strategies.pick(StrategyKind.LEAST_BUSY, need, team, null));
  }

  @Test
  void noCandidatesGivesNobody() {
    for (StrategyKind kind : StrategyKind.values()) {
      assertEquals(Optional.empty(), Strategies.pick(kind, CHAT.withPreferredAgent("prev"), List.of(), "a"), kind.name());
    }
  }

  @Test
  void nullCollectionsAreNormalizedToEmpty() {
    Candidate c = new Candidate("a", Presence.ONLINE, 0, 1, 0, null, null, null);
    Need n = new Need("chat", null, null, null, null);
    assertTrue(c.skills().isEmpty() && c.languages().isEmpty());
    assertTrue(n.requiredSkills().isEmpty() && n.excludedAgents().isEmpty());
    assertTrue(c.hasRoom());
    assertFalse(new Candidate("a", Presence.ONLINE, 1, 1, 1, null, null, null).hasRoom());
  }
}

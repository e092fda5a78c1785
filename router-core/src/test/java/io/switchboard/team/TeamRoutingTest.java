package io.switchboard.team;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.agent.AgentProfile;
import io.switchboard.agent.AgentStatus;
import io.switchboard.conversation.Conversation;
import io.switchboard.routing.BusinessHours;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.StrategyKind;
import io.switchboard.testkit.Fixture;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** How a team hands out its conversations: queue order, draining, strategies, pool, returning contacts, hours. */
class TeamRoutingTest {
  static final Fixture f = new Fixture();

  static final Duration REPLY_WINDOW = Duration.ofMinutes(5);

  @AfterAll
  static void close() {
    f.close();
  }

  // ---- queue order ----

  @Test
  void waitingQueueServesHigherPriorityFirstThenTheOldest() {
    f.profile("q1/a", AgentProfile.withCapacity(1)); // offline: everything queues
    f.configure("q1/sales", TeamConfig.of(List.of("q1/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    // Contact names sort the other way round from arrival, so only arrival time can explain the order.
    String oldest = Fixture.conv("q1", "z-oldest");
    String newer = Fixture.conv("q1", "a-newer");
    String urgent = Fixture.conv("q1", "m-urgent");
    assertTrue(f.inbound(oldest, "m1", "q1/sales").ok());
    f.advance(Duration.ofSeconds(1));
    assertTrue(f.inbound(newer, "m2", "q1/sales").ok());
    f.advance(Duration.ofSeconds(1));
    assertTrue(f.inbound(urgent, "m3", new RoutingHint("q1/sales", 5, Map.of(), null)).ok());

    f.eventually(() -> assertEquals(List.of(urgent, oldest, newer), queueOf("q1/sales")));

    f.presence("q1/a", Presence.ONLINE); // one free slot
    f.awaitAssigned(urgent, "q1/a");
    f.eventually(() -> assertEquals(List.of(oldest, newer), queueOf("q1/sales")));

    assertTrue(f.resolve(urgent).ok());
    f.awaitAssigned(oldest, "q1/a");
    assertEquals(List.of(newer), queueOf("q1/sales"));
    assertEquals(Conversation.Status.WAITING, f.conversation(newer).state().status());
  }

  // ---- draining ----

  @Test
  void queueDrainsAtOnceWhenAnAgentComesOnline() {
    f.profile("q2/a", AgentProfile.withCapacity(2));
    f.configure("q2/sales", TeamConfig.of(List.of("q2/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    String c1 = Fixture.conv("q2", "1");
    String c2 = Fixture.conv("q2", "2");
    assertTrue(f.inbound(c1, "m1", "q2/sales").ok());
    assertTrue(f.inbound(c2, "m2", "q2/sales").ok());
    f.eventually(() -> assertEquals(2, queueOf("q2/sales").size()));

    f.presence("q2/a", Presence.ONLINE);
    f.awaitAssigned(c1, "q2/a");
    f.awaitAssigned(c2, "q2/a");
    assertTrue(queueOf("q2/sales").isEmpty());
  }

  @Test
  void queueDrainsAtOnceWhenAnAgentsCapacityGrows() {
    f.onlineAgent("q3/a", 1);
    f.configure("q3/sales", TeamConfig.of(List.of("q3/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("q3/sales", "q3/a");
    String c1 = Fixture.conv("q3", "1");
    String c2 = Fixture.conv("q3", "2");
    assertTrue(f.inbound(c1, "m1", "q3/sales").ok());
    f.awaitAssigned(c1, "q3/a");
    assertTrue(f.inbound(c2, "m2", "q3/sales").ok());
    f.awaitQueued("q3/sales", c2, "no_agent_available");

    assertTrue(f.profile("q3/a", AgentProfile.withCapacity(2)).ok());
    f.awaitAssigned(c2, "q3/a");
    assertEquals(Set.of(c1, c2), f.agent("q3/a").state().holds().keySet());
  }

  @Test
  void queueDrainsAtOnceWhenAConversationResolves() {
    f.onlineAgent("q4/a", 1);
    f.configure("q4/sales", TeamConfig.of(List.of("q4/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("q4/sales", "q4/a");
    String c1 = Fixture.conv("q4", "1");
    String c2 = Fixture.conv("q4", "2");
    assertTrue(f.inbound(c1, "m1", "q4/sales").ok());
    f.awaitAssigned(c1, "q4/a");
    assertTrue(f.inbound(c2, "m2", "q4/sales").ok());
    f.awaitQueued("q4/sales", c2, "no_agent_available");

    assertTrue(f.resolve(c1).ok());
    f.awaitAssigned(c2, "q4/a");
    assertEquals(Set.of(c2), f.agent("q4/a").state().holds().keySet());
  }

  // ---- strategies ----

  @Test
  void leastBusyOffersTheAgentWithFewestOpenConversationsThenTheOneIdleLongest() {
    f.onlineAgent("lb/a", 5);
    f.onlineAgent("lb/b", 5);
    // a already holds two conversations of another team.
    f.configure("lb/other", TeamConfig.of(List.of("lb/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("lb/other", "lb/a");
    assertTrue(f.inbound(Fixture.conv("lb", "x1"), "x1", "lb/other").ok());
    assertTrue(f.inbound(Fixture.conv("lb", "x2"), "x2", "lb/other").ok());
    f.awaitAssigned(Fixture.conv("lb", "x1"), "lb/a");
    f.awaitAssigned(Fixture.conv("lb", "x2"), "lb/a");
    f.advance(Duration.ofSeconds(1));

    f.configure("lb/sales", TeamConfig.of(List.of("lb/a", "lb/b"), StrategyKind.LEAST_BUSY, REPLY_WINDOW));
    f.eventually(() -> {
      Map<String, AgentStatus> m = f.team("lb/sales").members();
      assertEquals(2, m.get("lb/a").totalOpen());
      assertEquals(Presence.ONLINE, m.get("lb/b").presence());
    });
    String c1 = Fixture.conv("lb", "1");
    String c2 = Fixture.conv("lb", "2");
    String c3 = Fixture.conv("lb", "3");

    assertTrue(f.inbound(c1, "m1", "lb/sales").ok());
    f.awaitAssigned(c1, "lb/b");
    assertTrue(f.inbound(c2, "m2", "lb/sales").ok());
    f.awaitAssigned(c2, "lb/b");
    // 2 each now: a was assigned longer ago, so a is idle longest.
    assertTrue(f.inbound(c3, "m3", "lb/sales").ok());
    f.awaitAssigned(c3, "lb/a");
  }

  @Test
  void skillBasedOffersTheAgentWithTheBestLevelInTheRequiredSkillsAndWaitsWhenNobodyHasThem() {
    f.profile("sk/novice", new AgentProfile(Map.of("*", 5), Map.of("billing", 1), Set.of(), AgentProfile.Role.AGENT));
    f.profile("sk/expert", new AgentProfile(Map.of("*", 5), Map.of("billing", 3), Set.of(), AgentProfile.Role.AGENT));
    f.profile("sk/other", new AgentProfile(Map.of("*", 5), Map.of(), Set.of(), AgentProfile.Role.AGENT));
    for (String a : List.of("sk/novice", "sk/expert", "sk/other")) f.presence(a, Presence.ONLINE);
    f.configure("sk/sales", TeamConfig.of(List.of("sk/novice", "sk/other", "sk/expert"), StrategyKind.SKILL_BASED,
        REPLY_WINDOW));
    f.awaitOnline("sk/sales", "sk/novice", "sk/expert", "sk/other");

    String billing = Fixture.conv("sk", "billing");
    assertTrue(f.inbound(billing, "m1", new RoutingHint("sk/sales", 0, Map.of("billing", 1), null)).ok());
    f.awaitAssigned(billing, "sk/expert");

    String hardBilling = Fixture.conv("sk", "hard-billing");
    assertTrue(f.inbound(hardBilling, "m2", new RoutingHint("sk/sales", 0, Map.of("billing", 2), null)).ok());
    f.awaitAssigned(hardBilling, "sk/expert");

    String tech = Fixture.conv("sk", "tech");
    assertTrue(f.inbound(tech, "m3", new RoutingHint("sk/sales", 0, Map.of("tech", 1), null)).ok());
    f.awaitQueued("sk/sales", tech, "no_agent_available");

    // Teaching an agent the skill makes the waiting conversation go to them at once.
    assertTrue(f.profile("sk/other",
        new AgentProfile(Map.of("*", 5), Map.of("tech", 2), Set.of(), AgentProfile.Role.AGENT)).ok());
    f.awaitAssigned(tech, "sk/other");
    assertTrue(f.agent("sk/novice").state().holds().isEmpty());
  }

  // ---- manual pool ----

  @Test
  void manualPoolKeepsConversationsWaitingWithAReasonUntilAnAgentClaimsThem() {
    f.onlineAgent("pool/a", 3);
    f.configure("pool/desk", TeamConfig.of(List.of("pool/a"), StrategyKind.MANUAL, REPLY_WINDOW));
    f.awaitOnline("pool/desk", "pool/a");
    String c = Fixture.conv("pool", "1");
    assertTrue(f.inbound(c, "m1", "pool/desk").ok());
    f.awaitQueued("pool/desk", c, "waiting_in_pool");
    f.eventually(() -> assertEquals("waiting_in_pool", f.conversation(c).queueReason()));

    f.advance(Duration.ofMinutes(1));
    Conversation.State s = f.conversation(c).state();
    assertEquals(Conversation.Status.WAITING, s.status(), "nobody is offered a pooled conversation");
    assertNull(s.agentId());
    assertTrue(f.agent("pool/a").state().holds().isEmpty());

    assertTrue(f.claim("pool/a", c).ok());
    f.awaitAssigned(c, "pool/a");
    f.eventually(() -> assertTrue(queueOf("pool/desk").isEmpty()));
  }

  // ---- returning contact ----

  @Test
  void returningContactGoesBackToThePreviousAgentWhenAvailable() {
    f.onlineAgent("ret1/a", 3);
    f.onlineAgent("ret1/b", 3);
    f.configure("ret1/sales", TeamConfig.of(List.of("ret1/a", "ret1/b"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("ret1/sales", "ret1/a", "ret1/b");
    String c = Fixture.conv("ret1", "1");
    assertTrue(f.inbound(c, "m1", "ret1/sales").ok());
    String previous = f.awaitAnyAgent(c);
    assertTrue(f.resolve(c).ok());
    f.eventually(() -> assertTrue(f.agent(previous).state().holds().isEmpty()));

    // Round-robin alone would now pick the other agent.
    assertTrue(f.inbound(c, "m2", RoutingHint.toTeam(null)).ok());
    f.awaitAssigned(c, previous);
    assertEquals(2, f.conversation(c).state().contact().episodes());
  }

  @Test
  void returningContactGoesToTheStrategysChoiceWhenThePreviousAgentIsOffline() {
    f.onlineAgent("ret2/a", 3);
    f.onlineAgent("ret2/b", 3);
    f.configure("ret2/sales", TeamConfig.of(List.of("ret2/a", "ret2/b"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("ret2/sales", "ret2/a", "ret2/b");
    String c = Fixture.conv("ret2", "1");
    assertTrue(f.inbound(c, "m1", "ret2/sales").ok());
    String previous = f.awaitAnyAgent(c);
    String other = previous.equals("ret2/a") ? "ret2/b" : "ret2/a";
    assertTrue(f.resolve(c).ok());
    f.eventually(() -> assertTrue(f.agent(previous).state().holds().isEmpty()));
    f.presence(previous, Presence.OFFLINE);
    f.eventually(() -> assertEquals(Presence.OFFLINE, f.team("ret2/sales").members().get(previous).presence()));

    assertTrue(f.inbound(c, "m2", RoutingHint.toTeam(null)).ok());
    f.awaitAssigned(c, other);
  }

  // ---- transfers ----

  @Test
  void transferToAnotherAgentMovesTheConversationAndFreesTheFirstAgent() {
    f.onlineAgent("tr1/a", 2);
    f.onlineAgent("tr1/b", 2);
    f.configure("tr1/sales", TeamConfig.of(List.of("tr1/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("tr1/sales", "tr1/a");
    String c = Fixture.conv("tr1", "1");
    assertTrue(f.inbound(c, "m1", "tr1/sales").ok());
    f.awaitAssigned(c, "tr1/a");

    assertTrue(f.transferToAgent(c, "tr1/b").ok());
    f.awaitAssigned(c, "tr1/b");
    f.eventually(() -> assertTrue(f.agent("tr1/a").state().holds().isEmpty()));
    assertTrue(f.reply(c, "tr1/b", false).ok());
    assertEquals("not_assigned", f.reply(c, "tr1/a", false).code());
  }

  @Test
  void transferToAnotherTeamRoutesItToThatTeamsAgentAndFreesTheFirstAgent() {
    f.onlineAgent("tr2/a", 2);
    f.onlineAgent("tr2/b", 2);
    f.configure("tr2/sales", TeamConfig.of(List.of("tr2/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.configure("tr2/support", TeamConfig.of(List.of("tr2/b"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("tr2/sales", "tr2/a");
    f.awaitOnline("tr2/support", "tr2/b");
    String c = Fixture.conv("tr2", "1");
    assertTrue(f.inbound(c, "m1", "tr2/sales").ok());
    f.awaitAssigned(c, "tr2/a");

    assertTrue(f.transferToTeam(c, "tr2/support").ok());
    f.awaitAssigned(c, "tr2/b");
    assertEquals("tr2/support", f.conversation(c).state().team());
    f.eventually(() -> assertTrue(f.agent("tr2/a").state().holds().isEmpty()));
  }

  // ---- business hours ----

  @Test
  void closedTeamKeepsConversationsWaitingOutsideBusinessHoursAndDrainsWhenItOpens() {
    Instant opens = startOfTomorrow();
    f.onlineAgent("bh1/a", 2);
    f.configure("bh1/sales", TeamConfig.of(List.of("bh1/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW)
        .withBusinessHours(openAllDayOn(opens)));
    f.awaitOnline("bh1/sales", "bh1/a");
    String c = Fixture.conv("bh1", "1");
    assertTrue(f.inbound(c, "m1", "bh1/sales").ok());
    f.awaitQueued("bh1/sales", c, "outside_business_hours");
    f.eventually(() -> assertEquals("outside_business_hours", f.conversation(c).queueReason()));
    assertTrue(f.agent("bh1/a").state().holds().isEmpty(), "an online agent gets nothing while the team is closed");

    f.advance(Duration.between(f.clock.instant(), opens).minusMinutes(1));
    assertEquals(Conversation.Status.WAITING, f.conversation(c).state().status());
    assertEquals(List.of(c), queueOf("bh1/sales"));

    f.advance(Duration.ofMinutes(1));
    f.awaitAssigned(c, "bh1/a");
    assertTrue(queueOf("bh1/sales").isEmpty());
  }

  @Test
  void closedTeamWithAnOverflowTeamSendsConversationsThereAtOnce() {
    Instant opens = startOfTomorrow();
    f.onlineAgent("bh2/a", 2);
    f.onlineAgent("bh2/night", 2);
    f.configure("bh2/night-shift", TeamConfig.of(List.of("bh2/night"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.configure("bh2/sales", TeamConfig.of(List.of("bh2/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW)
        .withBusinessHours(openAllDayOn(opens))
        .withQueueWait(null, "bh2/night-shift"));
    f.awaitOnline("bh2/night-shift", "bh2/night");
    f.awaitOnline("bh2/sales", "bh2/a");
    String c = Fixture.conv("bh2", "1");

    assertTrue(f.inbound(c, "m1", "bh2/sales").ok());
    f.awaitAssigned(c, "bh2/night");
    assertEquals("bh2/night-shift", f.conversation(c).state().team());
    assertTrue(queueOf("bh2/sales").isEmpty());
    assertTrue(f.agent("bh2/a").state().holds().isEmpty());
  }

  // ---- helpers ----

  /** Midnight UTC after the test clock's current day. */
  private static Instant startOfTomorrow() {
    return f.clock.instant().atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).plusDays(1).toInstant();
  }

  /** Business hours (UTC) open all day on the weekday of {@code day} only: closed until then. */
  private static BusinessHours openAllDayOn(Instant day) {
    DayOfWeek weekday = ZonedDateTime.ofInstant(day, ZoneOffset.UTC).getDayOfWeek();
    BusinessHours hours = new BusinessHours("UTC",
        Map.of(weekday, List.of(new BusinessHours.Shift(LocalTime.MIDNIGHT, LocalTime.MIDNIGHT))));
    assertFalse(hours.isOpen(f.clock.instant()));
    assertEquals(day, hours.nextOpening(f.clock.instant()).orElseThrow());
    return hours;
  }

  // ---- a team that starts again ----

  /**
   * A team stopped (its node died, or a restart) starts again with no round-robin cursor and no member
   * statuses: it waits for every member's status, and continues after the member whose last assignment is
   * the latest. One member stops with it, so its status comes only after it starts again too.
   */
  @Test
  void roundRobinContinuesWhereItStoppedWhenTheTeamStartsAgain() {
    List<String> agents = List.of("rr9/a", "rr9/b", "rr9/c");
    agents.forEach(a -> f.onlineAgent(a, 100));
    f.configure("rr9/t", TeamConfig.of(agents, StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("rr9/t", agents.toArray(String[]::new));
    Map<String, Integer> counts = new java.util.TreeMap<>();
    for (int i = 0; i < 4; i++) assign("rr9", "c" + i, "rr9/t", counts); // a, b, c, a: the cursor is at a
    assertEquals(Map.of("rr9/a", 2, "rr9/b", 1, "rr9/c", 1), counts);
    f.directory.stop(io.switchboard.testkit.LocalDirectory.Kind.AGENT, "rr9/c");
    f.directory.stop(io.switchboard.testkit.LocalDirectory.Kind.TEAM, "rr9/t");
    f.eventually(() -> assertFalse(f.isRunning(io.switchboard.testkit.LocalDirectory.Kind.TEAM, "rr9/t")));
    f.agent("rr9/c"); // started again: it takes offers once its settling is over (docs/ARCHITECTURE.md, grants)
    f.advance(f.settings.grants().settle());
    for (int i = 4; i < 9; i++) assign("rr9", "c" + i, "rr9/t", counts); // b, c, a, b, c
    assertEquals(Map.of("rr9/a", 3, "rr9/b", 3, "rr9/c", 3), counts);
  }

  private static void assign(String tenant, String contact, String team, Map<String, Integer> counts) {
    String c = Fixture.conv(tenant, contact);
    assertTrue(f.inbound(c, "m-" + contact, team).ok());
    counts.merge(f.awaitAnyAgent(c), 1, Integer::sum);
    f.advance(Duration.ofSeconds(1)); // distinct reservation times: the cursor is taken from the latest
  }

  private static List<String> queueOf(String team) {
    return f.team(team).queue().stream().map(e -> e.request().conversationId()).toList();
  }
}

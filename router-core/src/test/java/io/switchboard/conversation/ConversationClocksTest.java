package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Outcome;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.routing.EscalationTarget;
import io.switchboard.routing.Presence;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Fixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The conversation's clocks as a user sees them: reply window, queue wait, service window, idle, offline grace. */
class ConversationClocksTest {
  static final Fixture f = new Fixture();

  static final Duration REPLY_WINDOW = Duration.ofMinutes(5);

  @AfterAll
  static void close() {
    f.close();
  }

  // ---- reply window ----

  @Test
  void silentAgentIsReroutedToTheNextAgentWhenTheReplyWindowEnds() {
    f.onlineAgent("clk1/a", 2);
    f.onlineAgent("clk1/b", 2);
    f.configure("clk1/sales", TeamConfig.of(List.of("clk1/a", "clk1/b"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("clk1/sales", "clk1/a", "clk1/b");
    String c = Fixture.conv("clk1", "111");

    assertTrue(f.inbound(c, "m1", "clk1/sales").ok());
    String first = f.awaitAnyAgent(c);
    String second = first.equals("clk1/a") ? "clk1/b" : "clk1/a";

    f.advance(REPLY_WINDOW.minusSeconds(1));
    Conversation.State before = f.conversation(c).state();
    assertEquals(Conversation.Status.ASSIGNED, before.status());
    assertEquals(first, before.agentId(), "still within the reply window: nobody else gets it");

    f.advance(Duration.ofSeconds(1));
    f.awaitAssigned(c, second);
    Conversation.State after = f.conversation(c).state();
    assertEquals(1, after.round().reroutes());
    assertEquals(Set.of(first), after.round().lapsedAgents());
    f.eventually(() -> assertFalse(f.agent(first).state().holds().containsKey(c),
        "the silent agent no longer holds the conversation"));
  }

  @Test
  void liveObserversHearTheAssignmentAWarningBeforeTheReplyWindowEndsAndTheReroute() {
    f.onlineAgent("obs1/a", 2);
    f.onlineAgent("obs1/b", 2);
    f.configure("obs1/sales", TeamConfig.of(List.of("obs1/a", "obs1/b"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("obs1/sales", "obs1/a", "obs1/b");
    String c = Fixture.conv("obs1", "111");

    assertTrue(f.inbound(c, "m1", "obs1/sales").ok());
    String first = f.awaitAnyAgent(c);
    java.time.Instant deadline = f.conversation(c).state().replyDeadline();
    f.eventually(() -> assertEquals(List.of("assigned " + c + " " + first + " obs1/sales waited PT0S"),
        f.observed.of("assigned " + c)));

    // reply-window-warning is 60 s by default: nothing before, one warning at deadline - 60 s
    f.advance(REPLY_WINDOW.minusSeconds(61));
    assertEquals(List.of(), f.observed.of("closing " + c));
    f.advance(Duration.ofSeconds(1));
    f.eventually(() -> assertEquals(List.of("closing " + c + " " + first + " at " + deadline),
        f.observed.of("closing " + c)));

    f.advance(Duration.ofSeconds(60));
    f.eventually(() -> assertEquals(List.of("rerouted " + c + " from " + first + " reply_window_lapsed"),
        f.observed.of("rerouted " + c)));
  }

  @Test
  void anAnsweredConversationGetsNoReplyWindowWarning() {
    f.onlineAgent("obs2/a", 2);
    f.configure("obs2/sales", TeamConfig.of(List.of("obs2/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("obs2/sales", "obs2/a");
    String c = Fixture.conv("obs2", "222");
    assertTrue(f.inbound(c, "m1", "obs2/sales").ok());
    f.awaitAssigned(c, "obs2/a");
    assertTrue(f.ask(r -> f.directory.conversation(c, new Conversation.AgentReply("obs2/a", "hi", false, r))).ok());
    f.advance(REPLY_WINDOW.plusMinutes(1));
    assertEquals(List.of(), f.observed.of("closing " + c));
    assertEquals(List.of(), f.observed.of("rerouted " + c));
  }

  @Test
  void agentWhoLetTheReplyWindowLapseNeverGetsTheConversationBackSoItWaitsInTheQueue() {
    f.onlineAgent("clk2/a", 2);
    f.onlineAgent("clk2/b", 2);
    f.profile("clk2/c", AgentProfile.withCapacity(2)); // a member who is offline for now
    f.configure("clk2/sales", TeamConfig.of(List.of("clk2/a", "clk2/b", "clk2/c"), StrategyKind.ROUND_ROBIN,
        REPLY_WINDOW).withEscalation(null, 10));
    f.awaitOnline("clk2/sales", "clk2/a", "clk2/b");
    String c = Fixture.conv("clk2", "222");

    assertTrue(f.inbound(c, "m1", "clk2/sales").ok());
    String first = f.awaitAnyAgent(c);
    String second = first.equals("clk2/a") ? "clk2/b" : "clk2/a";
    f.advance(REPLY_WINDOW);
    f.awaitAssigned(c, second);
    f.advance(REPLY_WINDOW);

    f.awaitQueued("clk2/sales", c, "no_agent_available");
    Conversation.State waiting = f.conversation(c).state();
    assertEquals(Conversation.Status.WAITING, waiting.status());
    assertNull(waiting.agentId());
    assertEquals(Set.of("clk2/a", "clk2/b"), waiting.round().lapsedAgents());
    f.eventually(() -> {
      assertTrue(f.agent("clk2/a").state().holds().isEmpty());
      assertTrue(f.agent("clk2/b").state().holds().isEmpty());
    });

    // Both silent agents are online with room, yet time passing does not hand it back to either.
    f.advance(REPLY_WINDOW.multipliedBy(2));
    assertEquals(Conversation.Status.WAITING, f.conversation(c).state().status());
    assertTrue(f.agent("clk2/a").state().holds().isEmpty());
    assertTrue(f.agent("clk2/b").state().holds().isEmpty());

    // A member who did not let it lapse gets it as soon as they come online.
    f.presence("clk2/c", Presence.ONLINE);
    f.awaitAssigned(c, "clk2/c");
  }

  @Test
  void lapseAfterMaxReroutesEscalatesToTheSupervisorWithAReason() {
    f.onlineAgent("clk3/a", 2);
    f.onlineAgent("clk3/b", 2);
    f.profile("clk3/boss", new AgentProfile(Map.of("*", 5), Map.of(), Set.of(), AgentProfile.Role.SUPERVISOR));
    f.presence("clk3/boss", Presence.ONLINE);
    f.configure("clk3/sales", TeamConfig.of(List.of("clk3/a", "clk3/b"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW)
        .withEscalation(EscalationTarget.supervisor("clk3/boss"), 1));
    f.awaitOnline("clk3/sales", "clk3/a", "clk3/b");
    String c = Fixture.conv("clk3", "333");

    assertTrue(f.inbound(c, "m1", "clk3/sales").ok());
    String first = f.awaitAnyAgent(c);
    String second = first.equals("clk3/a") ? "clk3/b" : "clk3/a";
    f.advance(REPLY_WINDOW);
    f.awaitAssigned(c, second); // the one allowed re-route

    f.advance(REPLY_WINDOW);
    f.awaitStatus(c, Conversation.Status.ESCALATED);
    Conversation.State escalated = f.conversation(c).state();
    assertEquals("clk3/boss", escalated.escalatedTo());
    assertNull(escalated.agentId());
    assertNotNull(escalated.reason());
    assertTrue(escalated.reason().startsWith("reply_window_lapsed"), escalated.reason());
    f.eventually(() -> assertTrue(f.agent(second).state().holds().isEmpty()));
    f.eventually(() -> assertTrue(f.agent("clk3/boss").escalations().contains(c),
        "the supervisor sees the escalation"));

    // The supervisor can take it over.
    assertTrue(f.claim("clk3/boss", c).ok());
    f.awaitAssigned(c, "clk3/boss");
  }

  @Test
  void lapseAfterMaxReroutesEscalatesToTheEscalationTeamWhichAssignsOneOfItsMembers() {
    f.onlineAgent("clk4/a", 2);
    f.onlineAgent("clk4/b", 2);
    f.onlineAgent("clk4/senior", 2);
    f.configure("clk4/seniors", TeamConfig.of(List.of("clk4/senior"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.configure("clk4/sales", TeamConfig.of(List.of("clk4/a", "clk4/b"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW)
        .withEscalation(EscalationTarget.team("clk4/seniors"), 1));
    f.awaitOnline("clk4/seniors", "clk4/senior");
    f.awaitOnline("clk4/sales", "clk4/a", "clk4/b");
    String c = Fixture.conv("clk4", "444");

    assertTrue(f.inbound(c, "m1", "clk4/sales").ok());
    String first = f.awaitAnyAgent(c);
    String second = first.equals("clk4/a") ? "clk4/b" : "clk4/a";
    f.advance(REPLY_WINDOW);
    f.awaitAssigned(c, second);

    f.advance(REPLY_WINDOW);
    f.awaitAssigned(c, "clk4/senior");
    assertEquals("clk4/seniors", f.conversation(c).state().team());
    f.eventually(() -> {
      assertTrue(f.agent("clk4/a").state().holds().isEmpty());
      assertTrue(f.agent("clk4/b").state().holds().isEmpty());
    });
  }

  @Test
  void agentReplyStopsTheReplyWindow() {
    f.onlineAgent("clk5/a", 2);
    f.onlineAgent("clk5/b", 2);
    f.configure("clk5/sales", TeamConfig.of(List.of("clk5/a", "clk5/b"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("clk5/sales", "clk5/a", "clk5/b");
    String c = Fixture.conv("clk5", "555");

    assertTrue(f.inbound(c, "m1", "clk5/sales").ok());
    String agent = f.awaitAnyAgent(c);
    assertTrue(f.reply(c, agent, false).ok());

    f.advance(REPLY_WINDOW.multipliedBy(3));
    Conversation.State s = f.conversation(c).state();
    assertEquals(Conversation.Status.ASSIGNED, s.status());
    assertEquals(agent, s.agentId());
    assertEquals(0, s.round().reroutes());
    assertTrue(s.answered());
    assertNull(s.replyDeadline());
  }

  @Test
  void newInboundMessageAfterTheReplyStartsANewReplyWindow() {
    f.onlineAgent("clk6/a", 2);
    f.onlineAgent("clk6/b", 2);
    f.configure("clk6/sales", TeamConfig.of(List.of("clk6/a", "clk6/b"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("clk6/sales", "clk6/a", "clk6/b");
    String c = Fixture.conv("clk6", "666");

    assertTrue(f.inbound(c, "m1", "clk6/sales").ok());
    String first = f.awaitAnyAgent(c);
    String second = first.equals("clk6/a") ? "clk6/b" : "clk6/a";
    assertTrue(f.reply(c, first, false).ok());
    f.advance(Duration.ofMinutes(2));

    assertTrue(f.inbound(c, "m2", "clk6/sales").ok());
    assertEquals(f.clock.instant().plus(REPLY_WINDOW), f.conversation(c).state().replyDeadline());

    f.advance(REPLY_WINDOW.minusSeconds(1));
    assertEquals(first, f.conversation(c).state().agentId(), "the new window has not ended yet");
    f.advance(Duration.ofSeconds(1));
    f.awaitAssigned(c, second);
  }

  // ---- queue wait ----

  @Test
  void conversationWaitingPastTheQueueWaitLimitMovesToTheOverflowTeamAndIsAssignedThere() {
    f.profile("clk7/a", AgentProfile.withCapacity(2)); // offline
    f.onlineAgent("clk7/o", 2);
    f.configure("clk7/overflow", TeamConfig.of(List.of("clk7/o"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.configure("clk7/sales", TeamConfig.of(List.of("clk7/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW)
        .withQueueWait(Duration.ofMinutes(2), "clk7/overflow"));
    f.awaitOnline("clk7/overflow", "clk7/o");
    String c = Fixture.conv("clk7", "777");

    assertTrue(f.inbound(c, "m1", "clk7/sales").ok());
    f.awaitQueued("clk7/sales", c, "no_agent_available");

    f.advance(Duration.ofMinutes(2).minusSeconds(1));
    assertTrue(f.inQueue("clk7/sales", c), "still waiting in its own team before the limit");

    f.advance(Duration.ofSeconds(1));
    f.awaitAssigned(c, "clk7/o");
    assertEquals("clk7/overflow", f.conversation(c).state().team());
    f.eventually(() -> assertFalse(f.inQueue("clk7/sales", c)));
  }

  @Test
  void conversationWaitingPastTheQueueWaitLimitWaitsInTheOverflowTeamWhenNobodyThereIsOnline() {
    f.profile("clk8/a", AgentProfile.withCapacity(2));
    f.profile("clk8/o", AgentProfile.withCapacity(2));
    f.configure("clk8/overflow", TeamConfig.of(List.of("clk8/o"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.configure("clk8/sales", TeamConfig.of(List.of("clk8/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW)
        .withQueueWait(Duration.ofMinutes(2), "clk8/overflow"));
    String c = Fixture.conv("clk8", "888");

    assertTrue(f.inbound(c, "m1", "clk8/sales").ok());
    f.awaitQueued("clk8/sales", c, "no_agent_available");
    f.advance(Duration.ofMinutes(2));

    f.awaitQueued("clk8/overflow", c, "no_agent_available");
    Conversation.State s = f.conversation(c).state();
    assertEquals(Conversation.Status.WAITING, s.status());
    assertEquals("clk8/overflow", s.team());
    assertFalse(f.inQueue("clk8/sales", c));

    f.presence("clk8/o", Presence.ONLINE);
    f.awaitAssigned(c, "clk8/o");
  }

  @Test
  void conversationWaitingPastTheQueueWaitLimitEscalatesWhenThereIsNoOverflowTeam() {
    f.profile("clk9/a", AgentProfile.withCapacity(2));
    f.configure("clk9/sales", TeamConfig.of(List.of("clk9/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW)
        .withEscalation(EscalationTarget.supervisor("clk9/boss"), 3)
        .withQueueWait(Duration.ofMinutes(2), null));
    String c = Fixture.conv("clk9", "999");

    assertTrue(f.inbound(c, "m1", "clk9/sales").ok());
    f.awaitQueued("clk9/sales", c, "no_agent_available");
    f.advance(Duration.ofMinutes(2));

    f.awaitStatus(c, Conversation.Status.ESCALATED);
    Conversation.State s = f.conversation(c).state();
    assertEquals("clk9/boss", s.escalatedTo());
    assertTrue(s.reason().startsWith("queue_wait_exceeded"), s.reason());
    f.eventually(() -> assertFalse(f.inQueue("clk9/sales", c)));
  }

  // ---- customer service window ----

  @Test
  void freeFormReplyIsRefusedOnceTwentyFourHoursPassedSinceTheLastInboundMessage() {
    String c = assignedWithoutReplyWindow("svc1");
    f.advance(Duration.ofHours(24).minusMinutes(1));
    assertTrue(f.reply(c, "svc1/a", false).ok(), "a free-form reply is fine inside the window");

    f.advance(Duration.ofMinutes(1));
    Outcome refused = f.reply(c, "svc1/a", false);
    assertFalse(refused.ok());
    assertEquals("service_window_closed", refused.code());
  }

  @Test
  void theServiceWindowRunsFromTheContactsOwnTimestampNotFromWhenTheMessageArrived() {
    String c = assignedWithoutReplyWindow("svc5");
    // The channel delivers a message the contact sent 23 hours ago (WhatsApp retries for days).
    java.time.Instant sentAt = f.clock.instant().minus(Duration.ofHours(23));
    assertTrue(f.ask(r -> f.directory.conversation(c, new Conversation.Inbound("late", "hello", null, sentAt, r))).ok());
    assertEquals(sentAt.plus(Duration.ofHours(24)), f.conversation(c).state().clocks().serviceWindowClosesAt());
    f.advance(Duration.ofMinutes(59));
    assertTrue(f.reply(c, "svc5/a", false).ok());
    f.advance(Duration.ofMinutes(1));
    assertEquals("service_window_closed", f.reply(c, "svc5/a", false).code());
  }

  @Test
  void templateReplyIsAcceptedAfterTheServiceWindowClosed() {
    String c = assignedWithoutReplyWindow("svc2");
    f.advance(Duration.ofHours(24));
    assertEquals("service_window_closed", f.reply(c, "svc2/a", false).code());

    Outcome template = f.reply(c, "svc2/a", true);
    assertTrue(template.ok(), template.toString());
    assertTrue(f.conversation(c).state().answered());
  }

  @Test
  void newInboundMessageReopensTheServiceWindow() {
    String c = assignedWithoutReplyWindow("svc3");
    f.advance(Duration.ofHours(25));
    assertEquals("service_window_closed", f.reply(c, "svc3/a", false).code());

    assertTrue(f.inbound(c, "m2", "svc3/sales").ok());
    assertTrue(f.reply(c, "svc3/a", false).ok());
    f.advance(Duration.ofHours(24));
    assertEquals("service_window_closed", f.reply(c, "svc3/a", false).code(),
        "the re-opened window again lasts 24 h from that message");
  }

  @Test
  void serviceWindowRunsFromTheLastInboundMessageNotTheFirst() {
    String c = assignedWithoutReplyWindow("svc4");
    f.advance(Duration.ofHours(12));
    assertTrue(f.inbound(c, "m2", "svc4/sales").ok());

    f.advance(Duration.ofHours(12));
    assertTrue(f.reply(c, "svc4/a", false).ok(), "24 h after the first message, 12 h after the last");
    f.advance(Duration.ofHours(12));
    assertEquals("service_window_closed", f.reply(c, "svc4/a", false).code());
  }

  // ---- idle auto-resolve ----

  @Test
  void answeredConversationResolvesAfterTheIdleSilenceAndTheAgentTakesTheNextOne() {
    f.onlineAgent("idl1/a", 1);
    f.configure("idl1/sales", TeamConfig.of(List.of("idl1/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW)
        .withIdleAutoResolve(Duration.ofHours(1)));
    f.awaitOnline("idl1/sales", "idl1/a");
    String c1 = Fixture.conv("idl1", "1");
    String c2 = Fixture.conv("idl1", "2");

    assertTrue(f.inbound(c1, "m1", "idl1/sales").ok());
    f.awaitAssigned(c1, "idl1/a");
    assertTrue(f.reply(c1, "idl1/a", false).ok());
    assertTrue(f.inbound(c2, "m2", "idl1/sales").ok());
    f.awaitQueued("idl1/sales", c2, "no_agent_available"); // the agent is at capacity

    f.advance(Duration.ofHours(1).minusSeconds(1));
    assertEquals(Conversation.Status.ASSIGNED, f.conversation(c1).state().status());

    f.advance(Duration.ofSeconds(1));
    f.awaitStatus(c1, Conversation.Status.RESOLVED);
    assertTrue(f.conversation(c1).state().reason().startsWith("idle"), f.conversation(c1).state().reason());
    f.awaitAssigned(c2, "idl1/a");
    f.eventually(() -> assertEquals(List.of(c2), List.copyOf(f.agent("idl1/a").state().holds().keySet())));
  }

  @Test
  void unansweredConversationIsNotIdleResolved() {
    f.onlineAgent("idl2/a", 2);
    f.configure("idl2/sales", TeamConfig.of(List.of("idl2/a"), StrategyKind.ROUND_ROBIN, Duration.ZERO)
        .withIdleAutoResolve(Duration.ofHours(1)));
    f.awaitOnline("idl2/sales", "idl2/a");
    String c = Fixture.conv("idl2", "1");

    assertTrue(f.inbound(c, "m1", "idl2/sales").ok());
    f.awaitAssigned(c, "idl2/a");
    f.advance(Duration.ofHours(2));
    Conversation.State s = f.conversation(c).state();
    assertEquals(Conversation.Status.ASSIGNED, s.status(), "the contact still waits for an answer");
    assertEquals("idl2/a", s.agentId());
  }

  // ---- agent offline ----

  @Test
  void unansweredConversationsOfAnAgentWhoStaysOfflineAreReroutedAfterTheGraceWhileAnsweredOnesStay() {
    String[] convs = twoConversationsWithA("off1", false);
    String answered = convs[0];
    String unanswered = convs[1];

    assertTrue(f.presence("off1/a", Presence.OFFLINE).ok());
    f.advance(f.settings.offlineGrace().minusSeconds(1));
    assertEquals("off1/a", f.conversation(unanswered).state().agentId(), "within the grace nothing moves");

    f.advance(Duration.ofSeconds(1));
    f.awaitAssigned(unanswered, "off1/b");
    Conversation.State kept = f.conversation(answered).state();
    assertEquals(Conversation.Status.ASSIGNED, kept.status());
    assertEquals("off1/a", kept.agentId());
    f.eventually(() -> assertEquals(Set.of(answered), f.agent("off1/a").state().holds().keySet()));
  }

  @Test
  void withRerouteAnsweredOnOfflineAnsweredConversationsMoveToo() {
    String[] convs = twoConversationsWithA("off2", true);

    assertTrue(f.presence("off2/a", Presence.OFFLINE).ok());
    f.advance(f.settings.offlineGrace());
    f.awaitAssigned(convs[0], "off2/b");
    f.awaitAssigned(convs[1], "off2/b");
    f.eventually(() -> assertTrue(f.agent("off2/a").state().holds().isEmpty()));
  }

  @Test
  void agentWhoGoesOfflineAndBackOnlineWithinTheGraceKeepsItsConversations() {
    String[] convs = twoConversationsWithA("off3", true);

    assertTrue(f.presence("off3/a", Presence.OFFLINE).ok());
    f.advance(Duration.ofSeconds(20));
    assertTrue(f.presence("off3/a", Presence.ONLINE).ok());
    f.advance(f.settings.offlineGrace().multipliedBy(2));

    assertEquals(Set.of(convs[0], convs[1]), f.agent("off3/a").state().holds().keySet());
    for (String c : convs) {
      Conversation.State s = f.conversation(c).state();
      assertEquals(Conversation.Status.ASSIGNED, s.status());
      assertEquals("off3/a", s.agentId());
    }
    assertTrue(f.agent("off3/b").state().holds().isEmpty());
  }

  /**
   * An agent in two teams goes offline: each conversation waits its own team's offline grace (5 s and
   * 2 min here, the server's is 30 s), also across a restart of the agent between the two.
   */
  @Test
  void eachConversationWaitsItsOwnTeamsOfflineGraceAcrossARestartOfTheAgent() {
    String a = "off4/a";
    f.onlineAgent(a, 5);
    f.onlineAgent("off4/fb", 5);
    f.onlineAgent("off4/sb", 5);
    f.presence("off4/fb", Presence.AWAY);
    f.presence("off4/sb", Presence.AWAY);
    f.configure("off4/fast", TeamConfig.of(List.of(a, "off4/fb"), StrategyKind.ROUND_ROBIN, Duration.ofHours(1))
        .withOfflineGrace(Duration.ofSeconds(5)));
    f.configure("off4/slow", TeamConfig.of(List.of(a, "off4/sb"), StrategyKind.ROUND_ROBIN, Duration.ofHours(1))
        .withOfflineGrace(Duration.ofMinutes(2)));
    f.awaitOnline("off4/fast", a);
    f.awaitOnline("off4/slow", a);
    String fast = Fixture.conv("off4", "fast");
    String slow = Fixture.conv("off4", "slow");
    assertTrue(f.inbound(fast, "m1", "off4/fast").ok());
    assertTrue(f.inbound(slow, "m2", "off4/slow").ok());
    f.awaitAssigned(fast, a);
    f.awaitAssigned(slow, a);
    f.presence("off4/fb", Presence.ONLINE);
    f.presence("off4/sb", Presence.ONLINE);
    f.awaitOnline("off4/fast", "off4/fb");
    f.awaitOnline("off4/slow", "off4/sb");

    java.time.Instant offline = f.clock.instant();
    assertTrue(f.presence(a, Presence.OFFLINE).ok());
    assertEquals(offline.plus(Duration.ofSeconds(5)), f.agent(a).state().offlineGraceEnds());
    f.advance(Duration.ofSeconds(5));
    f.awaitAssigned(fast, "off4/fb");
    assertEquals(a, f.conversation(slow).state().agentId(), "the slow team's grace has not ended");
    f.eventually(() -> assertEquals(offline.plus(Duration.ofMinutes(2)), f.agent(a).state().offlineGraceEnds()));
    Conversation.State rerouted = f.conversation(fast).state();
    assertEquals(Map.of("agent_offline", 1), rerouted.round().reroutesByCause());
    assertEquals(1, rerouted.round().reroutesTotal());
    assertEquals(0, rerouted.round().reroutes(), "maxReroutes counts reply-window lapses only");

    f.directory.stop(io.switchboard.testkit.LocalDirectory.Kind.AGENT, a);
    f.eventually(() -> assertFalse(f.isRunning(io.switchboard.testkit.LocalDirectory.Kind.AGENT, a)));
    f.agent(a); // started again: the next grace end is re-armed from its events
    f.advance(Duration.ofSeconds(100));
    assertEquals(a, f.conversation(slow).state().agentId(), "105 s offline: still within the slow team's 2 min");
    f.advance(Duration.ofSeconds(15));
    f.awaitAssigned(slow, "off4/sb");
    f.eventually(() -> assertTrue(f.agent(a).state().holds().isEmpty()));
    assertNull(f.agent(a).state().offlineGraceEnds());
  }

  /** A conversation the agent claimed from a pool has the pool team's offline grace too, not the server's. */
  @Test
  void aClaimedConversationWaitsItsTeamsOfflineGrace() {
    String a = "off5/a";
    f.onlineAgent(a, 5);
    f.configure("off5/pool", TeamConfig.of(List.of(a), StrategyKind.MANUAL, Duration.ofHours(1))
        .withOfflineGrace(Duration.ofSeconds(5)));
    f.awaitOnline("off5/pool", a);
    String c = Fixture.conv("off5", "1");
    assertTrue(f.inbound(c, "m1", "off5/pool").ok());
    f.awaitQueued("off5/pool", c, "waiting_in_pool");
    f.eventually(() -> assertEquals(Duration.ofSeconds(5), f.conversation(c).state().policy().offlineGrace()));
    assertTrue(f.claim(a, c).ok());
    f.advance(f.settings.confirmFlushInterval()); // confirmations (and what they teach) are persisted in batches
    f.eventually(() -> {
      Agent.Hold h = f.agent(a).state().hold(c);
      assertTrue(h.confirmed() && h.policy() != null, "the claim's hold learned its team's policy: " + h);
    });
    java.time.Instant offline = f.clock.instant();
    assertTrue(f.presence(a, Presence.OFFLINE).ok());
    assertEquals(offline.plus(Duration.ofSeconds(5)), f.agent(a).state().offlineGraceEnds());
    f.advance(Duration.ofSeconds(5));
    f.awaitStatus(c, Conversation.Status.WAITING);
    assertEquals(Map.of("agent_offline", 1), f.conversation(c).state().round().reroutesByCause());
  }

  // ---- helpers ----

  /**
   * Agent {@code a} (online) holds two conversations of a team with a 10 minute reply window: the
   * first answered, the second not. Agent {@code b} is online in the same team with room.
   */
  private static String[] twoConversationsWithA(String tenant, boolean rerouteAnswered) {
    String a = tenant + "/a";
    String b = tenant + "/b";
    String team = tenant + "/sales";
    f.onlineAgent(a, 5);
    f.profile(b, AgentProfile.withCapacity(5)); // offline while a receives both
    f.configure(team, TeamConfig.of(List.of(a, b), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(10))
        .withRerouteAnsweredOnOffline(rerouteAnswered));
    f.awaitOnline(team, a);
    String answered = Fixture.conv(tenant, "1");
    String unanswered = Fixture.conv(tenant, "2");
    assertTrue(f.inbound(answered, "m1", team).ok());
    f.awaitAssigned(answered, a);
    assertTrue(f.inbound(unanswered, "m2", team).ok());
    f.awaitAssigned(unanswered, a);
    assertTrue(f.reply(answered, a, false).ok());
    f.presence(b, Presence.ONLINE);
    f.awaitOnline(team, b);
    return new String[] {answered, unanswered};
  }

  /** A conversation assigned to {@code tenant/a} in a team without a reply window. */
  private static String assignedWithoutReplyWindow(String tenant) {
    String a = tenant + "/a";
    String team = tenant + "/sales";
    f.onlineAgent(a, 2);
    f.configure(team, TeamConfig.of(List.of(a), StrategyKind.ROUND_ROBIN, Duration.ZERO));
    f.awaitOnline(team, a);
    String c = Fixture.conv(tenant, "1");
    assertTrue(f.inbound(c, "m1", team).ok());
    f.awaitAssigned(c, a);
    return c;
  }
}

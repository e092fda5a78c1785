package io.switchboard.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.HoldToken;
import io.switchboard.CoreSettings;
import io.switchboard.Directory;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.agent.Agent.AssignmentConfirmed;
import io.switchboard.agent.Agent.Claim;
import io.switchboard.agent.Agent.Command;
import io.switchboard.agent.Agent.Event;
import io.switchboard.agent.Agent.Hold;
import io.switchboard.agent.Agent.Get;
import io.switchboard.agent.Agent.HoldRef;
import io.switchboard.agent.Agent.HoldsConfirmed;
import io.switchboard.agent.Agent.HoldsRecorded;
import io.switchboard.agent.Agent.RecordedHold;
import io.switchboard.agent.Agent.JoinTeam;
import io.switchboard.agent.Agent.Offer;
import io.switchboard.agent.Agent.OfflineGraceExpired;
import io.switchboard.agent.Agent.PresenceChanged;
import io.switchboard.agent.Agent.ProfileSet;
import io.switchboard.agent.Agent.Release;
import io.switchboard.agent.Agent.Released;
import io.switchboard.agent.Agent.Reserved;
import io.switchboard.agent.Agent.SetPresence;
import io.switchboard.agent.Agent.SetProfile;
import io.switchboard.agent.Agent.State;
import io.switchboard.agent.Agent.TeamJoined;
import io.switchboard.conversation.Conversation;
import io.switchboard.routing.Need;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingPolicy;
import io.switchboard.routing.RoutingRequest;
import io.switchboard.team.Team;
import io.switchboard.testkit.EntityTestKit;
import io.switchboard.testkit.EntityTestKit.Sent;
import io.switchboard.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResult;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent entity alone, command by command, with Pekko's {@link EventSourcedBehaviorTestKit}: which events
 * each command persists, the state they lead to, the reply, and what the agent told its teams and
 * conversations (a recording {@link Directory}: no team or conversation runs here, so the test answers for
 * them). The same setup as ConversationEntityTest.
 *
 * <p>The testkit's serialization checks stay on, equality included (the state's holds are a Scala map).
 */
class AgentEntityTest {

  static final String TEAM = "aet/sales";
  static final String CHANNEL = "whatsapp";
  /** A team policy that names no offline grace: the server's {@code offline-grace} applies. */
  static final RoutingPolicy POLICY = new RoutingPolicy(Duration.ofMinutes(5), 3, null, false, null, null);

  static final ActorTestKit testKit = ActorTestKit.create(EntityTestKit.config(""));
  static final ManualTime manualTime = ManualTime.get(testKit.system());
  /** Reads ManualTime's scheduler: the entity's clock and its timers move together. */
  static final ManualClock clock = EntityTestKit.clockOf(testKit);
  static final CoreSettings settings = CoreSettings.from(testKit.system().settings().config());
  static final AtomicInteger ids = new AtomicInteger();


  TestProbe<Sent> sent;
  /** An agent per test: the tests share the journal (and ManualTime, which only moves forward). */
  String agentId;
  EventSourcedBehaviorTestKit<Command, Event, State> kit;
  /** The clock when the test started. */
  Instant t0;


  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void start() {
    sent = testKit.createTestProbe(Sent.class);
    agentId = "aet/agent" + ids.incrementAndGet();
    Directory directory = EntityTestKit.recording(sent.ref());
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), Agent.create(agentId, directory, clock, settings),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    t0 = clock.instant();
  }

  // ---- profile, teams, presence ----

  @Test
  void profileTeamAndGoingOnlineArePersistedAndTheStatusPushedToTheTeam() {
    AgentProfile profile = AgentProfile.withCapacity(2);
    CommandResultWithReply<Command, Event, State, Outcome> p = kit.runCommand(to -> new SetProfile(profile, to));
    assertEquals(Outcome.ok("profile set"), p.reply());
    assertEquals(List.of(new ProfileSet(profile)), p.events());
    assertEquals(profile, p.state().profile());
    sent.expectNoMessage(); // in no team yet: nobody to tell

    CommandResult<Command, Event, State> j = kit.runCommand(new JoinTeam(TEAM));
    assertEquals(List.of(new TeamJoined(TEAM)), j.events());
    assertEquals(Set.of(TEAM), j.state().teams());
    assertEquals(status(Presence.OFFLINE, profile, Map.of(), null), expectStatus());

    CommandResultWithReply<Command, Event, State, Outcome> on = kit.runCommand(
        to -> new SetPresence(Presence.ONLINE, to));
    assertEquals(Outcome.ok("presence ONLINE"), on.reply());
    assertEquals(List.of(new PresenceChanged(Presence.ONLINE, t0, null)), on.events());
    assertEquals(Presence.ONLINE, on.state().presence());
    assertNull(on.state().offlineSince());
    assertEquals(status(Presence.ONLINE, profile, Map.of(), null), expectStatus());
    sent.expectNoMessage();

    CommandResultWithReply<Command, Event, State, Outcome> again = kit.runCommand(
        to -> new SetPresence(Presence.ONLINE, to));
    assertEquals(Outcome.ok("presence unchanged"), again.reply());
    assertTrue(again.hasNoEvents(), again.events().toString());
    kit.runCommand(new JoinTeam(TEAM)); // a team that starts again asks: the status is announced, nothing persisted
    assertEquals(status(Presence.ONLINE, profile, Map.of(), null), expectStatus());
    sent.expectNoMessage();
  }

  // ---- offers ----

  @Test
  void anOfferWithinCapacityIsGrantedInMemoryAndTheConversationToldToAssign() {
    ready(2);
    String conv = conv("1");
    Offer offer = offer(conv, 1);

    CommandResult<Command, Event, State> r = kit.runCommand(offer);

    assertTrue(r.hasNoEvents(), "the conversation's write is the grant's record: " + r.events());
    State s = view().state();
    assertEquals(new Hold(HoldToken.round(1), CHANNEL, TEAM, POLICY, t0, true), s.hold(conv));
    assertEquals(1, s.loadOn(CHANNEL));
    assertEquals(offer.offeredAt(), s.lastAssignedAt(), "the team's offer time: its round robin resumes from it");
    assertEquals(new Conversation.AssignTo(agentId, HoldToken.round(1), TEAM, POLICY, null, null, t0),
        expectSent("conversation " + conv, Conversation.AssignTo.class));
    assertEquals(new Team.AgentStatusChanged(
            status(Presence.ONLINE, AgentProfile.withCapacity(2), Map.of(CHANNEL, 1), offer.offeredAt()),
            new Team.OfferAccepted(conv, 1, agentId)),
        expectSent("team " + TEAM, Team.AgentStatusChanged.class),
        "the team hears the new load and the acceptance in one message: it never counts the grant twice or not at all");
    sent.expectNoMessage();

    // the team re-sends the same offer: answered again, not granted twice
    CommandResult<Command, Event, State> again = kit.runCommand(offer);
    assertTrue(again.hasNoEvents(), again.events().toString());
    assertEquals(1, view().state().loadOn(CHANNEL));
    expectSent("conversation " + conv, Conversation.AssignTo.class);
    expectSent("team " + TEAM, Team.OfferAccepted.class);
    sent.expectNoMessage();

    // the conversation stored the assignment and confirms: recorded with the next batch, one write for all
    assertTrue(kit.runCommand(new AssignmentConfirmed(conv, HoldToken.round(1))).hasNoEvents());
    manualTime.timePasses(settings.confirmFlushInterval());
    kit.getState(); // through the mailbox after the flush: its write is stored
    assertEquals(new HoldsRecorded(List.of(new RecordedHold(conv, HoldToken.round(1), TEAM, POLICY, t0,
        offer.offeredAt(), true)), null, clock.instant()), lastPersisted());
    assertEquals(new Hold(HoldToken.round(1), CHANNEL, TEAM, POLICY, t0, true), kit.getState().hold(conv));
    assertEquals(offer.offeredAt(), kit.getState().lastAssignedAt());
    sent.expectNoMessage();
  }

  @Test
  void aGrantTheConversationReleasesLeavesNothingBehind() {
    ready(1);
    String conv = conv("1");
    kit.runCommand(offer(conv, 1));
    drain(2);

    assertTrue(kit.runCommand(new Release(conv, HoldToken.round(1))).hasNoEvents(), "nothing of it was persisted");
    assertEquals(new Conversation.ReleaseAcknowledged(agentId, HoldToken.round(1)),
        expectSent("conversation " + conv, Conversation.ReleaseAcknowledged.class));
    assertEquals(status(Presence.ONLINE, AgentProfile.withCapacity(1), Map.of(), null), expectStatus());
    assertEquals(Map.of(), view().state().holds());
    manualTime.timePasses(settings.redeliveryInterval());
    sent.expectNoMessage(); // a dropped grant is not re-sent
  }

  private Agent.View view() {
    return kit.<Agent.View>runCommand(Get::new).reply();
  }

  @Test
  void anOfferBeyondCapacityIsDeclinedToTheTeamWithoutAReservation() {
    ready(1);
    reserve(conv("1"), 1);
    State full = kit.getState();
    Offer second = offer(conv("2"), 1);

    CommandResult<Command, Event, State> r = kit.runCommand(second);

    assertTrue(r.hasNoEvents(), "no Reserved: " + r.events());
    assertEquals(full, r.state());
    assertEquals(status(Presence.ONLINE, AgentProfile.withCapacity(1), Map.of(CHANNEL, 1), t0), expectStatus(),
        "the team learns why (its view of the agent was stale)");
    assertEquals(new Team.OfferDeclined(second.request(), agentId, "capacity_full"),
        expectSent("team " + TEAM, Team.OfferDeclined.class));
    sent.expectNoMessage();
  }

  @Test
  void anOfferToAnAwayAgentIsDeclined() {
    ready(2);
    kit.<Outcome>runCommand(to -> new SetPresence(Presence.AWAY, to));
    expectStatus();
    Offer offer = offer(conv("1"), 1);

    assertTrue(kit.runCommand(offer).hasNoEvents());
    expectStatus();
    assertEquals(new Team.OfferDeclined(offer.request(), agentId, "agent_away"),
        expectSent("team " + TEAM, Team.OfferDeclined.class));
    sent.expectNoMessage();
  }

  // ---- confirmation and release ----

  @Test
  void anUnconfirmedGrantIsResentWithItsGrantTimeUntilTheConversationConfirms() {
    ready(1);
    String conv = conv("1");
    kit.runCommand(offer(conv, 1));
    drain(2);

    manualTime.timePasses(settings.redeliveryInterval());
    assertEquals(new Conversation.AssignTo(agentId, HoldToken.round(1), TEAM, POLICY, null, null, t0),
        expectSent("conversation " + conv, Conversation.AssignTo.class),
        "no answer yet: sent again, with the grant's time (the conversation refuses it after grant-ttl)");
    sent.expectNoMessage();

    assertTrue(kit.runCommand(new AssignmentConfirmed(conv, HoldToken.round(1))).hasNoEvents());
    manualTime.timePasses(settings.redeliveryInterval());
    sent.expectNoMessage(); // confirmed (persisted with the next batch): never re-sent
    assertTrue(kit.getState().hold(conv).confirmed());
  }


  @Test
  void confirmedInABatchThenReleasedFreesTheCapacity() {
    ready(1);
    String conv = conv("1");
    transferReserve(conv, 1);

    CommandResult<Command, Event, State> c = kit.runCommand(new AssignmentConfirmed(conv, HoldToken.round(1)));
    assertTrue(c.hasNoEvents(), "confirmations are persisted in batches: " + c.events());
    assertFalse(c.state().hold(conv).confirmed());
    manualTime.timePasses(settings.confirmFlushInterval());
    assertTrue(kit.getState().hold(conv).confirmed());
    assertEquals(new HoldsConfirmed(List.of(new HoldRef(conv, HoldToken.round(1), null))), lastPersisted());
    sent.expectNoMessage();

    Instant at = clock.instant();
    CommandResult<Command, Event, State> r = kit.runCommand(new Release(conv, HoldToken.round(1)));
    assertEquals(List.of(new Released(conv, HoldToken.round(1), at)), r.events());
    assertEquals(Map.of(), r.state().holds());
    assertEquals(0, r.state().loadOn(CHANNEL));
    assertTrue(r.state().hasRoomOn(CHANNEL));
    assertEquals(new Conversation.ReleaseAcknowledged(agentId, HoldToken.round(1)),
        expectSent("conversation " + conv, Conversation.ReleaseAcknowledged.class));
    assertEquals(status(Presence.ONLINE, AgentProfile.withCapacity(1), Map.of(), kit.getState().lastAssignedAt()),
        expectStatus());
    sent.expectNoMessage();

    // released again (the conversation re-sends until acknowledged): acknowledged, nothing persisted
    assertTrue(kit.runCommand(new Release(conv, HoldToken.round(1))).hasNoEvents());
    expectSent("conversation " + conv, Conversation.ReleaseAcknowledged.class);
    sent.expectNoMessage();
  }

  // ---- claims ----

  @Test
  void aClaimReservesWithAClaimHoldAndTheConversationAnswers() {
    ready(1);
    String conv = conv("1");
    TestProbe<Outcome> client = testKit.createTestProbe(Outcome.class);

    CommandResult<Command, Event, State> r = kit.runCommand(new Claim(conv, client.ref()));

    Reserved reserved = r.eventOfType(Reserved.class);
    assertEquals(1, r.events().size(), r.events().toString());
    assertTrue(reserved.hold().isClaim() && reserved.hold().text().matches("c[0-9a-f-]{36}"), reserved.hold().text());
    assertEquals(new Reserved(conv, reserved.hold(), null, null, t0, null), reserved);
    assertEquals(new Hold(reserved.hold(), CHANNEL, null, null, t0, false), r.state().hold(conv));
    assertEquals(new Conversation.AssignTo(agentId, reserved.hold(), null, null, Set.of(TEAM), client.ref()),
        expectSent("conversation " + conv, Conversation.AssignTo.class),
        "the agent's teams go along: the conversation decides whether the claim is allowed");
    expectStatus();
    sent.expectNoMessage();
    client.expectNoMessage(); // the conversation answers the claim, not the agent

    // claimed again: the same hold is re-sent, nothing reserved twice
    assertTrue(kit.runCommand(new Claim(conv, client.ref())).hasNoEvents());
    assertEquals(reserved.hold(), expectSent("conversation " + conv, Conversation.AssignTo.class).hold());

    // full: refused at once
    CommandResultWithReply<Command, Event, State, Outcome> full = kit.runCommand(to -> new Claim(conv("2"), to));
    assertTrue(full.hasNoEvents());
    assertEquals("capacity_full", full.reply().code());
    sent.expectNoMessage();
  }

  @Test
  void anOfflineAgentsClaimIsRefused() {
    kit.<Outcome>runCommand(to -> new SetProfile(AgentProfile.withCapacity(1), to));
    CommandResultWithReply<Command, Event, State, Outcome> r = kit.runCommand(to -> new Claim(conv("1"), to));
    assertTrue(r.hasNoEvents());
    assertFalse(r.reply().ok());
    assertEquals("agent_offline", r.reply().code());
    sent.expectNoMessage();
  }

  // ---- recovery ----

  @Test
  void aRestartRecoversTheHoldsAndReverifiesOnlyTheUnconfirmedOne() {
    ready(3);
    String confirmed = conv("1");
    String pending = conv("2");
    reserve(confirmed, 1);
    transferReserve(pending, 4);
    State before = kit.getState();
    assertTrue(before.hold(confirmed).confirmed());
    assertFalse(before.hold(pending).confirmed());
    sent.expectNoMessage();

    assertEquals(before, kit.restart().state());
    assertEquals(2, kit.getState().loadOn(CHANNEL));
    assertEquals(new Conversation.AssignTo(agentId, HoldToken.round(4), TEAM, POLICY, Set.of(TEAM), null),
        expectSent("conversation " + pending, Conversation.AssignTo.class));
    AgentStatus recovered = status(Presence.ONLINE, AgentProfile.withCapacity(3), Map.of(CHANNEL, 2),
        before.lastAssignedAt());
    assertEquals(new AgentStatus(agentId, recovered.presence(), recovered.profile(), recovered.load(),
        recovered.totalOpen(), recovered.lastAssignedAt(), true), expectStatus(),
        "the teams hear the recovered load, and that it settles (they offer to others meanwhile)");
    sent.expectNoMessage();
  }

  /**
   * Lets the confirmation flush run and waits for its HoldsConfirmed to be stored (the state read goes through
   * the mailbox after the flush's timer message), so that the next command's events are its own: without
   * this the flush sometimes persisted while the next command ran, and counted among its events.
   */
  private void flushConfirmations() {
    manualTime.timePasses(settings.confirmFlushInterval());
    assertTrue(kit.getState().holds().values().stream().allMatch(Hold::confirmed), "every hold confirmed");
  }

  // ---- offline grace ----

  @Test
  void offlinePastTheGraceTellsTheHeldConversation() {
    ready(2);
    String conv = conv("1");
    reserve(conv, 1);
    kit.runCommand(new AssignmentConfirmed(conv, HoldToken.round(1)));
    flushConfirmations();
    Instant off = clock.instant();

    CommandResultWithReply<Command, Event, State, Outcome> r = kit.runCommand(
        to -> new SetPresence(Presence.OFFLINE, to));
    Instant graceEnds = off.plus(settings.offlineGrace());
    assertEquals(Outcome.ok("presence OFFLINE"), r.reply());
    assertEquals(List.of(new PresenceChanged(Presence.OFFLINE, off, graceEnds)), r.events());
    assertEquals(off, r.state().offlineSince());
    assertEquals(graceEnds, r.state().offlineGraceEnds());
    assertEquals(Presence.OFFLINE, expectStatus().presence());
    sent.expectNoMessage();

    manualTime.timePasses(settings.offlineGrace().minusMillis(1));
    sent.expectNoMessage();

    manualTime.timePasses(Duration.ofMillis(1));
    assertEquals(new Conversation.AgentWentOffline(agentId, HoldToken.round(1)),
        expectSent("conversation " + conv, Conversation.AgentWentOffline.class));
    sent.expectNoMessage();
    assertNull(kit.getState().offlineGraceEnds(), "no other grace left");
    assertEquals(new OfflineGraceExpired(graceEnds, null), lastPersisted());
    assertEquals(1, kit.getState().loadOn(CHANNEL), "the conversation decides and releases; the agent keeps it until then");
  }

  @Test
  void eachHeldConversationHasItsTeamsGrace() {
    ready(2);
    String shortGrace = conv("1");
    String serverGrace = conv("2");
    Duration tenSeconds = Duration.ofSeconds(10);
    RoutingPolicy quick = new RoutingPolicy(Duration.ofMinutes(5), 3, null, false, null, tenSeconds);
    kit.runCommand(new Offer(request(shortGrace, 1), HoldToken.round(1), TEAM, quick, false, null, t0));
    drain(2);
    kit.runCommand(new AssignmentConfirmed(shortGrace, HoldToken.round(1)));
    reserve(serverGrace, 1);
    flushConfirmations();
    Instant off = clock.instant();

    CommandResultWithReply<Command, Event, State, Outcome> r = kit.runCommand(
        to -> new SetPresence(Presence.OFFLINE, to));
    assertEquals(new PresenceChanged(Presence.OFFLINE, off, off.plus(tenSeconds)), r.eventOfType(PresenceChanged.class),
        "the earliest grace end is armed");
    expectStatus();

    manualTime.timePasses(tenSeconds);
    assertEquals(new Conversation.AgentWentOffline(agentId, HoldToken.round(1)),
        expectSent("conversation " + shortGrace, Conversation.AgentWentOffline.class));
    sent.expectNoMessage();
    assertEquals(off.plus(settings.offlineGrace()), kit.getState().offlineGraceEnds(), "the next one is armed");
    assertEquals(new OfflineGraceExpired(off.plus(tenSeconds), off.plus(settings.offlineGrace())), lastPersisted());

    manualTime.timePasses(settings.offlineGrace().minus(tenSeconds));
    // every conversation whose grace has ended is told, the one told at the first expiry again (it ignores
    // the second: the agent keeps no record of whom it told)
    assertEquals(new Conversation.AgentWentOffline(agentId, HoldToken.round(1)),
        expectSent("conversation " + shortGrace, Conversation.AgentWentOffline.class));
    assertEquals(new Conversation.AgentWentOffline(agentId, HoldToken.round(1)),
        expectSent("conversation " + serverGrace, Conversation.AgentWentOffline.class));
    sent.expectNoMessage();
    assertNull(kit.getState().offlineGraceEnds());
  }

  @Test
  void backOnlineWithinTheGraceNothingMoves() {
    ready(2);
    String conv = conv("1");
    reserve(conv, 1);
    kit.runCommand(new AssignmentConfirmed(conv, HoldToken.round(1)));
    flushConfirmations();
    kit.<Outcome>runCommand(to -> new SetPresence(Presence.OFFLINE, to));
    expectStatus();

    manualTime.timePasses(settings.offlineGrace().minusSeconds(1));
    CommandResultWithReply<Command, Event, State, Outcome> on = kit.runCommand(
        to -> new SetPresence(Presence.ONLINE, to));
    assertEquals(List.of(new PresenceChanged(Presence.ONLINE, clock.instant(), null)), on.events());
    assertNull(on.state().offlineGraceEnds());
    expectStatus();

    manualTime.timePasses(Duration.ofSeconds(2));
    sent.expectNoMessage();
    assertInstanceOf(PresenceChanged.class, lastPersisted(), "no OfflineGraceExpired");
    assertEquals(new Hold(HoldToken.round(1), CHANNEL, TEAM, POLICY, t0, true), kit.getState().hold(conv));
  }

  // ---- helpers ----

  private String conv(String contact) {
    return EntityIds.conversationId("aet", CHANNEL, agentId.substring(4) + "-" + contact);
  }

  private RoutingRequest request(String conversationId, int attempt) {
    return new RoutingRequest(conversationId, attempt, 0, Need.of(CHANNEL), t0);
  }

  /** The team's offer of round {@code attempt}, made at the test's start. */
  private Offer offer(String conversationId, int attempt) {
    return new Offer(request(conversationId, attempt), HoldToken.round(attempt), TEAM, POLICY, false, null, t0);
  }

  /** A profile with {@code capacity}, a member of {@link #TEAM}, online; what it sent on the way is drained. */
  private void ready(int capacity) {
    kit.<Outcome>runCommand(to -> new SetProfile(AgentProfile.withCapacity(capacity), to));
    kit.runCommand(new JoinTeam(TEAM));
    kit.<Outcome>runCommand(to -> new SetPresence(Presence.ONLINE, to));
    drain(2);
  }

  /**
   * The team's offer granted, confirmed by the conversation and recorded in a batch; drains AssignTo, the status
   * with the acceptance.
   */
  private void reserve(String conversationId, int attempt) {
    assertTrue(kit.runCommand(offer(conversationId, attempt)).hasNoEvents());
    drain(2);
    kit.runCommand(new AssignmentConfirmed(conversationId, HoldToken.round(attempt)));
    manualTime.timePasses(settings.confirmFlushInterval());
    assertTrue(kit.getState().hold(conversationId).confirmed());
  }

  /** A transfer's offer: a reservation persisted ({@code Reserved}), not yet confirmed; drains AssignTo and the status. */
  private void transferReserve(String conversationId, int attempt) {
    Offer transfer = new Offer(request(conversationId, attempt), HoldToken.round(attempt), TEAM, POLICY, true, null,
        null);
    assertEquals(1, kit.runCommand(transfer).events().size());
    drain(2);
  }

  private void drain(int messages) {
    for (int i = 0; i < messages; i++) sent.expectMessageClass(Sent.class);
  }

  private AgentStatus status(Presence presence, AgentProfile profile, Map<String, Integer> load, Instant lastAssigned) {
    return new AgentStatus(agentId, presence, profile, load, load.values().stream().mapToInt(i -> i).sum(),
        lastAssigned);
  }

  private Object lastPersisted() {
    List<Object> events = kit.persistenceTestKit()
        .persistedInStorage(PersistenceId.of(Agent.ENTITY_TYPE_KEY.name(), agentId).id());
    return events.get(events.size() - 1);
  }

  private AgentStatus expectStatus() {
    return expectSent("team " + TEAM, Team.AgentStatusChanged.class).status();
  }

  /** The next thing the agent sent: to {@code to}, of {@code type}. */
  private <T> T expectSent(String to, Class<T> type) {
    Sent s = sent.expectMessageClass(Sent.class);
    assertEquals(to, s.to(), "sent " + s.command());
    return assertInstanceOf(type, s.command(), "sent to " + to);
  }
}

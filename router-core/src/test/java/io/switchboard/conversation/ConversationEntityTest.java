package io.switchboard.conversation;

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
import io.switchboard.Storable;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation.AgentReplied;
import io.switchboard.conversation.Conversation.AgentReply;
import io.switchboard.conversation.Conversation.AssignTo;
import io.switchboard.conversation.Conversation.Assigned;
import io.switchboard.conversation.Conversation.Command;
import io.switchboard.conversation.Conversation.Event;
import io.switchboard.conversation.Conversation.Inbound;
import io.switchboard.conversation.Conversation.MessageReceived;
import io.switchboard.conversation.Conversation.Rerouted;
import io.switchboard.conversation.Conversation.Resolve;
import io.switchboard.conversation.Conversation.Resolved;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.RoutingRequest;
import io.switchboard.team.Team;
import io.switchboard.testkit.EntityTestKit;
import io.switchboard.testkit.EntityTestKit.Sent;
import io.switchboard.testkit.ManualClock;
import io.switchboard.testkit.RecordingObserver;
import io.switchboard.testkit.ScriptedPorts;
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
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.SerializationSettings;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The conversation entity alone, command by command, with Pekko's {@link EventSourcedBehaviorTestKit}:
 * which events each command persists, the state they lead to, the reply, and what the conversation told
 * its team and agents (a recording {@link Directory}: no team or agent runs here, so nothing answers and
 * every step is driven by the test). The system-level tests (ConversationClocksTest, RefusalsTest, ...)
 * run the three entities together; these pin down one entity's contract.
 *
 * <p>{@code preroute-timeout = off}: an opening message is stored first and its team then asked with
 * {@link Team.RequestAgent}. With the probe on, the message is held in memory (no event, no reply) until
 * the team answers, which is the system tests' business (PreRoutingTest).
 *
 * <p>The testkit's serialization checks stay on, equality included: every command, event, state and reply
 * goes through Jackson CBOR and must come back equal (the replyTo references serialize as actor paths).
 * Only the lone-surrogate case turns the command check off, because such a command cannot be serialized
 * at all, which is exactly why the entity refuses it before persisting.
 */
class ConversationEntityTest {

  static final String TEAM = "cet/sales";
  static final String ANA = "cet/ana";
  static final String BEN = "cet/ben";

  static final ActorTestKit testKit = ActorTestKit.create(EntityTestKit.config("switchboard.core.preroute-timeout = off\n"));
  static final ManualTime manualTime = ManualTime.get(testKit.system());
  /** Reads ManualTime's scheduler: the entity's clock and its timers move together. */
  static final ManualClock clock = EntityTestKit.clockOf(testKit);
  static final CoreSettings settings = CoreSettings.from(testKit.system().settings().config());
  static final AtomicInteger contacts = new AtomicInteger();


  TestProbe<Sent> sent;
  String conversationId;
  EventSourcedBehaviorTestKit<Command, Event, State> kit;
  /** The clock when the test started (ManualTime is shared by the tests of this class and only moves forward). */
  Instant t0;


  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void start() {
    start(EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
  }

  private void start(SerializationSettings serialization) {
    sent = testKit.createTestProbe(Sent.class);
    conversationId = EntityIds.conversationId("cet", "whatsapp", "55" + contacts.incrementAndGet());
    Directory directory = EntityTestKit.recording(sent.ref());
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        Conversation.create(conversationId, directory, clock, settings, new RecordingObserver(), new ScriptedPorts()),
        serialization);
    t0 = clock.instant();
  }

  // ---- an opening message ----

  @Test
  void anOpeningMessageIsStoredAndItsTeamAskedForAnAgent() {
    CommandResultWithReply<Command, Event, State, Outcome> r = inbound("m1", "hello");

    assertEquals(Outcome.ok("accepted"), r.reply());
    assertEquals(1, r.events().size(), r.events().toString());
    MessageReceived e = r.eventOfType(MessageReceived.class);
    assertEquals("m1", e.messageId());
    assertEquals("hello", e.text());
    assertEquals(TEAM, e.team());
    assertEquals(t0, e.at());
    assertEquals(t0.plus(settings.serviceWindow()), e.serviceWindowClosesAt());
    assertNull(e.replyDeadline(), "nobody is assigned: no reply window yet");
    assertTrue(e.opensEpisode());
    assertFalse(e.startsReplyWindow());

    State s = r.state();
    assertEquals(Status.WAITING, s.status());
    assertEquals(TEAM, s.team());
    assertEquals(1, s.attempt());
    assertEquals(t0, s.round().waitingSince());
    assertEquals(1, s.contact().episodes());
    assertEquals(1, s.contact().messages());
    assertTrue(s.awaitingReply());
    assertEquals(List.of("m1"), s.recentMessageIds());

    RoutingRequest request = expectSent("team " + TEAM, Team.RequestAgent.class).request();
    assertEquals(conversationId, request.conversationId());
    assertEquals(1, request.attempt());
    assertEquals(t0, request.waitingSince());
    sent.expectNoMessage();
  }

  @Test
  void theSameMessageIdAgainIsAcknowledgedWithoutASecondEvent() {
    State first = inbound("m1", "hello").state();
    expectSent("team " + TEAM, Team.RequestAgent.class);

    CommandResultWithReply<Command, Event, State, Outcome> again = inbound("m1", "hello");
    assertTrue(again.hasNoEvents(), again.events().toString());
    assertEquals(Outcome.duplicate("duplicate message m1 already accepted"), again.reply());
    assertTrue(again.reply().alreadyAccepted());
    assertEquals(first, again.state());
    sent.expectNoMessage(); // the team is not asked a second time
  }

  // ---- assignment ----

  @Test
  void anAgentHoldingTheCurrentRoundIsAssignedAndConfirmed() {
    openAndDrain();

    CommandResultWithReply<Command, Event, State, Outcome> r = kit.runCommand(
        to -> new AssignTo(ANA, HoldToken.round(1), TEAM, null, to));

    assertEquals(Outcome.ok("assigned to " + ANA), r.reply());
    assertEquals(1, r.events().size(), r.events().toString());
    Assigned e = r.eventOfType(Assigned.class);
    assertEquals(ANA, e.agentId());
    assertEquals(HoldToken.round(1), e.hold());
    assertEquals(TEAM, e.team());
    assertEquals(settings.defaultPolicy(), e.policy(), "an offer without a policy: the default one");
    assertEquals(t0, e.at());
    assertEquals(t0.plus(settings.defaultPolicy().replyWindow()), e.replyDeadline(), "the contact waits: a reply window");
    assertNull(e.idleDeadline(), "no idle clock while the contact waits for an answer");

    State s = r.state();
    assertEquals(Status.ASSIGNED, s.status());
    assertEquals(ANA, s.agentId());
    assertEquals(HoldToken.round(1), s.hold());
    assertEquals(t0, s.assignment().assignedAt());
    assertEquals(e.replyDeadline(), s.replyDeadline());

    Agent.AssignmentConfirmed confirmed = expectSent("agent " + ANA, Agent.AssignmentConfirmed.class);
    assertEquals(new Agent.AssignmentConfirmed(conversationId, HoldToken.round(1), null), confirmed);
    assertEquals(new Team.Withdraw(conversationId, 1), expectSent("team " + TEAM, Team.Withdraw.class),
        "the team stops offering a conversation that is taken");
    sent.expectNoMessage();
  }

  @Test
  void aHoldFromAnOlderRoundIsRefusedAndReleased() {
    State waiting = openAndDrain();

    CommandResultWithReply<Command, Event, State, Outcome> r = kit.runCommand(
        to -> new AssignTo(ANA, HoldToken.round(0), TEAM, null, to));

    assertTrue(r.hasNoEvents(), r.events().toString());
    assertFalse(r.reply().ok());
    assertEquals("offer_expired", r.reply().code());
    assertEquals(waiting, r.state());
    assertEquals(new Agent.Release(conversationId, HoldToken.round(0)), expectSent("agent " + ANA, Agent.Release.class),
        "the agent un-reserves the stale hold");
    sent.expectNoMessage();
  }

  // ---- the agent's reply ----

  @Test
  void theAssignedAgentsReplyIsStoredAndAnotherAgentsRefused() {
    assignAna();

    CommandResultWithReply<Command, Event, State, Outcome> r = kit.runCommand(
        to -> new AgentReply(ANA, "how can I help?", false, to));
    assertEquals(Outcome.ok("reply sent"), r.reply());
    assertEquals(1, r.events().size(), r.events().toString());
    AgentReplied e = r.eventOfType(AgentReplied.class);
    assertEquals(ANA, e.agentId());
    assertFalse(e.template());
    assertEquals(t0, e.at());
    assertTrue(e.firstOfAssignment());
    assertEquals(t0.plus(settings.defaultPolicy().idleAutoResolve()), e.idleDeadline());
    assertTrue(r.state().answered());
    assertFalse(r.state().awaitingReply());
    assertNull(r.state().replyDeadline(), "answered: the reply window is over");

    State answered = r.state();
    CommandResultWithReply<Command, Event, State, Outcome> other = kit.runCommand(
        to -> new AgentReply(BEN, "me too", false, to));
    assertTrue(other.hasNoEvents(), other.events().toString());
    assertFalse(other.reply().ok());
    assertEquals("not_assigned", other.reply().code());
    assertEquals(answered, other.state());
    sent.expectNoMessage();
  }

  // ---- resolve ----

  @Test
  void resolvingEndsTheEpisodeAndReleasesTheAgentOnce() {
    assignAna();

    CommandResultWithReply<Command, Event, State, Outcome> r = kit.runCommand(to -> new Resolve("cet/sup", to));
    assertEquals(Outcome.ok("resolved"), r.reply());
    assertEquals(1, r.events().size(), r.events().toString());
    Resolved e = r.eventOfType(Resolved.class);
    assertEquals(ANA, e.agentId());
    assertEquals(HoldToken.round(1), e.hold());
    assertEquals("resolved by cet/sup", e.reason());
    assertEquals(t0, e.at());
    State s = r.state();
    assertEquals(Status.RESOLVED, s.status());
    assertNull(s.agentId());
    assertEquals(ANA, s.contact().previousAgent(), "the contact's next episode prefers her");
    assertEquals(List.of(new Conversation.Release(ANA, HoldToken.round(1))), s.releases(), "re-sent until acknowledged");
    assertEquals(new Agent.Release(conversationId, HoldToken.round(1)), expectSent("agent " + ANA, Agent.Release.class));
    sent.expectNoMessage();

    CommandResultWithReply<Command, Event, State, Outcome> again = kit.runCommand(to -> new Resolve("cet/sup", to));
    assertTrue(again.hasNoEvents(), again.events().toString());
    assertFalse(again.reply().ok());
    assertEquals("not_open", again.reply().code());
    assertEquals(s, again.state());
    sent.expectNoMessage();
  }

  // ---- recovery ----

  @Test
  void aRestartRecoversTheAssignmentAndRearmsTheReplyWindowAtItsOriginalDeadline() {
    State assigned = assignAna();
    Instant deadline = assigned.replyDeadline();
    Duration window = settings.defaultPolicy().replyWindow();
    String pid = PersistenceId.of(Conversation.ENTITY_TYPE_KEY.name(), conversationId).id();

    manualTime.timePasses(Duration.ofMinutes(2));
    assertEquals(assigned, kit.restart().state(), "recovered from its events");
    assertEquals(assigned, kit.getState());
    sent.expectNoMessage(); // an assigned conversation re-sends nothing on recovery

    // the old incarnation (and its timer) is gone: what fires now was armed on RecoveryCompleted, for the
    // persisted deadline (t0 + window), not for a fresh window from the restart
    manualTime.timePasses(window.minus(Duration.ofMinutes(2)).minusSeconds(1));
    sent.expectNoMessage();
    assertEquals(Status.ASSIGNED, kit.getState().status());

    manualTime.timePasses(Duration.ofSeconds(1));
    assertEquals(new Agent.Release(conversationId, HoldToken.round(1)), expectSent("agent " + ANA, Agent.Release.class));
    RoutingRequest request = expectSent("team " + TEAM, Team.RequestAgent.class).request();
    assertEquals(2, request.attempt(), "a new round");
    assertEquals(Set.of(ANA), request.need().excludedAgents(), "the silent agent is left out");

    Object last = kit.persistenceTestKit().persistedInStorage(pid).get(2);
    Rerouted rerouted = assertInstanceOf(Rerouted.class, last);
    assertEquals(new Rerouted(ANA, HoldToken.round(1), "reply_window_lapsed", true, deadline), rerouted);
    State s = kit.getState();
    assertEquals(Status.WAITING, s.status());
    assertEquals(2, s.attempt());
    assertEquals(1, s.round().reroutes());
    assertEquals(Map.of("reply_window_lapsed", 1), s.round().reroutesByCause());
  }

  // ---- input the journal cannot hold ----

  @Test
  void aMessageWithANulCharacterIsRefusedAndTheNextOneStored() {
    CommandResultWithReply<Command, Event, State, Outcome> r = inbound("m1", "hi \u0000");
    assertTrue(r.hasNoEvents(), r.events().toString());
    assertFalse(r.reply().ok());
    assertEquals(Storable.REFUSAL_CODE, r.reply().code());
    assertTrue(r.reply().message().startsWith("text: NUL character at index 3"), r.reply().message());
    assertEquals(State.empty(), r.state());
    sent.expectNoMessage();

    CommandResultWithReply<Command, Event, State, Outcome> next = inbound("m2", "hi");
    assertEquals(Outcome.ok("accepted"), next.reply());
    assertEquals("m2", next.eventOfType(MessageReceived.class).messageId());
    assertEquals(Status.WAITING, next.state().status());
    expectSent("team " + TEAM, Team.RequestAgent.class);
  }

  @Test
  void aMessageWithALoneSurrogateIsRefusedAndTheNextOneStored() {
    // CBOR cannot write a lone surrogate, so the testkit's own check of the command would fail first:
    // commands are not checked here; events, state and replies still are
    start(EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true)
        .withVerifyCommands(false));
    CommandResultWithReply<Command, Event, State, Outcome> r = kit.runCommand(to -> new Inbound("m1", "hi",
        RoutingHint.toTeam(TEAM), null, null, Map.of("name", "Jos\ud83d"), to));
    assertTrue(r.hasNoEvents(), r.events().toString());
    assertEquals(Storable.REFUSAL_CODE, r.reply().code());
    assertTrue(r.reply().message().startsWith("fields[name]: lone UTF-16 surrogate at index 3"), r.reply().message());
    assertEquals(State.empty(), r.state());

    CommandResultWithReply<Command, Event, State, Outcome> next = kit.runCommand(to -> new Inbound("m2", "hi",
        RoutingHint.toTeam(TEAM), null, null, Map.of("name", "José 😀"), to));
    assertEquals(Outcome.ok("accepted"), next.reply());
    assertEquals("José 😀", next.state().contactFields().get("name"), "4-byte characters are stored");
    expectSent("team " + TEAM, Team.RequestAgent.class);
  }

  // ---- helpers ----

  private CommandResultWithReply<Command, Event, State, Outcome> inbound(String messageId, String text) {
    return kit.runCommand(to -> new Inbound(messageId, text, RoutingHint.toTeam(TEAM), to));
  }

  /** An opening message, its team asked: WAITING in round 1. */
  private State openAndDrain() {
    State s = inbound("m1", "hello").state();
    expectSent("team " + TEAM, Team.RequestAgent.class);
    return s;
  }

  /** Ana holds round 1's offer and is assigned; what the conversation sent on the way is drained. */
  private State assignAna() {
    openAndDrain();
    CommandResultWithReply<Command, Event, State, Outcome> r = kit.runCommand(
        to -> new AssignTo(ANA, HoldToken.round(1), TEAM, null, to));
    assertTrue(r.reply().ok(), r.reply().toString());
    expectSent("agent " + ANA, Agent.AssignmentConfirmed.class);
    expectSent("team " + TEAM, Team.Withdraw.class);
    return r.state();
  }

  /** The next thing the conversation sent: to {@code to}, of {@code type}. */
  private <T> T expectSent(String to, Class<T> type) {
    Sent s = sent.expectMessageClass(Sent.class);
    assertEquals(to, s.to(), "sent " + s.command());
    return assertInstanceOf(type, s.command(), "sent to " + to);
  }
}

package io.switchboard.team;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.HoldToken;
import io.switchboard.CoreSettings;
import io.switchboard.Directory;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.agent.AgentStatus;
import io.switchboard.conversation.Conversation;
import io.switchboard.routing.Need;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingRequest;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.Team.AgentStatusChanged;
import io.switchboard.team.Team.Command;
import io.switchboard.team.Team.Configure;
import io.switchboard.team.Team.Configured;
import io.switchboard.team.Team.Dequeued;
import io.switchboard.team.Team.Enqueued;
import io.switchboard.team.Team.Event;
import io.switchboard.team.Team.QueueEntry;
import io.switchboard.team.Team.RequestAgent;
import io.switchboard.team.Team.State;
import io.switchboard.team.Team.View;
import io.switchboard.team.Team.Withdraw;
import io.switchboard.testkit.EntityTestKit;
import io.switchboard.testkit.EntityTestKit.Sent;
import io.switchboard.testkit.ManualClock;
import io.switchboard.testkit.RecordingObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * The team entity alone, command by command, with Pekko's {@link EventSourcedBehaviorTestKit}: which events
 * each command persists, the state they lead to, the reply, and what the team told conversations and agents
 * (a recording {@link Directory}: no agent or conversation runs here, so the test plays the members by sending
 * their {@link AgentStatusChanged} itself). The same setup as ConversationEntityTest; the system-level tests
 * (TeamRoutingTest, SaturatedTeamBacklogTest) run the three entities together.
 *
 * <p>The testkit's serialization checks stay on, equality included.
 */
class TeamEntityTest {

  static final String ANA = "tet/ana";
  static final String BEN = "tet/ben";
  static final String CY = "tet/cy";
  static final String CHANNEL = "whatsapp";

  static final ActorTestKit testKit = ActorTestKit.create(EntityTestKit.config(""));
  static final ManualTime manualTime = ManualTime.get(testKit.system());
  /** Reads ManualTime's scheduler: the entity's clock and its timers move together. */
  static final ManualClock clock = EntityTestKit.clockOf(testKit);
  static final CoreSettings settings = CoreSettings.from(testKit.system().settings().config());
  static final AtomicInteger ids = new AtomicInteger();


  TestProbe<Sent> sent;
  /** A team per test: the tests share the journal (and ManualTime, which only moves forward). */
  String teamId;
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
    teamId = "tet/team" + ids.incrementAndGet();
    Directory directory = EntityTestKit.recording(sent.ref());
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        Team.create(teamId, directory, clock, settings, new RecordingObserver()),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    t0 = clock.instant();
  }

  // ---- configuration and members ----

  @Test
  void configureIsPersistedAnsweredOkAndTellsEachMemberItJoined() {
    TeamConfig config = roundRobin(ANA, BEN);

    CommandResultWithReply<Command, Event, State, Outcome> r = kit.runCommand(to -> new Configure(config, to));

    assertEquals(Outcome.ok("team " + teamId + " configured"), r.reply());
    assertEquals(List.of(new Configured(config)), r.events());
    assertEquals(new State(config, List.of()), r.state());
    assertEquals(new Agent.JoinTeam(teamId), expectSent("agent " + ANA, Agent.JoinTeam.class));
    assertEquals(new Agent.JoinTeam(teamId), expectSent("agent " + BEN, Agent.JoinTeam.class),
        "each member is asked to announce its status");
    sent.expectNoMessage();
  }

  @Test
  void aMembersStatusIsKeptAndAStrangersIsAnsweredWithLeaveTeam() {
    configure(roundRobin(ANA, BEN));
    AgentStatus ana = online(ANA, 2);

    CommandResult<Command, Event, State> r = kit.runCommand(new AgentStatusChanged(ana));
    assertTrue(r.hasNoEvents(), "member statuses are soft state: " + r.events());
    sent.expectNoMessage(); // nothing waits: nothing to offer

    CommandResult<Command, Event, State> stranger = kit.runCommand(new AgentStatusChanged(online("tet/zoe", 2)));
    assertTrue(stranger.hasNoEvents(), stranger.events().toString());
    assertEquals(new Agent.LeaveTeam(teamId), expectSent("agent tet/zoe", Agent.LeaveTeam.class));
    sent.expectNoMessage();

    View view = kit.<View>runCommand(Team.Get::new).reply();
    assertEquals(Map.of(ANA, ana), view.members(), "Ben said nothing yet, the stranger is not kept");
  }

  // ---- requests ----

  @Test
  void aRequestIsOfferedToAnAvailableMemberWithTheRoundAsItsHold() {
    TeamConfig config = configure(roundRobin(ANA, BEN));
    kit.runCommand(new AgentStatusChanged(online(ANA, 2)));
    RoutingRequest req = request("1", 3);

    CommandResult<Command, Event, State> r = kit.runCommand(new RequestAgent(req));

    assertTrue(r.hasNoEvents(), "an offer is not persisted: " + r.events());
    assertEquals(List.of(), r.state().queue());
    Agent.Offer offer = expectSent("agent " + ANA, Agent.Offer.class);
    assertEquals(new Agent.Offer(req, HoldToken.round(3), teamId, config.policy(), false, null, t0), offer);
    sent.expectNoMessage();

    // the conversation re-sends its request (redelivery): the round was offered, nobody else is reserved
    assertTrue(kit.runCommand(new RequestAgent(req)).hasNoEvents());
    sent.expectNoMessage();
  }

  @Test
  void withNobodyAvailableTheRequestIsQueuedAndOfferedWhenAMemberComesOnline() {
    TeamConfig config = configure(roundRobin(ANA));
    kit.runCommand(new AgentStatusChanged(status(ANA, Presence.OFFLINE, 2)));
    RoutingRequest req = request("1", 1);

    CommandResult<Command, Event, State> r = kit.runCommand(new RequestAgent(req));

    QueueEntry entry = new QueueEntry(req, "no_agent_available", t0, null);
    assertEquals(List.of(new Enqueued(entry)), r.events());
    assertEquals(List.of(entry), r.state().queue());
    assertEquals(new Conversation.Queued(teamId, 1, "no_agent_available", config.policy()),
        expectSent("conversation " + req.conversationId(), Conversation.Queued.class));
    sent.expectNoMessage();

    // asked again for the same round: told again it is queued, nothing persisted
    assertTrue(kit.runCommand(new RequestAgent(req)).hasNoEvents());
    expectSent("conversation " + req.conversationId(), Conversation.Queued.class);

    CommandResult<Command, Event, State> online = kit.runCommand(new AgentStatusChanged(online(ANA, 2)));
    assertEquals(List.of(new Dequeued(req.conversationId(), "offered", t0)), online.events());
    assertEquals(List.of(), online.state().queue());
    assertEquals(new Agent.Offer(req, HoldToken.round(1), teamId, config.policy(), false, null, t0),
        expectSent("agent " + ANA, Agent.Offer.class));
    sent.expectNoMessage();
  }

  @Test
  void roundRobinOverThreeAvailableMembersIsExactOverSixRequests() {
    configure(roundRobin(ANA, BEN, CY));
    for (String a : List.of(ANA, BEN, CY)) kit.runCommand(new AgentStatusChanged(online(a, 10)));

    List<String> offeredTo = new ArrayList<>();
    Instant previous = Instant.MIN;
    for (int i = 1; i <= 6; i++) {
      RoutingRequest req = request(String.valueOf(i), 1);
      assertTrue(kit.runCommand(new RequestAgent(req)).hasNoEvents());
      Sent s = sent.expectMessageClass(Sent.class);
      Agent.Offer offer = assertInstanceOf(Agent.Offer.class, s.command());
      assertEquals(req, offer.request());
      assertTrue(offer.offeredAt().isAfter(previous), "each offer of the team is later than the one before");
      previous = offer.offeredAt();
      offeredTo.add(s.to());
    }
    assertEquals(List.of("agent " + ANA, "agent " + BEN, "agent " + CY, "agent " + ANA, "agent " + BEN,
        "agent " + CY), offeredTo);
    sent.expectNoMessage();
  }

  @Test
  void withdrawRemovesAQueuedRequest() {
    configure(roundRobin(ANA));
    RoutingRequest req = request("1", 2);
    kit.runCommand(new RequestAgent(req)); // nobody announced: queued
    expectSent("conversation " + req.conversationId(), Conversation.Queued.class);

    CommandResult<Command, Event, State> older = kit.runCommand(new Withdraw(req.conversationId(), 1));
    assertTrue(older.hasNoEvents(), "a withdraw of an older round leaves the newer entry: " + older.events());
    assertEquals(1, older.state().queue().size());

    CommandResult<Command, Event, State> r = kit.runCommand(new Withdraw(req.conversationId(), 2));
    assertEquals(List.of(new Dequeued(req.conversationId(), "withdrawn", t0)), r.events());
    assertEquals(List.of(), r.state().queue());
    sent.expectNoMessage();

    // a member coming online has nothing to drain
    assertTrue(kit.runCommand(new AgentStatusChanged(online(ANA, 2))).hasNoEvents());
    sent.expectNoMessage();
  }

  // ---- recovery ----

  @Test
  void aRestartKeepsConfigAndQueueAndRoutesNothingUntilTheMembersAnnouncedOrTheWaitPassed() {
    TeamConfig config = configure(roundRobin(ANA, BEN));
    RoutingRequest queued = request("1", 1);
    kit.runCommand(new RequestAgent(queued)); // nobody announced: queued
    expectSent("conversation " + queued.conversationId(), Conversation.Queued.class);
    State before = kit.getState();

    assertEquals(before, kit.restart().state(), "config and queue recovered from the events");
    assertEquals(config, kit.getState().config());
    assertEquals(new Agent.JoinTeam(teamId), expectSent("agent " + ANA, Agent.JoinTeam.class));
    assertEquals(new Agent.JoinTeam(teamId), expectSent("agent " + BEN, Agent.JoinTeam.class),
        "every member is asked to announce itself again");
    assertEquals(new Conversation.QueueCheck(teamId, 1),
        expectSent("conversation " + queued.conversationId(), Conversation.QueueCheck.class));
    sent.expectNoMessage();
    assertEquals(Map.of(), kit.<View>runCommand(Team.Get::new).reply().members(), "statuses are not persisted");

    // Ana announces, Ben does not: the queue does not drain and a new request waits in the stash
    assertTrue(kit.runCommand(new AgentStatusChanged(online(ANA, 5))).hasNoEvents());
    RoutingRequest fresh = request("2", 1);
    assertTrue(kit.runCommand(new RequestAgent(fresh)).hasNoEvents());
    manualTime.timePasses(settings.memberStatusWait().minusMillis(1));
    sent.expectNoMessage();
    assertEquals(before.queue(), kit.getState().queue());

    // member-status-wait passes: the team routes with the statuses that came
    manualTime.timePasses(Duration.ofMillis(1));
    Agent.Offer drained = expectSent("agent " + ANA, Agent.Offer.class);
    assertEquals(queued, drained.request());
    assertEquals(HoldToken.round(1), drained.hold());
    Agent.Offer stashed = expectSent("agent " + ANA, Agent.Offer.class);
    assertEquals(fresh, stashed.request(), "the stashed request is routed after the queue");
    sent.expectNoMessage();
    assertEquals(List.of(), kit.getState().queue());
    Instant passed = t0.plus(settings.memberStatusWait());
    assertEquals(new Dequeued(queued.conversationId(), "offered", passed),
        kit.persistenceTestKit().persistedInStorage(persistenceId()).get(2));
  }

  @Test
  void aRestartedTeamRoutesOnceEveryMemberAnnouncedAndContinuesRoundRobinAfterTheLastAssigned() {
    configure(roundRobin(ANA, BEN, CY));
    kit.restart();
    for (String a : List.of(ANA, BEN, CY)) expectSent("agent " + a, Agent.JoinTeam.class);

    RoutingRequest req = request("1", 1);
    assertTrue(kit.runCommand(new RequestAgent(req)).hasNoEvents());
    // Ana was offered a conversation last (the agents persist that time): the cursor continues after her
    kit.runCommand(new AgentStatusChanged(assignedAt(ANA, t0.minusSeconds(10))));
    kit.runCommand(new AgentStatusChanged(assignedAt(BEN, t0.minusSeconds(30))));
    sent.expectNoMessage();
    kit.runCommand(new AgentStatusChanged(assignedAt(CY, t0.minusSeconds(20))));

    Agent.Offer offer = expectSent("agent " + BEN, Agent.Offer.class);
    assertEquals(req, offer.request());
    sent.expectNoMessage();
  }

  // ---- helpers ----

  private static TeamConfig roundRobin(String... members) {
    return TeamConfig.of(List.of(members), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5));
  }

  /** Configures the team and drains the JoinTeam messages it sends. */
  private TeamConfig configure(TeamConfig config) {
    assertTrue(kit.<Outcome>runCommand(to -> new Configure(config, to)).reply().ok());
    for (String a : config.members()) expectSent("agent " + a, Agent.JoinTeam.class);
    return config;
  }

  private RoutingRequest request(String contact, int attempt) {
    return new RoutingRequest(EntityIds.conversationId("tet", CHANNEL, teamId.substring(4) + "-" + contact),
        attempt, 0, Need.of(CHANNEL), t0);
  }

  private static AgentStatus online(String agentId, int capacity) {
    return status(agentId, Presence.ONLINE, capacity);
  }

  private static AgentStatus status(String agentId, Presence presence, int capacity) {
    return new AgentStatus(agentId, presence, AgentProfile.withCapacity(capacity), Map.of(), 0, null);
  }

  /** Online with room, holding one conversation reserved at {@code at}. */
  private static AgentStatus assignedAt(String agentId, Instant at) {
    return new AgentStatus(agentId, Presence.ONLINE, AgentProfile.withCapacity(5), Map.of(CHANNEL, 1), 1, at);
  }

  private String persistenceId() {
    return PersistenceId.of(Team.ENTITY_TYPE_KEY.name(), teamId).id();
  }

  /** The next thing the team sent: to {@code to}, of {@code type}. */
  private <T> T expectSent(String to, Class<T> type) {
    Sent s = sent.expectMessageClass(Sent.class);
    assertEquals(to, s.to(), "sent " + s.command());
    return assertInstanceOf(type, s.command(), "sent to " + to);
  }
}

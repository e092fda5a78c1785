package io.switchboard.team;

import io.switchboard.HoldToken;
import io.switchboard.CoreSettings;
import io.switchboard.Directory;
import io.switchboard.Outcome;
import io.switchboard.RoutingObserver;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentStatus;
import io.switchboard.conversation.Conversation;
import io.switchboard.entity.CommandGuard;
import io.switchboard.entity.DeadlineTimers;
import io.switchboard.entity.Idleness;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingRequest;
import io.switchboard.routing.Strategies;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.OfferBook.Offered;
import io.switchboard.team.Team.AgentStatusChanged;
import io.switchboard.team.Team.BusinessHoursOpened;
import io.switchboard.team.Team.CheckQueue;
import io.switchboard.team.Team.Command;
import io.switchboard.team.Team.Configure;
import io.switchboard.team.Team.Configured;
import io.switchboard.team.Team.Dequeued;
import io.switchboard.team.Team.Enqueued;
import io.switchboard.team.Team.Event;
import io.switchboard.team.Team.Get;
import io.switchboard.team.Team.IdleCheck;
import io.switchboard.team.Team.MemberStatusWaitOver;
import io.switchboard.team.Team.OfferAccepted;
import io.switchboard.team.Team.OfferDeclined;
import io.switchboard.team.Team.OpeningPassed;
import io.switchboard.team.Team.Passivate;
import io.switchboard.team.Team.ProbeAgent;
import io.switchboard.team.Team.QueueDeadlineReached;
import io.switchboard.team.Team.QueueEntry;
import io.switchboard.team.Team.RequestAgent;
import io.switchboard.team.Team.State;
import io.switchboard.team.Team.View;
import io.switchboard.team.Team.Withdraw;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The behaviour of one {@link Team}: routing requests and probes, offers and their answers, the queue and its
 * drain, business hours and queue-wait deadlines, the wait for members' statuses after a recovery. Its protocol
 * is nested in {@link Team}; its offers in flight and round-robin cursor are in {@link OfferBook}. The member
 * statuses, the offer book and the fields below are soft state of this incarnation, never persisted.
 */
final class TeamEntity extends EventSourcedBehavior<Command, Event, State> {

  /** Drains at most this many queue entries per status change, so one message never does unbounded work. */
  private static final int DRAIN_BATCH = 500;

  private final String teamId;
  private final TimerScheduler<Command> timers;
  private final DeadlineTimers<Command> deadlines;
  private final Directory directory;
  private final Clock clock;
  private final CoreSettings settings;
  private final RoutingObserver observer;
  private final Map<String, AgentStatus> members = new LinkedHashMap<>();
  private final OfferBook offers;
  /**
   * After a recovery, the members whose status has not come yet: until it is empty or
   * {@code member-status-wait} passes, requests wait in the stash and the queue does not drain (routing
   * from the first members to answer gave them everything meanwhile). Null: routing.
   */
  private Set<String> awaitingStatus;
  /** The opening the BusinessHoursOpened timer waits for. */
  private Instant openingArmedFor;
  private final ActorContext<Command> context;
  private final Consumer<ActorRef<Command>> passivation;
  private final Idleness idleness;

  TeamEntity(String teamId, ActorContext<Command> context, TimerScheduler<Command> timers,
      DeadlineTimers<Command> deadlines, Directory directory, Clock clock, CoreSettings settings,
      RoutingObserver observer, Consumer<ActorRef<Command>> passivation) {
    super(PersistenceId.of(Team.ENTITY_TYPE_KEY.name(), teamId),
        settings.onPersistFailure());
    this.context = context;
    this.passivation = passivation;
    this.idleness = new Idleness(clock, settings.passivateAfter());
    this.offers = new OfferBook(settings.redeliveryInterval(), settings.queueCheckInterval());
    this.teamId = teamId;
    this.timers = timers;
    this.deadlines = deadlines;
    this.directory = directory;
    this.clock = clock;
    this.settings = settings;
    this.observer = observer;
  }

  /** Persists queue changes and tells the observer the new queue length. */
  private EffectBuilder<Event, State> persistQueue(List<Event> events) {
    return Effect().persist(events).thenRun(ns -> observer.queueLength(teamId, ns.queue().size()));
  }

  @Override
  public State emptyState() {
    return new State(null, List.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return settings.retention();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (state.config() != null && !state.config().members().isEmpty()) {
            awaitingStatus = new HashSet<>(state.config().members());
            timers.startSingleTimer(MemberStatusWaitOver.class, new MemberStatusWaitOver(), settings.memberStatusWait());
            state.config().members().forEach(a -> directory.agent(a, new Agent.JoinTeam(teamId)));
          }
          checkQueue(state);
          armTimers(state);
          if (passivation != null && lastSequenceNumber(context) == 0) {
            idleness.startChecks(timers, new IdleCheck());
          }
        })
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return idleness.tracking(CommandGuard.storable("team", teamId, c -> c instanceof Get || c instanceof Passivate,
        context.getLog(), Effect(), handlers()), IdleCheck.class);
  }

  private CommandHandler<Command, Event, State> handlers() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Configure.class, this::onConfigure)
        .onCommand(RequestAgent.class, (s, c) -> awaitingStatus != null ? Effect().stash() : route(s, c.request(), false))
        .onCommand(ProbeAgent.class, (s, c) -> {
          if (awaitingStatus == null) return route(s, c.request(), true);
          // an opening message is not held up: its conversation stores it and asks again with RequestAgent
          directory.conversation(c.request().conversationId(), new Conversation.NoAgentNow(teamId, c.request().attempt()));
          return Effect().none();
        })
        .onCommand(OfferDeclined.class, (s, c) -> awaitingStatus != null ? Effect().stash() : onOfferDeclined(s, c))
        .onCommand(MemberStatusWaitOver.class, (s, c) -> awaitingStatus == null ? Effect().none() : membersKnown(s))
        .onCommand(OfferAccepted.class, (s, c) -> {
          offers.accepted(c.conversationId(), c.attempt(), clock.instant());
          return Effect().none();
        })
        .onCommand(Withdraw.class, this::onWithdraw)
        .onCommand(AgentStatusChanged.class, this::onAgentStatus)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(),
            new View(teamId, s.config(), s.queue(), Map.copyOf(members))))
        .onCommand(QueueDeadlineReached.class, this::onQueueDeadline)
        .onCommand(BusinessHoursOpened.class, this::onOpening)
        .onCommand(OpeningPassed.class, this::onOpening)
        .onCommand(CheckQueue.class, (s, c) -> {
          checkQueue(s);
          armTimers(s);
          return Effect().none();
        })
        .onCommand(IdleCheck.class, (s, c) -> {
          idleness.checkUnconfigured(lastSequenceNumber(context), timers, IdleCheck.class,
              () -> passivation.accept(context.getSelf()));
          return Effect().none();
        })
        .onCommand(Passivate.class, (s, c) -> Effect().stop())
        .build();
  }

  private Effect<Event, State> onConfigure(State s, Configure c) {
    List<String> before = s.config() == null ? List.of() : s.config().members();
    return Effect().persist(new Configured(c.config()))
        .thenRun(ns -> {
          for (String a : before) {
            if (!ns.config().members().contains(a)) {
              members.remove(a);
              directory.agent(a, new Agent.LeaveTeam(teamId));
            }
          }
          // Joining also makes each member announce its status, which drains the queue.
          ns.config().members().forEach(a -> directory.agent(a, new Agent.JoinTeam(teamId)));
          if (awaitingStatus != null && awaitingStatus.retainAll(ns.config().members()) && awaitingStatus.isEmpty()) {
            context.getSelf().tell(new MemberStatusWaitOver()); // only former members were still awaited
          }
          armTimers(ns);
        })
        .thenReply(c.replyTo(), ns -> Outcome.ok("team " + teamId + " configured"));
  }

  private Effect<Event, State> route(State s, RoutingRequest req, boolean probe) {
    String convId = req.conversationId();
    if (probe && (s.config() == null || !isOpen(s, clock.instant()) || s.queued(convId).isPresent())) {
      directory.conversation(convId, new Conversation.NoAgentNow(teamId, req.attempt()));
      return Effect().none();
    }
    if (s.config() == null) {
      directory.conversation(convId, new Conversation.TeamCannotServe(teamId, req.attempt(), null,
          "team_not_configured", "team " + teamId + " has no configuration"));
      return Effect().none();
    }
    Optional<QueueEntry> queued = s.queued(convId);
    if (queued.isPresent() && queued.get().request().attempt() == req.attempt()) {
      directory.conversation(convId, queuedNotice(s, queued.get()));
      return Effect().none();
    }
    Offered o = offers.offered(convId);
    Instant now = clock.instant();
    if (offers.acceptedRecently(convId, req.attempt(), now)) {
      // An agent took this round a moment ago and its AssignTo is on the way (re-sent by the agent until
      // answered): a request crossing that acceptance must not reserve a second agent or move the cursor.
      if (probe) directory.conversation(convId, new Conversation.NoAgentNow(teamId, req.attempt()));
      return Effect().none();
    }
    if (o != null && o.attempt() == req.attempt()) {
      // This round was offered already: wait for the answer, or re-send the same offer to the same agent
      // (idempotent there). Picking someone else would reserve two agents and move the round-robin cursor.
      // A probe is answered at once: its conversation stores the message and takes that offer's answer then.
      if (probe) directory.conversation(convId, new Conversation.NoAgentNow(teamId, req.attempt()));
      if (offers.resendDue(convId, o, now)) directory.agent(o.agentId(), offerOf(s.config(), req, o.first()));
      return Effect().none();
    }
    List<Event> events = new ArrayList<>();
    queued.ifPresent(e -> events.add(new Dequeued(convId, "replaced", now)));
    if (!isOpen(s, now)) {
      String overflow = s.config().overflowTeam();
      if (overflow != null && !overflow.equals(teamId)) {
        directory.conversation(convId, new Conversation.TeamCannotServe(teamId, req.attempt(), overflow,
            "outside_business_hours", "team " + teamId + " is outside its business hours"));
        return events.isEmpty() ? Effect().none() : persistQueue(events);
      }
      return enqueue(s, events, req, "outside_business_hours", now);
    }
    Optional<String> pick = pick(s.config(), req, now);
    if (probe && pick.isEmpty()) {
      directory.conversation(convId, new Conversation.NoAgentNow(teamId, req.attempt()));
      return Effect().none();
    }
    if (pick.isPresent()) {
      String agent = pick.orElseThrow();
      Runnable send = offer(s.config(), req, agent, now, probe);
      if (events.isEmpty()) {
        send.run();
        return Effect().none();
      }
      return persistQueue(events).thenRun(ns -> send.run());
    }
    return enqueue(s, events, req, poolOnly(s.config(), req) ? "waiting_in_pool" : "no_agent_available", now);
  }

  private Effect<Event, State> enqueue(State s, List<Event> events, RoutingRequest req, String reason, Instant now) {
    // The queue-wait clock runs from when the conversation started waiting, not from a re-queue.
    Duration limit = s.config().queueWaitLimit();
    Instant deadline = limit == null ? null : req.waitingSince().plus(limit);
    events.add(new Enqueued(new QueueEntry(req, reason, now, deadline)));
    return persistQueue(events).thenRun(ns -> {
      ns.queued(req.conversationId()).ifPresent(e -> directory.conversation(req.conversationId(), queuedNotice(ns, e)));
      armTimers(ns);
    });
  }

  private Conversation.Queued queuedNotice(State s, QueueEntry e) {
    return new Conversation.Queued(teamId, e.request().attempt(), e.reason(), s.config().policy());
  }

  /** A manual team, or a request the rules left in the pool: only claims (or its preferred agent) take it. */
  private static boolean poolOnly(TeamConfig config, RoutingRequest req) {
    return config.strategy() == StrategyKind.MANUAL || req.need().poolOnly();
  }

  /** Picks with the team's strategy among the members as {@link OfferBook#candidates} counts them. */
  private Optional<String> pick(TeamConfig config, RoutingRequest req, Instant now) {
    if (req.need().poolOnly() && req.need().preferredAgent() == null) return Optional.empty();
    return Strategies.pick(config.strategy(), req.need(),
        offers.candidates(config.members(), members, req.channel(), now), offers.cursor());
  }

  /** Records the offer in the team's soft state and returns the send, to run once events are persisted. */
  private Runnable offer(TeamConfig config, RoutingRequest req, String agent, Instant now, boolean probe) {
    Agent.Offer msg = offerOf(config, req, offers.record(req, agent, now, probe));
    return () -> directory.agent(agent, msg);
  }

  /** The offer of this round: its hold token is the round, so a re-sent offer is the same reservation. */
  private Agent.Offer offerOf(TeamConfig config, RoutingRequest req, Instant offeredAt) {
    return new Agent.Offer(req, HoldToken.round(req.attempt()), teamId, config.policy(), false, null, offeredAt);
  }

  private Effect<Event, State> onOfferDeclined(State s, OfferDeclined c) {
    Offered o = offers.declined(c.request().conversationId(), c.request().attempt(), c.agentId());
    if (o == null) return Effect().none(); // stale: a newer offer or round superseded it
    return route(s, c.request(), o.probe());
  }

  private Effect<Event, State> onWithdraw(State s, Withdraw c) {
    offers.withdrawn(c.conversationId());
    Optional<QueueEntry> q = s.queued(c.conversationId());
    if (q.isEmpty() || q.get().request().attempt() > c.attempt()) return Effect().none();
    return persistQueue(List.of(new Dequeued(c.conversationId(), "withdrawn", clock.instant())))
        .thenRun(this::armTimers);
  }

  private Effect<Event, State> onAgentStatus(State s, AgentStatusChanged c) {
    String agent = c.status().agentId();
    if (s.config() == null || !s.config().members().contains(agent)) {
      directory.agent(agent, new Agent.LeaveTeam(teamId));
      return Effect().none();
    }
    members.put(agent, c.status());
    if (c.accepted() != null) offers.accepted(c.accepted().conversationId(), c.accepted().attempt(), clock.instant());
    if (awaitingStatus != null) {
      awaitingStatus.remove(agent);
      return awaitingStatus.isEmpty() ? membersKnown(s) : Effect().none();
    }
    if (c.status().presence() != Presence.ONLINE || s.queue().isEmpty()) return Effect().none();
    return drain(s);
  }

  /**
   * Every member announced after a recovery (or {@code member-status-wait} passed): the round-robin cursor
   * continues after the member assigned last (it is not persisted), the queue drains and the requests that
   * waited are routed.
   */
  private Effect<Event, State> membersKnown(State s) {
    awaitingStatus = null;
    timers.cancel(MemberStatusWaitOver.class);
    offers.resumeAfter(s.config().members(), members);
    return drain(s).thenUnstashAll();
  }

  /** Offers waiting conversations, in queue order, to whoever has room now. */
  private EffectBuilder<Event, State> drain(State s) {
    Instant now = clock.instant();
    if (awaitingStatus != null || s.config() == null || s.queue().isEmpty() || !isOpen(s, now)) return Effect().none();
    List<Event> events = new ArrayList<>();
    List<Runnable> sends = new ArrayList<>();
    for (QueueEntry e : s.queue()) {
      if (sends.size() >= DRAIN_BATCH || !anyoneOnline()) break;
      if (poolOnly(s.config(), e.request()) && e.request().need().preferredAgent() == null) continue;
      Optional<String> pick = pick(s.config(), e.request(), now);
      if (pick.isEmpty()) continue;
      events.add(new Dequeued(e.request().conversationId(), "offered", now));
      sends.add(offer(s.config(), e.request(), pick.get(), now, false));
    }
    if (events.isEmpty()) return Effect().none();
    return persistQueue(events).thenRun(ns -> {
      sends.forEach(Runnable::run);
      armTimers(ns);
    });
  }

  private boolean anyoneOnline() {
    for (AgentStatus st : members.values()) if (st.presence() == Presence.ONLINE) return true;
    return false;
  }

  private Effect<Event, State> onOpening(State s, Command c) {
    openingArmedFor = null;
    return drain(s).thenRun(this::armTimers);
  }

  private Effect<Event, State> onQueueDeadline(State s, QueueDeadlineReached c) {
    Instant now = clock.instant();
    List<QueueEntry> expired = s.queue().stream()
        .filter(e -> e.deadline() != null && !e.deadline().isAfter(now)).toList();
    if (expired.isEmpty()) {
      armTimers(s);
      return Effect().none();
    }
    List<Event> events = new ArrayList<>();
    expired.forEach(e -> events.add(new Dequeued(e.request().conversationId(), "expired", now)));
    String overflow = s.config() == null ? null : s.config().overflowTeam();
    return persistQueue(events).thenRun(ns -> {
      for (QueueEntry e : expired) {
        directory.conversation(e.request().conversationId(), new Conversation.TeamCannotServe(teamId,
            e.request().attempt(), overflow, "queue_wait_exceeded",
            "no agent of " + teamId + " was available within " + s.config().queueWaitLimit()));
      }
      armTimers(ns);
    });
  }

  /** Asks each queued conversation whether it still waits here: a lost withdraw leaves no stale entry. */
  private void checkQueue(State s) {
    for (QueueEntry e : s.queue()) {
      directory.conversation(e.request().conversationId(), new Conversation.QueueCheck(teamId, e.request().attempt()));
    }
  }

  private static boolean isOpen(State s, Instant now) {
    return s.config().businessHours() == null || s.config().businessHours().isOpen(now);
  }

  private void armTimers(State s) {
    Instant now = clock.instant();
    Optional<Instant> next = s.earliestDeadline();
    deadlines.at(QueueDeadlineReached.class, next.orElse(null), clock, new QueueDeadlineReached());
    if (s.queue().isEmpty()) {
      timers.cancel(CheckQueue.class);
    } else if (!timers.isTimerActive(CheckQueue.class)) {
      timers.startSingleTimer(CheckQueue.class, new CheckQueue(), settings.queueCheckInterval());
    }
    // The next time the hours open (also while open now: the team may close and reopen with a queue).
    Optional<Instant> opening = s.config() == null || s.config().businessHours() == null || s.queue().isEmpty()
        ? Optional.empty() : s.config().businessHours().nextOpeningAfter(now);
    if (openingArmedFor != null && !openingArmedFor.isAfter(now)) {
      // Re-arming for the next opening would supersede a timer message for this one that may already wait
      // in the mailbox (and be dropped): make sure this opening still drains.
      deadlines.at(OpeningPassed.class, now, clock, new OpeningPassed());
    }
    openingArmedFor = opening.orElse(null);
    deadlines.at(BusinessHoursOpened.class, opening.orElse(null), clock, new BusinessHoursOpened());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(Configured.class, (s, e) -> new State(e.config(), s.queue()))
        .onEvent(Enqueued.class, (s, e) -> {
          List<QueueEntry> q = new ArrayList<>(s.queue().size() + 1);
          for (QueueEntry x : s.queue()) {
            if (!x.request().conversationId().equals(e.entry().request().conversationId())) q.add(x);
          }
          q.add(e.entry());
          q.sort(Team.QUEUE_ORDER);
          return new State(s.config(), List.copyOf(q));
        })
        .onEvent(Dequeued.class, (s, e) -> {
          List<QueueEntry> q = new ArrayList<>(s.queue());
          q.removeIf(x -> x.request().conversationId().equals(e.conversationId()));
          return new State(s.config(), List.copyOf(q));
        })
        .build();
  }
}

package io.switchboard.conversation;

import io.switchboard.CoreSettings;
import io.switchboard.Directory;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.RoutingObserver;
import io.switchboard.RoutingPorts;
import io.switchboard.Storable;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation.AgentReply;
import io.switchboard.conversation.Conversation.AgentWentOffline;
import io.switchboard.conversation.Conversation.AssignTo;
import io.switchboard.conversation.Conversation.ClockDue;
import io.switchboard.conversation.Conversation.Command;
import io.switchboard.conversation.Conversation.ContactChanged;
import io.switchboard.conversation.Conversation.Event;
import io.switchboard.conversation.Conversation.Get;
import io.switchboard.conversation.Conversation.IdleCheck;
import io.switchboard.conversation.Conversation.Inbound;
import io.switchboard.conversation.Conversation.LookupFinished;
import io.switchboard.conversation.Conversation.NoAgentNow;
import io.switchboard.conversation.Conversation.Passivate;
import io.switchboard.conversation.Conversation.PrerouteTimeout;
import io.switchboard.conversation.Conversation.QueueCheck;
import io.switchboard.conversation.Conversation.Queued;
import io.switchboard.conversation.Conversation.Redeliver;
import io.switchboard.conversation.Conversation.Release;
import io.switchboard.conversation.Conversation.ReleaseAcknowledged;
import io.switchboard.conversation.Conversation.Resolve;
import io.switchboard.conversation.Conversation.SettleWake;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.state.Round;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.conversation.Conversation.TimerFired;
import io.switchboard.conversation.Conversation.TeamCannotServe;
import io.switchboard.conversation.Conversation.Transfer;
import io.switchboard.conversation.Conversation.TransferDeclined;
import io.switchboard.conversation.Conversation.View;
import io.switchboard.conversation.Conversation.WakeUp;
import io.switchboard.conversation.Conversation.Woken;
import io.switchboard.routing.Need;
import io.switchboard.routing.RoutingPolicy;
import io.switchboard.routing.RoutingRequest;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The behaviour of one {@link Conversation} (its protocol, state and wiring are there): the persistence
 * id, tags, retention, recovery (re-arming its clocks and re-sending what may have been lost), and the
 * dispatch of each command to its handler group: {@link Intake}, {@link RuleSteps}, {@link Assignments},
 * {@link AgentActions}, {@link Deadlines}, {@link Redelivery}, {@link Sleep}. Those are stateless (static
 * methods taking this entity), and the event handler ({@link ConversationEvents}) is shared by the node:
 * what a running conversation costs is this object, its fields and its state.
 *
 * <p>The fields are package-private so that the handler groups read them; the mutable ones are the
 * soft state of this incarnation, never persisted.
 */
final class ConversationEntity extends EventSourcedBehavior<Command, Event, State> {

  final String conversationId;
  final ConversationTimers timers;
  final Directory directory;
  final Clock clock;
  final CoreSettings settings;
  final RoutingObserver observer;
  final RoutingPorts ports;
  final ActorContext<Command> context;
  /**
   * Not persisted: whether the team acknowledged this round, and releases acknowledged since start (null
   * until the first: an empty set per running conversation cost 64 bytes).
   */
  int queuedAckAttempt = -1;
  String queueReason;
  Set<Release> releasesAcked;
  /**
   * The instant the clock timer ({@code ClockDue}) is armed for, as epoch nanoseconds: the timer's message is one
   * shared instance, so a running conversation holds no message and instant of its own for it ({@link Deadlines}).
   */
  long clockArmedFor;
  /** When the Redeliver timer is due, null when it is not running. */
  Instant redeliveryDue;
  final Consumer<ActorRef<Command>> passivation;
  /**
   * When the last command other than the idle check arrived, epoch milliseconds: what passivation decides
   * on ({@code Idleness} for agents and teams; inline here, a running conversation's object and lambda less).
   */
  private long lastCommandAt;
  /** The keeper waiting for this conversation to settle after a wake-up, else null. */
  ActorRef<Woken> wakeWaiter;
  /**
   * An opening message being routed before it is stored (docs/ARCHITECTURE.md, "Routing a new
   * conversation"): its events, the state they lead to; other commands wait in the stash meanwhile.
   */
  Preroute pre;
  private final EventHandler<State, Event> events;
  /** Why this conversation's id cannot be stored, else null. */
  private final String idProblem;

  record Preroute(Inbound inbound, List<Event> events, State next, Instant arrivedAt) {}

  /** What every conversation of a node runs with: one instance per node. */
  record Wiring(Directory directory, Clock clock, CoreSettings settings, RoutingObserver observer, RoutingPorts ports,
      EventHandler<State, Event> events) {}

  ConversationEntity(String conversationId, ActorContext<Command> context, ConversationTimers timers,
      Wiring wiring, Consumer<ActorRef<Command>> passivation) {
    super(PersistenceId.of(Conversation.ENTITY_TYPE_KEY.name(), conversationId),
        wiring.settings().onPersistFailure());
    Directory directory = wiring.directory();
    Clock clock = wiring.clock();
    CoreSettings settings = wiring.settings();
    RoutingObserver observer = wiring.observer();
    RoutingPorts ports = wiring.ports();
    this.events = wiring.events();
    this.passivation = passivation;
    this.lastCommandAt = clock.millis();
    this.conversationId = conversationId;
    this.idProblem = Storable.problem(conversationId);
    this.timers = timers;
    this.directory = directory;
    this.clock = clock;
    this.settings = settings;
    this.observer = observer;
    this.ports = ports;
    this.context = context;
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  /**
   * Read models are fed by tag: only events that change what they show carry one, each event says so
   * ({@link Event#shownInReadModels}, opt-in). All events of one conversation carry the same tag, so one
   * projection instance sees them in order. An {@code Assigned} also carries its agent's hold tag: it is the
   * record of a grant until the agent's batch, and what the agent's scan after a recovery reads.
   */
  @Override
  public Set<String> tagsFor(Event event) {
    boolean shown = settings.readModelTags() > 0 && event.shownInReadModels();
    Conversation.Release ended = Conversation.holdEndedBy(event);
    String holder = event instanceof Conversation.Assigned a ? a.agentId() : null;
    if (holder == null && ended == null) {
      return shown ? Set.of(Conversation.tagFor(conversationId, settings.readModelTags())) : Set.of();
    }
    Set<String> tags = new java.util.HashSet<>(4);
    if (shown) tags.add(Conversation.tagFor(conversationId, settings.readModelTags()));
    if (holder != null) tags.add(Agent.holdTag(holder));
    if (ended != null) tags.add(Agent.holdTag(ended.agentId()));
    return tags;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return settings.retention();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (state.status() == Status.WAITING) Redelivery.askTeam(this, state);
          // a lookup running at the stop runs again (it is a read); a question waits for its answer or deadline
          if (state.status() == Status.ROUTING && state.pending() != null && state.pending().lookup() != null) {
            RuleSteps.runStep(this, state);
          }
          if (state.status() == Status.ESCALATED && state.escalatedTo() != null) {
            directory.agent(state.escalatedTo(), new Agent.EscalationNotice(conversationId, state.reason()));
          }
          Redelivery.sendReleases(this, state);
          Deadlines.armTimers(this, state);
          if (passivation != null) {
            timers.startTimerWithFixedDelay(IdleCheck.class, new IdleCheck(), settings.passivateAfter());
          }
        })
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return (state, received) -> {
      Command command = received;
      if (received instanceof TimerFired t && (command = timers.fired(t)) == null) return Effect().none(); // stale
      if (!(command instanceof IdleCheck)) lastCommandAt = clock.millis();
      String unstorable = Storable.problemOfCommand(command, command instanceof Get || command instanceof Passivate,
          "conversation", idProblem);
      if (unstorable != null) {
        if (command instanceof LookupFinished c) {
          // the CRM answered text the journal cannot hold: the lookup failed, the step falls back
          return RuleSteps.onLookupFinished(this, state, new LookupFinished(c.stepId(),
              new RoutingPorts.LookupResult(false, null, "the CRM's answer has " + unstorable)));
        }
        Storable.refuse(command, conversationId, unstorable, context.getLog());
        return Effect().none();
      }
      if (pre != null && !(command instanceof AssignTo || command instanceof NoAgentNow
          || command instanceof PrerouteTimeout || command instanceof TeamCannotServe || command instanceof Get
          || command instanceof ReleaseAcknowledged || command instanceof IdleCheck)) {
        return Effect().stash();
      }
      return dispatch(state, command);
    };
  }

  /** No command but idle checks for {@code passivate-after}. */
  boolean idleLongEnough() {
    return settings.passivateAfter() != null && lastCommandAt + settings.passivateAfter().toMillis() <= clock.millis();
  }

  /**
   * One method that dispatches on the command's type: a handler builder per entity (its cases,
   * lambdas and lists) made up, with the event handler's, more than half of a running conversation's heap.
   */
  private Effect<Event, State> dispatch(State s, Command command) {
    {
      if (command instanceof Inbound c) return Intake.onInbound(this, s, c);
      if (command instanceof ContactChanged c) return Intake.onContactChanged(this, s, c);
      if (command instanceof AssignTo c) return Assignments.onAssignTo(this, s, c);
      if (command instanceof ReleaseAcknowledged c) return Redelivery.onReleaseAcknowledged(this, c);
      if (command instanceof Queued c) return Assignments.onQueued(this, s, c);
      if (command instanceof QueueCheck c) return Redelivery.onQueueCheck(this, s, c);
      if (command instanceof TeamCannotServe c) return Assignments.onTeamCannotServe(this, s, c);
      if (command instanceof AgentReply c) return AgentActions.onAgentReply(this, s, c);
      if (command instanceof Transfer c) return AgentActions.onTransfer(this, s, c);
      if (command instanceof TransferDeclined c) return AgentActions.onTransferDeclined(this, s, c);
      if (command instanceof Resolve c) return AgentActions.onResolve(this, s, c);
      if (command instanceof AgentWentOffline c) return AgentActions.onAgentWentOffline(this, s, c);
      if (command instanceof Get c) {
        return Effect().reply(c.replyTo(), new View(conversationId, s,
            s.status() == Status.WAITING && queuedAckAttempt == s.attempt() ? queueReason : null));
      }
      if (command instanceof ClockDue c) return Deadlines.onClockDue(this, s, c);
      if (command instanceof LookupFinished c) return RuleSteps.onLookupFinished(this, s, c);
      if (command instanceof Redeliver c) return Redelivery.onRedeliver(this, s, c);
      if (command instanceof WakeUp c) return Sleep.onWakeUp(this, c);
      if (command instanceof SettleWake c) return Sleep.onSettleWake(this, s, c);
      if (command instanceof IdleCheck c) return Sleep.onIdleCheck(this, s, c);
      if (command instanceof Passivate) {
        // passivated or handed off: no timer of this incarnation stays in the scheduler until it is due (a
        // restart after a failed write leaves them to fire once into the next one, which drops them). Not a
        // PostStop signal handler: each signal case costs a running conversation about 50 bytes.
        timers.cancelAll();
        return Effect().stop();
      }
      if (command instanceof NoAgentNow c) return Intake.storeWithoutAgent(this, s, c.attempt());
      if (command instanceof PrerouteTimeout c) return Intake.storeWithoutAgent(this, s, c.attempt());
      return Effect().unhandled();
    }
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return events;
  }

  // ---- shared by the handler groups ----

  /** The state {@code events} lead to from {@code s} (the event handler is pure). */
  State applied(State s, List<Event> evts) {
    State next = s;
    for (Event e : evts) next = events.apply(next, e);
    return next;
  }

  RoutingRequest request(State s) {
    Round r = s.round();
    Need need = new Need(channel(), r.requiredSkills(), r.language(), r.lapsedAgents(), r.preferredAgent(),
        r.poolOnly());
    return new RoutingRequest(conversationId, s.attempt(), s.priority(), need, s.round().waitingSince());
  }

  /** Its channel (one shared instance per channel, from the id; not kept per conversation). */
  String channel() {
    return EntityIds.channelOf(conversationId);
  }

  RoutingPolicy policyOf(State s) {
    return s.policy() != null ? s.policy() : settings.defaultPolicy();
  }

  void reply(ActorRef<Outcome> to, Outcome outcome) {
    if (to != null) to.tell(outcome);
  }
}

package io.switchboard.conversation;

import io.switchboard.CborSerializable;
import io.switchboard.CoreSettings;
import io.switchboard.DeadlineTimers;
import io.switchboard.Directory;
import io.switchboard.EntityIds;
import io.switchboard.Idleness;
import io.switchboard.Outcome;
import io.switchboard.RoutingObserver;
import io.switchboard.Storable;
import io.switchboard.agent.Agent;
import io.switchboard.routing.EscalationTarget;
import io.switchboard.routing.Need;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.RoutingPolicy;
import io.switchboard.routing.RoutingRequest;
import io.switchboard.RoutingPorts;
import io.switchboard.routing.rules.Action;
import io.switchboard.routing.rules.Answers;
import io.switchboard.routing.rules.CrmLookup;
import io.switchboard.routing.rules.Question;
import io.switchboard.routing.rules.Decision;
import io.switchboard.routing.rules.RoutingRules;
import io.switchboard.routing.rules.RulesEngine;
import io.switchboard.team.Team;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
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
 * One contact's thread on one channel, across all its episodes (opened by an inbound message,
 * resolved, reopened by the next). It is the single writer of its assignment and the arbiter of
 * every race for it: an agent holds it only after this entity accepted that agent's reservation
 * ({@link AssignTo}), and at most one is accepted per episode state (invariant 1). Claims racing
 * auto-assignment, offers from an older routing round, transfers and timers all meet here.
 *
 * <p>It owns its clocks, each persisted as an instant in its events and re-armed on recovery: the
 * reply window, the 24 h customer service window and idle auto-resolve. The team owns the
 * queue-wait clock. Lifecycle: NEW → WAITING (asking its team) → ASSIGNED ⇄ WAITING (re-routed,
 * transferred) → ESCALATED or RESOLVED → WAITING again when the contact writes.
 */
public final class Conversation extends EventSourcedBehavior<Conversation.Command, Conversation.Event,
    Conversation.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Conversation");

  /**
   * Why a conversation was re-routed ({@link Rerouted#cause}): its agent did not reply within the reply
   * window, or stayed offline past the offline grace. The API's {@code reroutes} counts every one of
   * them and breaks them down by these causes, on a conversation and in the statistics alike.
   */
  public static final List<String> REROUTE_CAUSES = List.of("reply_window_lapsed", "agent_offline");

  /** ROUTING: the routing rules are asking the contact or looking it up; no team holds it yet. */
  public enum Status { NEW, ROUTING, WAITING, ASSIGNED, ESCALATED, RESOLVED }

  // ---- commands ----

  public sealed interface Command extends CborSerializable {}

  /**
   * A message from the contact. Replies ok only after it is persisted (a duplicate message id is
   * acknowledged again without a second write); refused when a new episode has no team to go to.
   *
   * @param sentAt when the contact sent it (the channel's timestamp), null if unknown: the 24 h
   *     service window runs from it (never from later than now)
   * @param rules the tenant's routing rules: an opening message is routed by them (the hint's team is
   *     the else of last resort); null: the hint's team
   * @param fields what the channel knows of the contact (remembered with the conversation; rules read them)
   */
  public record Inbound(String messageId, String text, RoutingHint hint, Instant sentAt, RoutingRules rules,
      Map<String, String> fields, ActorRef<Outcome> replyTo) implements Command {
    public Inbound(String messageId, String text, RoutingHint hint, ActorRef<Outcome> replyTo) {
      this(messageId, text, hint, null, null, null, replyTo);
    }

    public Inbound(String messageId, String text, RoutingHint hint, Instant sentAt, ActorRef<Outcome> replyTo) {
      this(messageId, text, hint, sentAt, null, null, replyTo);
    }
  }

  /**
   * What the channel says about the contact that is not a message from it (WhatsApp's {@code system}
   * messages: a new number or user id, a changed identity). Recorded as a {@link ContactEventRecorded}
   * with {@code fields} merged into the contact's fields, without opening an episode, routing, counting
   * as a message or touching the reply and service windows (the contact wrote nothing). Replies ok once
   * persisted; a repeated {@code eventId} (shared with message ids) is acknowledged without a second write.
   *
   * @param kind what happened, as the channel names it ({@code user_changed_number}, ...)
   * @param text the channel's notice, for people; may be null
   */
  public record ContactChanged(String eventId, String kind, String text, Map<String, String> fields, Instant at,
      ActorRef<Outcome> replyTo) implements Command {}

  /**
   * An agent reserved this conversation under {@code hold} ({@code r<attempt>} for an offer or a
   * transfer, {@code c<uuid>} for a claim) and asks to become its agent. Answered to the agent with
   * {@link Agent.AssignmentConfirmed} or {@link Agent.Release}; to {@code replyTo} (the claimer or
   * the transfer's requester, when still waiting) with ok or the reason it lost.
   *
   * @param agentTeams the teams the agent is a member of (as the agent knows them): a claim is accepted
   *     only from a member of the conversation's team or its supervisor ({@code not_a_member} otherwise);
   *     null (a sender older than the field) is not checked
   */
  public record AssignTo(String agentId, String hold, String team, RoutingPolicy policy, Set<String> agentTeams,
      ActorRef<Outcome> replyTo) implements Command {
    public AssignTo(String agentId, String hold, String team, RoutingPolicy policy, ActorRef<Outcome> replyTo) {
      this(agentId, hold, team, policy, null, replyTo);
    }
  }

  public record ReleaseAcknowledged(String agentId, String hold) implements Command {}

  /**
   * A recovered team asks whether this conversation still waits in it for round {@code attempt}:
   * answered with {@link Team.RequestAgent} if so, else {@link Team.Withdraw} (a lost withdraw
   * leaves no stale queue entry behind).
   */
  public record QueueCheck(String team, int attempt) implements Command {}

  /** The team queued this round's request; {@code reason} is why it waits. */
  public record Queued(String team, int attempt, String reason, RoutingPolicy policy) implements Command {}

  /** The team has nobody for this opening message's probe right now: store it and ask the usual way. */
  public record NoAgentNow(String team, int attempt) implements Command {}

  /** The probe of round {@code attempt} had no answer in time. */
  private record PrerouteTimeout(int attempt) implements Command {}

  /** The team gives up on this round: go to {@code overflowTeam} if any (and not visited yet), else escalate. */
  public record TeamCannotServe(String team, int attempt, String overflowTeam, String code, String message)
      implements Command {}

  /** A reply by the assigned agent. Refused when not assigned to them, or free-form after the service window. */
  public record AgentReply(String agentId, String text, boolean template, ActorRef<Outcome> replyTo)
      implements Command {}

  /** Moves the conversation to an agent (who must have room) or a team. Replies ok once done, or why not. */
  public record Transfer(String toAgent, String toTeam, String requestedBy, ActorRef<Outcome> replyTo)
      implements Command {}

  public record TransferDeclined(String agentId, String hold, String reason, ActorRef<Outcome> replyTo)
      implements Command {}

  /** Ends the episode and frees the agent. Replies ok, or not_open. */
  public record Resolve(String requestedBy, ActorRef<Outcome> replyTo) implements Command {}

  /** The agent stayed offline past its grace period while holding this conversation under {@code hold}. */
  public record AgentWentOffline(String agentId, String hold) implements Command {}

  public record Get(ActorRef<View> replyTo) implements Command {}

  private record ReplyWindowEnded(Instant deadline) implements Command {}

  /** A pending routing step's deadline (the wait for an answer or a lookup). */
  private record StepDeadline(Instant deadline) implements Command {}

  /** A CRM lookup came back. */
  private record LookupFinished(String stepId, RoutingPorts.LookupResult result) implements Command {}

  /** Not persisted: a heads-up to live observers before the reply window of {@code deadline} ends. */
  private record ReplyWindowClosing(Instant deadline) implements Command {}

  private record IdleTimeout(Instant deadline) implements Command {}

  private record ServiceWindowEnds(Instant deadline) implements Command {}

  private record Redeliver() implements Command {}

  /**
   * The wake-up keeper: a deadline of this conversation is due at {@code wakeAt} (its index row,
   * version {@code seq}). Delivering it starts a passivated conversation, which re-arms its timers;
   * once whatever was due has fired and nothing is left unacknowledged, it answers {@link Woken}.
   */
  public record WakeUp(Instant wakeAt, long seq, ActorRef<Woken> replyTo) implements Command {}

  /** Sent by the shard when it passivates the conversation. */
  public record Passivate() implements Command {}

  /** Answers {@link WakeUp} once settled (re-sent to itself until then). */
  private record SettleWake(ActorRef<Woken> replyTo) implements Command {}

  /** Every {@code passivate-after}: stop if nothing happened meanwhile and nothing needs this incarnation. */
  private record IdleCheck() implements Command {}

  /**
   * The conversation handled its wake-up: at event {@code seq}, its next deadline is {@code next}
   * (null: none), which the keeper writes into its index.
   */
  public record Woken(String conversationId, long seq, Instant next) implements CborSerializable {}

  /** @param queueReason why it waits, as its team last said (not persisted) */
  public record View(String conversationId, State state, String queueReason) implements CborSerializable {}

  // ---- events ----

  public sealed interface Event extends CborSerializable {}

  /**
   * @param team the team an opening message routes to (the current one otherwise)
   * @param replyDeadline the reply window, when this message starts one for the assigned agent
   * @param opensEpisode the conversation was not open: this message starts a new episode (tagged for read models)
   * @param startsReplyWindow an answered conversation waits for its agent again: a new reply window
   *     starts, earlier than the idle deadline (tagged: the wake-up index must learn an earlier deadline)
   */
  public record MessageReceived(String messageId, String text, Instant at, RoutingHint hint, String team,
      Instant serviceWindowClosesAt, Instant replyDeadline, boolean opensEpisode, boolean startsReplyWindow)
      implements Event {}

  /** @param team null for a claim (stays with the current team) */
  public record Assigned(String agentId, String hold, String team, RoutingPolicy policy, Instant at,
      Instant replyDeadline, Instant idleDeadline) implements Event {}

  /** @param firstOfAssignment the agent's first reply since it was assigned (tagged: it can be a first response) */
  public record AgentReplied(String agentId, boolean template, Instant at, Instant idleDeadline,
      boolean firstOfAssignment) implements Event {}

  /** Back to the team's strategy; a lapsed agent is excluded for the rest of the episode. */
  public record Rerouted(String fromAgent, String fromHold, String cause, boolean lapsed, Instant at)
      implements Event {}

  /** @param team escalation team (routing continues there), else parked with the supervisor (may be null) */
  public record Escalated(String fromAgent, String fromHold, String reason, String supervisor, String team,
      Instant at) implements Event {}

  public record Overflowed(String fromTeam, String toTeam, String reason, Instant at) implements Event {}

  public record PolicyLearned(RoutingPolicy policy) implements Event {}

  public record TransferRequested(String toAgent, String requestedBy, Instant at) implements Event {}

  public record TransferredToTeam(String fromAgent, String fromHold, String toTeam, String requestedBy, Instant at)
      implements Event {}

  public record Resolved(String agentId, String hold, String reason, Instant at) implements Event {}

  public record ServiceWindowClosed(Instant at) implements Event {}

  /**
   * The rules started a step (a question to the contact or a CRM lookup): the conversation is ROUTING
   * until it is answered, fails or times out at {@code deadline}. The modifiers of the rule that
   * started it apply now.
   */
  public record StepStarted(String rule, String reason, Question question, CrmLookup lookup, Instant deadline,
      int priority, Map<String, String> setFields, Set<String> tags, Routing routing, Instant at) implements Event {
    public StepStarted {
      setFields = setFields == null ? Map.of() : Map.copyOf(setFields);
      tags = tags == null ? Set.of() : Set.copyOf(tags);
    }

    public String stepId() {
      return question != null ? question.id() : lookup.id();
    }
  }

  /** The step produced fields (an accepted answer, a lookup's mapped fields): the rules decide again. */
  public record StepAnswered(String stepId, Map<String, String> fields, Instant at) implements Event {
    public StepAnswered {
      fields = fields == null ? Map.of() : Map.copyOf(fields);
    }
  }

  /** The answer was not valid, or none came in time: the question is asked again (attempt, new deadline). */
  public record StepRetried(String stepId, int attempt, Instant deadline, String message) implements Event {}

  /** The step gave up (attempts used, lookup failed or timed out): its fallback route follows. */
  public record StepFailed(String stepId, String reason, Instant at) implements Event {}

  /** Contact fields learned from the channel with a message (only the ones that changed). */
  public record ContactFieldsLearned(Map<String, String> fields) implements Event {
    public ContactFieldsLearned {
      fields = fields == null ? Map.of() : Map.copyOf(fields);
    }
  }

  /** The channel told something about the contact (see {@link ContactChanged}); not a message. */
  public record ContactEventRecorded(String eventId, String kind, String text, Map<String, String> fields,
      Instant at) implements Event {
    public ContactEventRecorded {
      fields = fields == null ? Map.of() : Map.copyOf(fields);
    }
  }

  /**
   * The routing rules decided an opening message's route: it waits in {@code team} (a new round), with
   * the rule's priority, fields and tags, {@code preferredAgent} first if available, or only in the
   * pool for a claim ({@code poolOnly}); {@code reason} says which rule and why, for people.
   * {@code skills} (a team action's, skill → minimum level) are required from then on like the
   * message's own (added to them, the higher level when both name one).
   */
  public record RulesDecided(String rule, String reason, String team, int priority, String preferredAgent,
      boolean poolOnly, Map<String, String> setFields, Set<String> tags, Instant at, Map<String, Integer> skills)
      implements Event {
    public RulesDecided {
      setFields = setFields == null ? Map.of() : Map.copyOf(setFields);
      tags = tags == null ? Set.of() : Set.copyOf(tags);
      skills = skills == null ? Map.of() : Map.copyOf(skills); // events older than the field: none
    }
  }

  // ---- state ----

  public record Release(String agentId, String hold) implements CborSerializable {}

  /** A step the rules wait for: {@code question} or {@code lookup}, its attempt and deadline. */
  /** @param prompt what the contact is (to be) sent for this attempt of a question */
  public record Pending(String stepId, String rule, Question question, CrmLookup lookup, int attempt,
      Instant deadline, String prompt) implements CborSerializable {}

  /** What decisions after a step read: the rules in force and the opening message's text and hints. */
  public record Routing(RoutingRules rules, String text, String hintLanguage, String hintTeam)
      implements CborSerializable {}

  /**
   * @param attempt the current routing round; offers for any other round are refused
   * @param reason why the conversation waits or was escalated, visible to supervisors
   * @param visitedTeams teams this episode has overflowed or escalated to, so it never loops
   * @param releases the latest agents this conversation was taken from (re-sent until acknowledged)
   * @param contactFields what is known of the contact (from the channel, answers, rules), across episodes
   * @param tags labels the rules gave the contact
   * @param poolOnly the rules left this episode in its team's pool: no auto-assignment
   * @param routedBy which rule sent this episode to its team and why (kept once assigned), null without rules
   * @param pending the step the rules wait for while ROUTING (a question or a lookup), else null
   * @param stepsDone the steps of this episode that ran (answered, looked up or fallen back)
   * @param routing what the rules decide on while ROUTING (the rules and the opening message), else null
   * @param reroutes lapsed reply windows since the conversation came to its current team this episode:
   *     what the team's {@code maxReroutes} limits (the API's {@code reroutes} is {@link #reroutesTotal})
   * @param reroutesByCause re-routes of this episode by cause ({@link #REROUTE_CAUSES}), every team
   */
  public record State(
      Status status,
      String team,
      int attempt,
      Instant waitingSince,
      int priority,
      Map<String, Integer> requiredSkills,
      String language,
      RoutingPolicy policy,
      String agentId,
      String hold,
      Instant assignedAt,
      boolean answered,
      boolean awaitingReply,
      Instant replyDeadline,
      Instant idleDeadline,
      Instant lastInboundAt,
      Instant serviceWindowClosesAt,
      boolean serviceWindowClosed,
      int reroutes,
      Set<String> lapsedAgents,
      Set<String> visitedTeams,
      String previousAgent,
      String preferredAgent,
      String escalatedTo,
      String reason,
      String transferTo,
      List<Release> releases,
      List<String> recentMessageIds,
      long messages,
      int episodes,
      Map<String, String> contactFields,
      Set<String> tags,
      boolean poolOnly,
      String routedBy,
      Pending pending,
      Set<String> stepsDone,
      Routing routing,
      Map<String, Integer> reroutesByCause) implements CborSerializable {

    public State {
      contactFields = contactFields == null ? Map.of() : contactFields; // snapshots older than these fields
      reroutesByCause = reroutesByCause == null ? Map.of() : reroutesByCause;
      tags = tags == null ? Set.of() : tags;
      stepsDone = stepsDone == null ? Set.of() : stepsDone;
    }

    /** Immutable, so one per node: Pekko keeps each entity's empty state for as long as the entity runs. */
    private static final State EMPTY = new StateBuilder().build();

    static State empty() {
      return EMPTY;
    }

    StateBuilder toBuilder() {
      return new StateBuilder(this);
    }

    /** Re-routes of this episode, every cause (what the API calls {@code reroutes}). */
    public int reroutesTotal() {
      return reroutesByCause.values().stream().mapToInt(Integer::intValue).sum();
    }

    public boolean isOpen() {
      return status == Status.ROUTING || status == Status.WAITING || status == Status.ASSIGNED
          || status == Status.ESCALATED;
    }

    /** The reply window running in this state (null: none). */
    Instant runningReplyDeadline() {
      return status == Status.ASSIGNED ? replyDeadline : null;
    }

    Instant runningIdleDeadline() {
      return status == Status.ASSIGNED ? idleDeadline : null;
    }

    Instant runningStepDeadline() {
      return status == Status.ROUTING && pending != null ? pending.deadline() : null;
    }

    Instant runningServiceWindow() {
      return isOpen() && !serviceWindowClosed ? serviceWindowClosesAt : null;
    }

    /** The earliest durable deadline that is running (what the wake-up index must hold); null: none. */
    public Instant nextDeadline() {
      Instant next = null;
      for (Instant d : new Instant[] {runningReplyDeadline(), runningIdleDeadline(), runningStepDeadline(),
          runningServiceWindow()}) {
        if (d != null && (next == null || d.isBefore(next))) next = d;
      }
      return next;
    }
  }

  // ---- wiring ----

  public static void init(ActorSystem<?> system, Directory directory, Clock clock, CoreSettings settings,
      RoutingObserver observer, RoutingPorts ports) {
    // one event handler for every conversation of this node: it is pure, and built per entity (with the
    // command handler's builder) it cost 5.7 KB of a running conversation's 10.3 KB (CoreBenchmark heap)
    EventHandler<State, Event> events = ConversationEvents.eventHandlerFor(settings.recentMessageIds());
    // Not remembered, and no idle strategy of sharding's: a conversation decides itself when it may stop
    // (settled, no deadline soon), because its deadlines then rely on the wake-up index.
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY,
            ctx -> create(ctx.getEntityId(), directory, clock, settings, observer, ports,
                self -> ctx.getShard().tell(new ClusterSharding.Passivate<>(self)), events))
        .withStopMessage(new Passivate())
        .withMessageExtractor(new HashCodeMessageExtractor<>(settings.conversationShards()))
        .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy().withRememberEntities(false)));
  }

  public static Behavior<Command> create(String conversationId, Directory directory, Clock clock,
      CoreSettings settings, RoutingObserver observer, RoutingPorts ports) {
    return create(conversationId, directory, clock, settings, observer, ports, null);
  }

  /** @param passivation how to ask for a stop when idle; null (or passivate-after off): never */
  public static Behavior<Command> create(String conversationId, Directory directory, Clock clock,
      CoreSettings settings, RoutingObserver observer, RoutingPorts ports, java.util.function.Consumer<ActorRef<Command>> passivation) {
    return create(conversationId, directory, clock, settings, observer, ports, passivation,
        ConversationEvents.eventHandlerFor(settings.recentMessageIds()));
  }

  private static Behavior<Command> create(String conversationId, Directory directory, Clock clock,
      CoreSettings settings, RoutingObserver observer, RoutingPorts ports,
      java.util.function.Consumer<ActorRef<Command>> passivation, EventHandler<State, Event> events) {
    EntityIds.channelOf(conversationId);
    java.util.function.Consumer<ActorRef<Command>> p = settings.passivates() ? passivation : null;
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new Conversation(conversationId, ctx, timers, new DeadlineTimers<>(timers, ctx.getSelf()), directory, clock,
            settings, observer, ports, p, events)));
  }

  private final String conversationId;
  private final String channel;
  private final TimerScheduler<Command> timers;
  private final DeadlineTimers<Command> deadlines;
  private final Directory directory;
  private final Clock clock;
  private final CoreSettings settings;
  private final RoutingObserver observer;
  private final RoutingPorts ports;
  private final org.apache.pekko.actor.typed.javadsl.ActorContext<Command> context;
  /** Not persisted: whether the team acknowledged this round, and releases acknowledged since start. */
  private int queuedAckAttempt = -1;
  private String queueReason;
  private final Set<Release> releasesAcked = new HashSet<>();
  /** When the Redeliver timer is due, null when it is not running. */
  private Instant redeliveryDue;
  private final java.util.function.Consumer<ActorRef<Command>> passivation;
  private final Idleness idleness;
  /** The keeper waiting for this conversation to settle after a wake-up, else null. */
  private ActorRef<Woken> wakeWaiter;
  /**
   * An opening message being routed before it is stored (docs/ARCHITECTURE.md, "Routing a new
   * conversation"): its events, the state they lead to; other commands wait in the stash meanwhile.
   */
  private Preroute pre;
  private final EventHandler<State, Event> events;
  /** Why this conversation's id cannot be stored, else null. */
  private final String idProblem;

  private record Preroute(Inbound inbound, List<Event> events, State next, Instant arrivedAt) {}

  private Conversation(String conversationId, org.apache.pekko.actor.typed.javadsl.ActorContext<Command> context,
      TimerScheduler<Command> timers, DeadlineTimers<Command> deadlines, Directory directory, Clock clock,
      CoreSettings settings, RoutingObserver observer, RoutingPorts ports, java.util.function.Consumer<ActorRef<Command>> passivation,
      EventHandler<State, Event> events) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), conversationId),
        settings.onPersistFailure());
    this.events = events;
    this.passivation = passivation;
    this.idleness = new Idleness(clock, settings.passivateAfter());
    this.conversationId = conversationId;
    this.idProblem = Storable.problem(conversationId);
    this.channel = EntityIds.channelOf(conversationId);
    this.timers = timers;
    this.deadlines = deadlines;
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
   * Read models are fed by tag: only events that change what they show carry one (a tag is a second
   * row written with the event). Follow-up messages, transfer requests, learned policies, a closing
   * service window and replies after the first are untagged. All events of one conversation carry
   * the same tag, so one projection instance sees them in order.
   */
  @Override
  public Set<String> tagsFor(Event event) {
    if (settings.readModelTags() <= 0) return Set.of();
    boolean shown;
    if (event instanceof MessageReceived e) shown = e.opensEpisode() || e.startsReplyWindow();
    else if (event instanceof AgentReplied e) shown = e.firstOfAssignment();
    else shown = !(event instanceof TransferRequested || event instanceof PolicyLearned
        || event instanceof ServiceWindowClosed || event instanceof ContactFieldsLearned
        || event instanceof ContactEventRecorded
        || event instanceof StepAnswered || event instanceof StepRetried || event instanceof StepFailed);
    return shown ? Set.of(tagFor(conversationId, settings.readModelTags())) : Set.of();
  }

  /** The read-model tag of a conversation's events: {@code conversation-<n>}, n in [0, tags). */
  public static String tagFor(String conversationId, int tags) {
    return TAG_PREFIX + Math.floorMod(conversationId.hashCode(), tags);
  }

  public static final String TAG_PREFIX = "conversation-";

  @Override
  public RetentionCriteria retentionCriteria() {
    return settings.retention();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (state.status() == Status.WAITING) askTeam(state);
          // a lookup running at the stop runs again (it is a read); a question waits for its answer or deadline
          if (state.status() == Status.ROUTING && state.pending() != null && state.pending().lookup() != null) {
            runStep(state);
          }
          if (state.status() == Status.ESCALATED && state.escalatedTo() != null) {
            directory.agent(state.escalatedTo(), new Agent.EscalationNotice(conversationId, state.reason()));
          }
          sendReleases(state);
          armTimers(state);
          if (passivation != null) {
            idleness.startChecks(timers, new IdleCheck());
          }
        })
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    CommandHandler<Command, Event, State> handlers = handlers();
    return idleness.tracking((state, command) -> {
      String unstorable = unstorable(command);
      if (unstorable != null) {
        if (command instanceof LookupFinished c) {
          // the CRM answered text the journal cannot hold: the lookup failed, the step falls back
          return onLookupFinished(state, new LookupFinished(c.stepId(), new RoutingPorts.LookupResult(false, null,
              "the CRM's answer has " + unstorable)));
        }
        Storable.refuse(command, conversationId, unstorable, context.getLog());
        return Effect().none();
      }
      if (pre != null && !(command instanceof AssignTo || command instanceof NoAgentNow
          || command instanceof PrerouteTimeout || command instanceof TeamCannotServe || command instanceof Get
          || command instanceof ReleaseAcknowledged || command instanceof IdleCheck)) {
        return Effect().stash();
      }
      return handlers.apply(state, command);
    }, IdleCheck.class);
  }

  /**
   * Why {@code command} cannot be handled without persisting text the journal cannot hold (see
   * {@link Storable}), or null. A conversation whose own id cannot be stored refuses everything but reads.
   */
  private String unstorable(Command command) {
    if (command instanceof Get || command instanceof Passivate) return null;
    if (idProblem != null) return "conversation id: " + idProblem;
    return Storable.problemIn(command);
  }

  /**
   * One function that dispatches on the command's type: a handler builder per entity (its cases,
   * lambdas and lists) made up, with the event handler's, more than half of a running conversation's heap.
   */
  private CommandHandler<Command, Event, State> handlers() {
    return (s, command) -> {
      if (command instanceof Inbound c) return onInbound(s, c);
      if (command instanceof ContactChanged c) return onContactChanged(s, c);
      if (command instanceof AssignTo c) return onAssignTo(s, c);
      if (command instanceof ReleaseAcknowledged c) {
        releasesAcked.add(new Release(c.agentId(), c.hold()));
        settleWakeAgain();
        return Effect().none();
      }
      if (command instanceof Queued c) return onQueued(s, c);
      if (command instanceof QueueCheck c) {
        if (s.status() == Status.WAITING && c.team().equals(s.team()) && c.attempt() == s.attempt()) askTeam(s);
        else directory.team(c.team(), new Team.Withdraw(conversationId, c.attempt()));
        return Effect().none();
      }
      if (command instanceof TeamCannotServe c) return onTeamCannotServe(s, c);
      if (command instanceof AgentReply c) return onAgentReply(s, c);
      if (command instanceof Transfer c) return onTransfer(s, c);
      if (command instanceof TransferDeclined c) return onTransferDeclined(s, c);
      if (command instanceof Resolve c) return onResolve(s, c);
      if (command instanceof AgentWentOffline c) return onAgentWentOffline(s, c);
      if (command instanceof Get c) {
        return Effect().reply(c.replyTo(), new View(conversationId, s,
            s.status() == Status.WAITING && queuedAckAttempt == s.attempt() ? queueReason : null));
      }
      if (command instanceof ReplyWindowEnded c) return onReplyWindowEnded(s, c);
      if (command instanceof StepDeadline c) return onStepDeadline(s, c);
      if (command instanceof LookupFinished c) return onLookupFinished(s, c);
      if (command instanceof ReplyWindowClosing c) return onReplyWindowClosing(s, c);
      if (command instanceof IdleTimeout c) return onIdleTimeout(s, c);
      if (command instanceof ServiceWindowEnds c) return onServiceWindowEnds(s, c);
      if (command instanceof Redeliver c) return onRedeliver(s, c);
      if (command instanceof WakeUp c) {
        // Due deadlines were re-armed (at once) when this incarnation recovered: settle after them.
        context.getSelf().tell(new SettleWake(c.replyTo()));
        return Effect().none();
      }
      if (command instanceof SettleWake c) return onSettleWake(s, c);
      if (command instanceof IdleCheck c) return onIdleCheck(s, c);
      if (command instanceof Passivate) return Effect().stop();
      if (command instanceof NoAgentNow c) return storeWithoutAgent(s, c.attempt());
      if (command instanceof PrerouteTimeout c) return storeWithoutAgent(s, c.attempt());
      return Effect().unhandled();
    };
  }

  // ---- sleeping and waking ----

  /**
   * Nothing this incarnation holds in memory is needed any more: no release or team request waits for
   * an acknowledgement (a queued request is durable in its team) and no CRM lookup is running.
   */
  private boolean settled(State s) {
    if (!unackedReleases(s).isEmpty()) return false;
    if (s.status() == Status.WAITING && queuedAckAttempt != s.attempt()) return false;
    return !(s.status() == Status.ROUTING && s.pending() != null && s.pending().lookup() != null);
  }

  private Effect<Event, State> onSettleWake(State s, SettleWake c) {
    Instant next = s.nextDeadline();
    if (settled(s) && (next == null || next.isAfter(clock.instant()))) {
      c.replyTo().tell(new Woken(conversationId, lastSequenceNumber(context), next));
      wakeWaiter = null;
      timers.cancel(SettleWake.class);
    } else {
      // checked again when an acknowledgement arrives, and at the latest after a redelivery interval
      wakeWaiter = c.replyTo();
      timers.startSingleTimer(SettleWake.class, c, settings.redeliveryInterval());
    }
    return Effect().none();
  }

  /** An acknowledgement arrived: a wake-up waiting for it may be answered now. */
  private void settleWakeAgain() {
    if (wakeWaiter != null) context.getSelf().tell(new SettleWake(wakeWaiter));
  }

  /**
   * Stops (through the shard, which buffers what arrives meanwhile) when idle for {@code passivate-after}
   * and settled, unless a deadline is within {@code min-sleep}. A waiting conversation stays: its team
   * checks it every queue-check interval anyway.
   */
  private Effect<Event, State> onIdleCheck(State s, IdleCheck c) {
    if (pre != null) return Effect().none();
    Instant now = clock.instant();
    Instant next = s.nextDeadline();
    if (passivation != null && idleness.idleLongEnough() && settled(s)
        && s.status() != Status.WAITING && (next == null || !next.isBefore(now.plus(settings.minSleep())))) {
      passivation.accept(context.getSelf());
    }
    return Effect().none();
  }

  // ---- inbound ----

  private Effect<Event, State> onContactChanged(State s, ContactChanged c) {
    if (s.recentMessageIds().contains(c.eventId())) {
      return Effect().reply(c.replyTo(), Outcome.ok("duplicate contact event " + c.eventId() + " already recorded"));
    }
    Instant at = c.at() == null ? clock.instant() : c.at();
    return Effect().persist(new ContactEventRecorded(c.eventId(), c.kind(), c.text(), c.fields(), at))
        .thenReply(c.replyTo(), x -> Outcome.ok("contact event recorded"));
  }

  private Effect<Event, State> onInbound(State s, Inbound c) {
    if (s.recentMessageIds().contains(c.messageId())) {
      return Effect().reply(c.replyTo(), Outcome.ok("duplicate message " + c.messageId() + " already accepted"));
    }
    boolean opens = !s.isOpen();
    RoutingHint hint = c.hint() == null ? RoutingHint.toTeam(null) : c.hint();
    String team = opens && hint.team() != null ? hint.team() : s.team();
    Instant now = clock.instant();
    Map<String, String> learned = changed(s.contactFields(), c.fields());
    Event decided = null;
    if (opens && c.rules() != null) {
      Map<String, String> fields = new java.util.HashMap<>(s.contactFields());
      fields.putAll(learned);
      Routing routing = new Routing(c.rules(), c.text(), hint.language(), hint.team());
      Decision d = RulesEngine.decide(c.rules(), new RulesEngine.Context(c.text(), channel, fields, hint.language(),
          s.episodes() > 0, hint.priority(), now, Set.of()));
      decided = decisionEvent(s, d, routing, now);
      if (decided instanceof RulesDecided r) team = r.team();
      if (decided instanceof StepStarted) team = team != null ? team : hint.team();
    }
    if (team == null && !(decided instanceof StepStarted) && s.status() != Status.ROUTING) {
      return Effect().reply(c.replyTo(), Outcome.refused("no_route",
          "conversation " + conversationId + " has no team: " + (decided instanceof RulesDecided r ? r.reason()
              : "the message names none and there is no previous one")));
    }
    Instant replyDeadline = null;
    if (s.status() == Status.ASSIGNED && policyOf(s).hasReplyWindow()) {
      replyDeadline = s.replyDeadline() != null ? s.replyDeadline() : now.plus(policyOf(s).replyWindow());
    }
    boolean startsReplyWindow = !opens && replyDeadline != null && s.replyDeadline() == null;
    Instant sent = c.sentAt() != null && c.sentAt().isBefore(now) ? c.sentAt() : now;
    List<Event> events = new ArrayList<>();
    events.add(new MessageReceived(c.messageId(), c.text(), now, hint, team, sent.plus(settings.serviceWindow()),
        replyDeadline, opens, startsReplyWindow));
    if (!learned.isEmpty()) events.add(new ContactFieldsLearned(learned));
    if (decided != null) events.add(decided);
    if (s.status() == Status.ROUTING && s.pending() != null && s.pending().question() != null) {
      events.addAll(answerEvents(s, learned, Answers.check(s.pending().question(), c.text(), s.pending().attempt()),
          now));
    }
    if (opens && settings.prerouteTimeout() != null) {
      State next = applied(s, events);
      if (next.status() == Status.WAITING && !next.poolOnly()) {
        // Routed before it is stored: the message and its assignment become one write (or it is stored alone).
        pre = new Preroute(c, events, next, now);
        directory.team(next.team(), new Team.ProbeAgent(request(next)));
        timers.startSingleTimer(PrerouteTimeout.class, new PrerouteTimeout(next.attempt()), settings.prerouteTimeout());
        return Effect().none();
      }
    }
    return storeInbound(s, events, opens, c.replyTo());
  }

  /** Persists an inbound message's events; the side effects (asking the team, timers) and the answer follow. */
  private EffectBuilder<Event, State> storeInbound(State s, List<Event> events, boolean opens,
      ActorRef<Outcome> replyTo) {
    return Effect().persist(events)
        .thenRun(ns -> {
          afterRouting(s, ns);
          observer.messageReceived(conversationId, opens);
          reply(replyTo, Outcome.ok("accepted"));
        });
  }

  /**
   * The probe of round {@code attempt} found nobody (or no answer came): the opening message is stored
   * alone and waits for an agent. Nothing for a round that is not the one being probed.
   */
  private Effect<Event, State> storeWithoutAgent(State s, int attempt) {
    if (pre == null || attempt != pre.next().attempt()) return Effect().none();
    Preroute p = pre;
    pre = null;
    timers.cancel(PrerouteTimeout.class);
    return storeInbound(s, p.events(), true, p.inbound().replyTo()).thenUnstashAll();
  }

  /** The probe's agent reserved it: the opening message and the assignment in one write. */
  private Effect<Event, State> storeAssigned(AssignTo c) {
    Preroute p = pre;
    pre = null;
    timers.cancel(PrerouteTimeout.class);
    Instant now = clock.instant();
    RoutingPolicy policy = c.policy() != null ? c.policy() : policyOf(p.next());
    List<Event> all = new ArrayList<>(p.events());
    all.add(new Assigned(c.agentId(), c.hold(), c.team(), policy, now,
        policy.hasReplyWindow() ? now.plus(policy.replyWindow()) : null, null));
    return Effect().persist(all)
        .thenRun(ns -> {
          directory.agent(c.agentId(), new Agent.AssignmentConfirmed(conversationId, c.hold()));
          armTimers(ns);
          observer.messageReceived(conversationId, true);
          observer.assigned(conversationId, c.agentId(), ns.team(), Duration.between(p.arrivedAt(), now));
          reply(p.inbound().replyTo(), Outcome.ok("accepted"));
        })
        .thenUnstashAll();
  }

  /** The state {@code events} lead to from {@code s} (the event handler is pure). */
  private State applied(State s, List<Event> evts) {
    State next = s;
    for (Event e : evts) next = events.apply(next, e);
    return next;
  }

  /** The fields of {@code incoming} that are new or different from {@code known}. */
  private static Map<String, String> changed(Map<String, String> known, Map<String, String> incoming) {
    if (incoming == null || incoming.isEmpty()) return Map.of();
    Map<String, String> out = new java.util.TreeMap<>();
    incoming.forEach((k, v) -> {
      if (k != null && v != null && !v.equals(known.get(k))) out.put(k, v);
    });
    return out;
  }

  // ---- routing rules: decisions and steps ----

  /**
   * The event that carries out a decision of the rules: a route ({@link RulesDecided}), or the start
   * of a step ({@link StepStarted}). Rules name teams and agents within the tenant. No rule matching
   * (only with rules the validator refuses) routes to the message's own team, if any.
   */
  private Event decisionEvent(State s, Decision d, Routing routing, Instant now) {
    if (d instanceof Decision.Route r) {
      return routeEvent(s, r.rule(), r.action(), r.reason(), r.priority(), r.setFields(), r.tags(), now);
    }
    if (d instanceof Decision.Ask a) {
      return new StepStarted(a.rule(), a.reason() + ": asking the contact", a.question(), null,
          now.plus(a.question().timeout()), a.priority(), a.setFields(), a.tags(), routing, now);
    }
    if (d instanceof Decision.Lookup l) {
      return new StepStarted(l.rule(), l.reason() + ": looking the contact up", null, l.lookup(),
          now.plus(l.lookup().timeout()), l.priority(), l.setFields(), l.tags(), routing, now);
    }
    Decision.Unrouted u = (Decision.Unrouted) d;
    String team = routing.hintTeam() != null ? routing.hintTeam() : s.team();
    return new RulesDecided(null, u.reason(), team, s.priority(), null, false, Map.of(), Set.of(), now, Map.of());
  }

  private RulesDecided routeEvent(State s, String rule, Action.Terminal route, String reason, int priority,
      Map<String, String> set, Set<String> tags, Instant now) {
    String tenant = EntityIds.tenantOf(conversationId) + "/";
    String preferred = null;
    if (route instanceof Action.ToAgent a) preferred = tenant + a.agent();
    if (route instanceof Action.PreviousAgent) preferred = s.previousAgent();
    Map<String, Integer> skills = route instanceof Action.ToTeam t ? t.skills() : Map.of();
    return new RulesDecided(rule, reason, tenant + route.team(), priority, preferred, route instanceof Action.Pool,
        set, tags, now, skills);
  }

  /** After an accepted step: the rules decide again with what the step produced, the step marked done. */
  private Event decideAgain(State s, String stepId, Map<String, String> produced, Instant now) {
    Routing routing = s.routing();
    Map<String, String> fields = new java.util.HashMap<>(s.contactFields());
    fields.putAll(produced);
    Set<String> done = new LinkedHashSet<>(s.stepsDone());
    done.add(stepId);
    Decision d = RulesEngine.decide(routing.rules(), new RulesEngine.Context(routing.text(), channel, fields,
        routing.hintLanguage(), s.episodes() > 1, s.priority(), now, done));
    return decisionEvent(s, d, routing, now);
  }

  /** What an answer (or a timeout, as {@link Answers#timedOut}) does to the pending question. */
  private List<Event> answerEvents(State s, Map<String, String> learned, Answers.Verdict verdict, Instant now) {
    Pending p = s.pending();
    List<Event> events = new ArrayList<>();
    if (verdict instanceof Answers.Accepted a) {
      Map<String, String> produced = Map.of(p.question().field(), a.value());
      events.add(new StepAnswered(p.stepId(), produced, now));
      Map<String, String> all = new java.util.HashMap<>(learned);
      all.putAll(produced);
      events.add(decideAgain(s, p.stepId(), all, now));
    } else if (verdict instanceof Answers.Retry r) {
      events.add(new StepRetried(p.stepId(), r.nextAttempt(), now.plus(p.question().timeout()), r.message()));
    } else {
      Answers.GiveUp g = (Answers.GiveUp) verdict;
      events.add(new StepFailed(p.stepId(), g.reason(), now));
      events.add(routeEvent(s, p.rule(), g.fallback(), g.reason() + ": fallback route", s.priority(), Map.of(),
          Set.of(), now));
    }
    return events;
  }

  /** A pending step's deadline: a question is asked again or given up, a lookup falls back. */
  private Effect<Event, State> onStepDeadline(State s, StepDeadline c) {
    Pending p = s.pending();
    if (s.status() != Status.ROUTING || p == null || !c.deadline().equals(p.deadline())) return Effect().none();
    Instant now = clock.instant();
    if (now.isBefore(c.deadline())) {
      armTimers(s);
      return Effect().none();
    }
    List<Event> events = p.question() != null
        ? answerEvents(s, Map.of(), Answers.timedOut(p.question(), p.attempt()), now)
        : lookupFailed(s, "the CRM lookup '" + p.stepId() + "' timed out after " + p.lookup().timeout(), now);
    return Effect().persist(events).thenRun(ns -> afterRouting(s, ns));
  }

  private List<Event> lookupFailed(State s, String reason, Instant now) {
    Pending p = s.pending();
    return List.of(new StepFailed(p.stepId(), reason, now),
        routeEvent(s, p.rule(), p.lookup().fallback(), reason + ": fallback route", s.priority(), Map.of(), Set.of(),
            now));
  }

  private Effect<Event, State> onLookupFinished(State s, LookupFinished c) {
    Pending p = s.pending();
    if (s.status() != Status.ROUTING || p == null || p.lookup() == null || !p.stepId().equals(c.stepId())) {
      return Effect().none();
    }
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>();
    if (c.result().ok()) {
      events.add(new StepAnswered(p.stepId(), c.result().fields(), now));
      events.add(decideAgain(s, p.stepId(), c.result().fields(), now));
    } else {
      events.addAll(lookupFailed(s, "the CRM lookup '" + p.stepId() + "' failed: " + c.result().error(), now));
    }
    return Effect().persist(events).thenRun(ns -> afterRouting(s, ns));
  }

  /**
   * Side effects once routing events are stored: a new or repeated question is sent to the contact, a
   * new lookup is started, a conversation that left ROUTING (or opened) asks its team; timers re-armed.
   */
  private void afterRouting(State before, State now) {
    Pending p = now.pending();
    if (p != null && !p.equals(before.pending())) runStep(now);
    if (now.status() == Status.WAITING && (!before.isOpen() || before.status() == Status.ROUTING)) askTeam(now);
    armTimers(now);
  }

  /** Sends the pending question (its prompt for this attempt) or starts the pending lookup. */
  private void runStep(State s) {
    Pending p = s.pending();
    if (p.question() != null) {
      Question q = p.question();
      ports.sendToContact(conversationId, p.prompt(), q.hasOptions() ? q.options() : null,
          conversationId + ":" + p.stepId() + ":" + p.attempt());
    } else {
      Map<String, String> fields = s.contactFields();
      context.pipeToSelf(ports.lookup(conversationId, p.lookup(), fields), (result, failure) ->
          new LookupFinished(p.stepId(), result != null ? result
              : RoutingPorts.LookupResult.failed(failure == null ? "no answer" : failure.toString())));
    }
  }

  // ---- assignment ----

  private Effect<Event, State> onAssignTo(State s, AssignTo c) {
    if (pre != null) {
      if (c.hold().equals("r" + pre.next().attempt())) return storeAssigned(c);
      return Effect().stash(); // a claim or an older round: decided once the opening message is stored
    }
    if (s.status() == Status.ASSIGNED && c.agentId().equals(s.agentId()) && c.hold().equals(s.hold())) {
      directory.agent(c.agentId(), new Agent.AssignmentConfirmed(conversationId, c.hold(), claimPolicy(c, policyOf(s))));
      reply(c.replyTo(), Outcome.ok("assigned to " + c.agentId()));
      return Effect().none();
    }
    if (!acceptable(s, c) || !mayClaim(s, c)) {
      directory.agent(c.agentId(), new Agent.Release(conversationId, c.hold()));
      reply(c.replyTo(), acceptable(s, c) ? notAMember(s, c) : refusalFor(s, c));
      return Effect().none();
    }
    Instant now = clock.instant();
    RoutingPolicy policy = c.policy() != null ? c.policy() : policyOf(s);
    Instant replyDeadline = s.awaitingReply() && policy.hasReplyWindow() ? now.plus(policy.replyWindow()) : null;
    Instant idle = !s.awaitingReply() && policy.hasIdleAutoResolve() ? now.plus(policy.idleAutoResolve()) : null;
    Status before = s.status();
    String previous = s.agentId();
    String previousHold = s.hold();
    return Effect().persist(new Assigned(c.agentId(), c.hold(), c.team(), policy, now, replyDeadline, idle))
        .thenRun(ns -> {
          directory.agent(c.agentId(), new Agent.AssignmentConfirmed(conversationId, c.hold(), claimPolicy(c, policy)));
          if (previous != null) directory.agent(previous, new Agent.Release(conversationId, previousHold));
          if (before == Status.WAITING && s.team() != null) {
            directory.team(s.team(), new Team.Withdraw(conversationId, s.attempt()));
          }
          armTimers(ns);
          reply(c.replyTo(), Outcome.ok("assigned to " + c.agentId()));
          observer.assigned(conversationId, c.agentId(), ns.team(),
              s.waitingSince() == null ? Duration.ZERO : Duration.between(s.waitingSince(), now));
        });
  }

  /** A claimer learns the team policy with the confirmation (its reservation knew no team); others have it. */
  private static RoutingPolicy claimPolicy(AssignTo c, RoutingPolicy policy) {
    return c.hold().startsWith("c") ? policy : null;
  }

  private boolean acceptable(State s, AssignTo c) {
    if (s.releases().contains(new Release(c.agentId(), c.hold()))) return false; // spent hold
    if (c.hold().startsWith("c")) return s.status() == Status.WAITING || s.status() == Status.ESCALATED;
    int round;
    try {
      round = Integer.parseInt(c.hold().substring(1));
    } catch (NumberFormatException e) {
      return false;
    }
    if (round != s.attempt()) return false;
    return s.status() == Status.WAITING
        || ((s.status() == Status.ASSIGNED || s.status() == Status.ESCALATED) && c.agentId().equals(s.transferTo()));
  }

  /**
   * Only the members of the conversation's team and its supervisor (the team's, or the one it is
   * escalated to) may claim it; offers and transfers are not claims.
   */
  private boolean mayClaim(State s, AssignTo c) {
    if (!c.hold().startsWith("c") || c.agentTeams() == null || s.team() == null) return true;
    EscalationTarget target = policyOf(s).escalation();
    return c.agentTeams().contains(s.team()) || c.agentId().equals(s.escalatedTo())
        || (target != null && c.agentId().equals(target.supervisorAgent()));
  }

  private Outcome notAMember(State s, AssignTo c) {
    return Outcome.refused("not_a_member", "agent " + EntityIds.localName(c.agentId()) + " is neither a member of team "
        + EntityIds.localName(s.team()) + " nor its supervisor: only they may claim its conversations");
  }

  private Outcome refusalFor(State s, AssignTo c) {
    return switch (s.status()) {
      case ASSIGNED -> Outcome.refused("already_assigned",
          "conversation " + conversationId + " is already assigned to " + s.agentId());
      case RESOLVED, NEW -> Outcome.refused("not_open", "conversation " + conversationId + " is not open");
      default -> Outcome.refused("offer_expired", "the offer to " + c.agentId() + " is no longer current");
    };
  }

  private Effect<Event, State> onQueued(State s, Queued c) {
    if (s.status() != Status.WAITING || s.attempt() != c.attempt() || !c.team().equals(s.team())) {
      return Effect().none();
    }
    queuedAckAttempt = c.attempt();
    queueReason = c.reason();
    settleWakeAgain();
    if (c.policy() == null || c.policy().equals(s.policy())) return Effect().none();
    return Effect().persist(new PolicyLearned(c.policy()));
  }

  private Effect<Event, State> onTeamCannotServe(State s, TeamCannotServe c) {
    if (pre != null) return c.attempt() == pre.next().attempt() ? storeWithoutAgent(s, c.attempt()) : Effect().stash();
    if (s.status() != Status.WAITING || s.attempt() != c.attempt() || !c.team().equals(s.team())) {
      return Effect().none();
    }
    Instant now = clock.instant();
    if (c.overflowTeam() != null && !s.visitedTeams().contains(c.overflowTeam())) {
      return Effect().persist(new Overflowed(s.team(), c.overflowTeam(), c.code(), now)).thenRun(this::askTeam);
    }
    return escalate(s, c.code() + ": " + c.message(), now);
  }

  /** The team's escalation target: its escalation team (once per episode), else its supervisor, else parked. */
  private Effect<Event, State> escalate(State s, String reason, Instant now) {
    EscalationTarget target = policyOf(s).escalation();
    String team = target != null && target.team() != null && !s.visitedTeams().contains(target.team())
        ? target.team() : null;
    String supervisor = team == null && target != null ? target.supervisorAgent() : null;
    String fromAgent = s.agentId();
    String fromHold = s.hold();
    String fromTeam = s.team();
    boolean wasWaiting = s.status() == Status.WAITING;
    return Effect().persist(new Escalated(fromAgent, fromHold, reason, supervisor, team, now))
        .thenRun(ns -> {
          if (fromAgent != null) directory.agent(fromAgent, new Agent.Release(conversationId, fromHold));
          if (wasWaiting && fromTeam != null) directory.team(fromTeam, new Team.Withdraw(conversationId, s.attempt()));
          if (ns.status() == Status.WAITING) askTeam(ns);
          if (supervisor != null) directory.agent(supervisor, new Agent.EscalationNotice(conversationId, reason));
          armTimers(ns);
          observer.escalated(conversationId, fromAgent, supervisor, team, reason);
        });
  }

  // ---- agent actions ----

  private Effect<Event, State> onAgentReply(State s, AgentReply c) {
    if (s.status() != Status.ASSIGNED || !c.agentId().equals(s.agentId())) {
      return Effect().reply(c.replyTo(), Outcome.refused("not_assigned",
          "conversation " + conversationId + " is not assigned to " + c.agentId()));
    }
    Instant now = clock.instant();
    if (!c.template() && (s.serviceWindowClosed() || !now.isBefore(s.serviceWindowClosesAt()))) {
      return Effect().reply(c.replyTo(), Outcome.refused("service_window_closed",
          "the customer service window closed at " + s.serviceWindowClosesAt()
              + " (24 h after the contact's last message): only a template message can be sent"));
    }
    RoutingPolicy policy = policyOf(s);
    Instant idle = policy.hasIdleAutoResolve() ? now.plus(policy.idleAutoResolve()) : null;
    return Effect().persist(new AgentReplied(c.agentId(), c.template(), now, idle, !s.answered()))
        .thenRun(this::armTimers)
        .thenReply(c.replyTo(), ns -> Outcome.ok(c.template() ? "template sent" : "reply sent"));
  }

  private Effect<Event, State> onTransfer(State s, Transfer c) {
    if (!s.isOpen()) {
      return Effect().reply(c.replyTo(), Outcome.refused("not_open", "conversation " + conversationId + " is not open"));
    }
    if ((c.toAgent() == null) == (c.toTeam() == null)) {
      return Effect().reply(c.replyTo(), Outcome.refused("bad_transfer", "name exactly one of toAgent, toTeam"));
    }
    Instant now = clock.instant();
    if (c.toTeam() != null) {
      String fromAgent = s.agentId();
      String fromHold = s.hold();
      String fromTeam = s.team();
      boolean wasWaiting = s.status() == Status.WAITING;
      return Effect().persist(new TransferredToTeam(fromAgent, fromHold, c.toTeam(), c.requestedBy(), now))
          .thenRun(ns -> {
            if (fromAgent != null) directory.agent(fromAgent, new Agent.Release(conversationId, fromHold));
            if (wasWaiting && !fromTeam.equals(c.toTeam())) {
              directory.team(fromTeam, new Team.Withdraw(conversationId, s.attempt()));
            }
            askTeam(ns);
            armTimers(ns);
          })
          .thenReply(c.replyTo(), ns -> Outcome.ok("transferred to team " + c.toTeam()));
    }
    if (c.toAgent().equals(s.agentId())) {
      return Effect().reply(c.replyTo(), Outcome.refused("already_assigned",
          "conversation " + conversationId + " is already assigned to " + c.toAgent()));
    }
    return Effect().persist(new TransferRequested(c.toAgent(), c.requestedBy(), now))
        .thenRun(ns -> directory.agent(c.toAgent(), new Agent.Offer(request(ns), "r" + ns.attempt(), ns.team(),
            policyOf(ns), true, c.replyTo())));
  }

  private Effect<Event, State> onTransferDeclined(State s, TransferDeclined c) {
    reply(c.replyTo(), Outcome.refused(c.reason(), "agent " + c.agentId() + " cannot take the conversation: "
        + c.reason()));
    if (s.status() == Status.WAITING && c.hold().equals("r" + s.attempt())) askTeam(s);
    return Effect().none();
  }

  private Effect<Event, State> onResolve(State s, Resolve c) {
    if (!s.isOpen()) {
      return Effect().reply(c.replyTo(), Outcome.refused("not_open", "conversation " + conversationId + " is not open"));
    }
    return resolve(s, "resolved by " + c.requestedBy()).thenReply(c.replyTo(), ns -> Outcome.ok("resolved"));
  }

  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<Event, State> resolve(State s, String reason) {
    String agent = s.agentId();
    String hold = s.hold();
    boolean wasWaiting = s.status() == Status.WAITING;
    return Effect().persist(new Resolved(agent, hold, reason, clock.instant()))
        .thenRun(ns -> {
          if (agent != null) directory.agent(agent, new Agent.Release(conversationId, hold));
          if (wasWaiting) directory.team(s.team(), new Team.Withdraw(conversationId, s.attempt()));
          armTimers(ns);
          observer.resolved(conversationId, agent, reason);
        });
  }

  private Effect<Event, State> onAgentWentOffline(State s, AgentWentOffline c) {
    if (s.status() != Status.ASSIGNED || !c.agentId().equals(s.agentId()) || !c.hold().equals(s.hold())) {
      return Effect().none();
    }
    if (s.answered() && !policyOf(s).rerouteAnsweredOnOffline()) return Effect().none();
    return reroute(s, "agent_offline", false);
  }

  private Effect<Event, State> reroute(State s, String cause, boolean lapsed) {
    String agent = s.agentId();
    String hold = s.hold();
    return Effect().persist(new Rerouted(agent, hold, cause, lapsed, clock.instant()))
        .thenRun(ns -> {
          directory.agent(agent, new Agent.Release(conversationId, hold));
          askTeam(ns);
          armTimers(ns);
          observer.rerouted(conversationId, agent, ns.team(), cause);
        });
  }

  // ---- clocks ----

  private Effect<Event, State> onReplyWindowEnded(State s, ReplyWindowEnded c) {
    if (s.status() != Status.ASSIGNED || !c.deadline().equals(s.replyDeadline())) return Effect().none();
    Instant now = clock.instant();
    if (now.isBefore(c.deadline())) {
      armTimers(s);
      return Effect().none();
    }
    if (s.reroutes() >= policyOf(s).maxReroutes()) {
      return escalate(s, "reply_window_lapsed: " + s.agentId() + " did not answer within "
          + policyOf(s).replyWindow() + " after " + s.reroutes() + " re-routes", now);
    }
    return reroute(s, "reply_window_lapsed", true);
  }

  private Effect<Event, State> onReplyWindowClosing(State s, ReplyWindowClosing c) {
    if (s.status() == Status.ASSIGNED && c.deadline().equals(s.replyDeadline())) {
      observer.replyWindowClosing(conversationId, s.agentId(), c.deadline());
    }
    return Effect().none();
  }

  private Effect<Event, State> onIdleTimeout(State s, IdleTimeout c) {
    if (s.status() != Status.ASSIGNED || !c.deadline().equals(s.idleDeadline())) return Effect().none();
    if (clock.instant().isBefore(c.deadline())) {
      armTimers(s);
      return Effect().none();
    }
    return resolve(s, "idle: no message for " + policyOf(s).idleAutoResolve());
  }

  private Effect<Event, State> onServiceWindowEnds(State s, ServiceWindowEnds c) {
    if (s.serviceWindowClosed() || !c.deadline().equals(s.serviceWindowClosesAt())) return Effect().none();
    Instant now = clock.instant();
    if (now.isBefore(c.deadline())) {
      armTimers(s);
      return Effect().none();
    }
    return Effect().persist(new ServiceWindowClosed(now));
  }

  private void armTimers(State s) {
    Instant now = clock.instant();
    arm(ReplyWindowEnded.class, s.runningReplyDeadline(), now, ReplyWindowEnded::new);
    arm(IdleTimeout.class, s.runningIdleDeadline(), now, IdleTimeout::new);
    armReplyWindowWarning(s, now);
    arm(StepDeadline.class, s.runningStepDeadline(), now, StepDeadline::new);
    arm(ServiceWindowEnds.class, s.runningServiceWindow(), now, ServiceWindowEnds::new);
    scheduleRedelivery(s);
  }

  /**
   * The warning comes {@code reply-window-warning} before the deadline (at most half the window);
   * derived from the persisted deadline, so it is re-armed after recovery, and skipped once its
   * moment has passed (a warning is a courtesy, the deadline itself is what must not be missed).
   */
  private void armReplyWindowWarning(State s, Instant now) {
    Instant deadline = s.runningReplyDeadline();
    if (deadline == null || !policyOf(s).hasReplyWindow()) {
      timers.cancel(ReplyWindowClosing.class);
      return;
    }
    Duration half = policyOf(s).replyWindow().dividedBy(2);
    Duration lead = settings.replyWindowWarning().compareTo(half) < 0 ? settings.replyWindowWarning() : half;
    Instant warnAt = deadline.minus(lead);
    if (warnAt.isAfter(now)) {
      timers.startSingleTimer(ReplyWindowClosing.class, new ReplyWindowClosing(deadline), Duration.between(now, warnAt));
    } else {
      timers.cancel(ReplyWindowClosing.class);
    }
  }

  /**
   * Something unacknowledged (this round's request, a release) is re-sent every redelivery
   * interval; a conversation its team has queued only re-announces itself, far less often, so a
   * queue entry lost with a team's crash is rebuilt. Nothing pending: no timer at all.
   */
  private void scheduleRedelivery(State s) {
    boolean waiting = s.status() == Status.WAITING;
    Duration d;
    if ((waiting && queuedAckAttempt != s.attempt()) || !unackedReleases(s).isEmpty()) {
      d = settings.redeliveryInterval();
    } else if (waiting) {
      d = settings.queueCheckInterval();
    } else {
      timers.cancel(Redeliver.class);
      redeliveryDue = null;
      return;
    }
    Instant due = clock.instant().plus(d);
    if (redeliveryDue == null || !timers.isTimerActive(Redeliver.class) || redeliveryDue.isAfter(due)) {
      timers.startSingleTimer(Redeliver.class, new Redeliver(), d);
      redeliveryDue = due;
    }
  }

  private void arm(Class<?> key, Instant deadline, Instant now, java.util.function.Function<Instant, Command> msg) {
    deadlines.at(key, deadline, now, deadline == null ? null : msg.apply(deadline));
  }

  // ---- at-least-once: asking the team and releasing agents ----

  private Effect<Event, State> onRedeliver(State s, Redeliver c) {
    redeliveryDue = null;
    if (s.status() == Status.WAITING) directory.team(s.team(), new Team.RequestAgent(request(s)));
    sendReleases(s);
    scheduleRedelivery(s);
    return Effect().none();
  }

  private void askTeam(State s) {
    directory.team(s.team(), new Team.RequestAgent(request(s)));
    scheduleRedelivery(s);
  }

  private RoutingRequest request(State s) {
    Need need = new Need(channel, s.requiredSkills(), s.language(), s.lapsedAgents(), s.preferredAgent(), s.poolOnly());
    return new RoutingRequest(conversationId, s.attempt(), s.priority(), need, s.waitingSince());
  }

  private List<Release> unackedReleases(State s) {
    return s.releases().stream().filter(r -> !releasesAcked.contains(r)).toList();
  }

  private void sendReleases(State s) {
    for (Release r : unackedReleases(s)) directory.agent(r.agentId(), new Agent.Release(conversationId, r.hold()));
  }

  private RoutingPolicy policyOf(State s) {
    return s.policy() != null ? s.policy() : settings.defaultPolicy();
  }

  private static void reply(ActorRef<Outcome> to, Outcome outcome) {
    if (to != null) to.tell(outcome);
  }

  // ---- events ----

  @Override
  public EventHandler<State, Event> eventHandler() {
    return events;
  }
}

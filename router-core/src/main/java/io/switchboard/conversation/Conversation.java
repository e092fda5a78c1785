package io.switchboard.conversation;

import io.switchboard.HoldToken;
import io.switchboard.Canonical;
import io.switchboard.CborSerializable;
import io.switchboard.CoreSettings;
import io.switchboard.Directory;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.RoutingObserver;
import io.switchboard.RoutingPorts;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.state.Assignment;
import io.switchboard.conversation.state.Clocks;
import io.switchboard.conversation.state.ContactMemory;
import io.switchboard.conversation.state.Round;
import io.switchboard.conversation.state.RuleFlow;
import io.switchboard.entity.Sharded;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.RoutingPolicy;
import io.switchboard.routing.rules.CrmLookup;
import io.switchboard.routing.rules.Question;
import io.switchboard.routing.rules.RoutingRules;
import io.switchboard.team.Team;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;

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
 *
 * <p>This class is its protocol and wiring: the commands, events, state and replies nested here (their
 * binary names, {@code Conversation$MessageReceived}, are the journal's manifests, so they stay here),
 * {@link #init} and {@link #create}. The behaviour is {@link ConversationEntity}, with its command
 * handlers grouped by concern and its event handler in {@link ConversationEvents}.
 */
public final class Conversation {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Conversation");

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
   * @param grantedAt set for a team's offer the agent granted in memory (docs/ARCHITECTURE.md, "One durable
   *     write per routed conversation"): accepted only within {@code grant-ttl} of it, so that an agent's
   *     recovery knows when every write of its grants has landed; null: a persisted reservation
   */
  public record AssignTo(String agentId, HoldToken hold, String team, RoutingPolicy policy, Set<String> agentTeams,
      ActorRef<Outcome> replyTo, Instant grantedAt) implements Command {
    public AssignTo(String agentId, HoldToken hold, String team, RoutingPolicy policy, Set<String> agentTeams,
        ActorRef<Outcome> replyTo) {
      this(agentId, hold, team, policy, agentTeams, replyTo, null);
    }

    public AssignTo(String agentId, HoldToken hold, String team, RoutingPolicy policy, ActorRef<Outcome> replyTo) {
      this(agentId, hold, team, policy, null, replyTo, null);
    }

    /** A grant too old to be persisted now (its agent may have recovered and scanned since). */
    public boolean grantExpired(Instant now, java.time.Duration ttl) {
      return grantedAt != null && now.isAfter(grantedAt.plus(ttl));
    }
  }

  public record ReleaseAcknowledged(String agentId, HoldToken hold) implements Command {}

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
  record PrerouteTimeout(int attempt) implements Command {}

  /** The team gives up on this round: go to {@code overflowTeam} if any (and not visited yet), else escalate. */
  public record TeamCannotServe(String team, int attempt, String overflowTeam, String code, String message)
      implements Command {}

  /** A reply by the assigned agent. Refused when not assigned to them, or free-form after the service window. */
  public record AgentReply(String agentId, String text, boolean template, ActorRef<Outcome> replyTo)
      implements Command {}

  /** Moves the conversation to an agent (who must have room) or a team. Replies ok once done, or why not. */
  public record Transfer(String toAgent, String toTeam, String requestedBy, ActorRef<Outcome> replyTo)
      implements Command {}

  public record TransferDeclined(String agentId, HoldToken hold, String reason, ActorRef<Outcome> replyTo)
      implements Command {}

  /** Ends the episode and frees the agent. Replies ok, or not_open. */
  public record Resolve(String requestedBy, ActorRef<Outcome> replyTo) implements Command {}

  /** The agent stayed offline past its grace period while holding this conversation under {@code hold}. */
  public record AgentWentOffline(String agentId, HoldToken hold) implements Command {}

  public record Get(ActorRef<View> replyTo) implements Command {}

  /** A CRM lookup came back. */
  record LookupFinished(String stepId, RoutingPorts.LookupResult result) implements Command {}

  /**
   * The conversation's one clock timer: armed for the earliest of its running deadlines (the reply window,
   * its warning, a rule step's, idle auto-resolve, the service window; each persisted as an instant, the
   * warning derived from the reply window's) at {@code at}; told at once when one is due already. Whatever
   * is due when it arrives is handled, then the timer is armed for the next ({@code Deadlines}).
   */
  record ClockDue(Instant at) implements Command {
    /** The timer's message (the instant it was armed for is the conversation's {@code clockArmedFor}). */
    static final ClockDue TIMER = new ClockDue(null);
  }

  record Redeliver() implements Command {}

  /**
   * A timer of {@link ConversationTimers} fired: {@code message} is handled unless the timer was cancelled or
   * replaced meanwhile. Local to its actor, never serialized; mutable only inside it (its list and task).
   */
  static final class TimerFired implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {
    final Object key;
    final Command message;
    /** Null for a single timer, else the delay between deliveries. */
    final java.time.Duration every;
    org.apache.pekko.actor.Cancellable cancellable;
    TimerFired next;

    TimerFired(Object key, Command message, java.time.Duration every, TimerFired next) {
      this.key = key;
      this.message = message;
      this.every = every;
      this.next = next;
    }
  }

  /**
   * The wake-up keeper: a deadline of this conversation is due at {@code wakeAt} (its index row,
   * version {@code seq}). Delivering it starts a passivated conversation, which re-arms its timers;
   * once whatever was due has fired and nothing is left unacknowledged, it answers {@link Woken}.
   */
  public record WakeUp(Instant wakeAt, long seq, ActorRef<Woken> replyTo) implements Command {}

  /** Sent by the shard when it passivates the conversation. */
  public record Passivate() implements Command {}

  /** Answers {@link WakeUp} once settled (re-sent to itself until then). */
  record SettleWake(ActorRef<Woken> replyTo) implements Command {}

  /** Every {@code passivate-after}: stop if nothing happened meanwhile and nothing needs this incarnation. */
  record IdleCheck() implements Command {}

  /**
   * The conversation handled its wake-up: at event {@code seq}, its next deadline is {@code next}
   * (null: none), which the keeper writes into its index.
   */
  public record Woken(String conversationId, long seq, Instant next) implements CborSerializable {}

  /** @param queueReason why it waits, as its team last said (not persisted) */
  public record View(String conversationId, State state, String queueReason) implements CborSerializable {}

  // ---- events ----

  /**
   * {@link #shownInReadModels}: whether the event changes what a read model shows (the lists, statistics, the
   * wake-up index, webhooks), so that it is tagged for their projection; a tag is a second row written with the
   * event. Opt-in: an event that does not say so is not tagged (follow-up messages, transfer requests, learned
   * policies, a closing service window, replies after the first, contact fields and events, step progress).
   */
  public sealed interface Event extends CborSerializable {
    default boolean shownInReadModels() {
      return false;
    }
  }

  /**
   * @param team the team an opening message routes to (the current one otherwise)
   * @param replyDeadline the reply window, when this message starts one for the assigned agent
   * @param opensEpisode the conversation was not open: this message starts a new episode (tagged for read models)
   * @param startsReplyWindow an answered conversation waits for its agent again: a new reply window
   *     starts, earlier than the idle deadline (tagged: the wake-up index must learn an earlier deadline)
   */
  public record MessageReceived(String messageId, String text, Instant at, RoutingHint hint, String team,
      Instant serviceWindowClosesAt, Instant replyDeadline, boolean opensEpisode, boolean startsReplyWindow)
      implements Event {
    @Override public boolean shownInReadModels() {
      return opensEpisode || startsReplyWindow;
    }
  }

  /**
   * @param team null for a claim (stays with the current team)
   * @param replacedAgent the agent whose hold this assignment ends (a transfer to another agent), null if none (and
   *     in events older than the field): tagged with that agent's hold tag too, see {@link #holdEndedBy}
   */
  public record Assigned(String agentId, HoldToken hold, String team, RoutingPolicy policy, Instant at,
      Instant replyDeadline, Instant idleDeadline, String replacedAgent, HoldToken replacedHold) implements Event {
    public Assigned(String agentId, HoldToken hold, String team, RoutingPolicy policy, Instant at,
        Instant replyDeadline, Instant idleDeadline) {
      this(agentId, hold, team, policy, at, replyDeadline, idleDeadline, null, null);
    }

    @Override public boolean shownInReadModels() { return true; }
  }

  /** @param firstOfAssignment the agent's first reply since it was assigned (tagged: it can be a first response) */
  public record AgentReplied(String agentId, boolean template, Instant at, Instant idleDeadline,
      boolean firstOfAssignment) implements Event {
    @Override public boolean shownInReadModels() {
      return firstOfAssignment;
    }
  }

  /** Back to the team's strategy; a lapsed agent is excluded for the rest of the episode. */
  public record Rerouted(String fromAgent, HoldToken fromHold, String cause, boolean lapsed, Instant at)
      implements Event { @Override public boolean shownInReadModels() { return true; } }

  /** @param team escalation team (routing continues there), else parked with the supervisor (may be null) */
  public record Escalated(String fromAgent, HoldToken fromHold, String reason, String supervisor, String team,
      Instant at) implements Event { @Override public boolean shownInReadModels() { return true; } }

  public record Overflowed(String fromTeam, String toTeam, String reason, Instant at) implements Event { @Override public boolean shownInReadModels() { return true; } }

  public record PolicyLearned(RoutingPolicy policy) implements Event {}

  public record TransferRequested(String toAgent, String requestedBy, Instant at) implements Event {}

  public record TransferredToTeam(String fromAgent, HoldToken fromHold, String toTeam, String requestedBy, Instant at)
      implements Event { @Override public boolean shownInReadModels() { return true; } }

  public record Resolved(String agentId, HoldToken hold, String reason, Instant at) implements Event { @Override public boolean shownInReadModels() { return true; } }

  /**
   * The agent's hold that {@code event} ends (a re-route, an escalation, a transfer to a team, a resolve), null
   * for any other event: tagged with that agent's hold tag beside its {@code Assigned}, so that the agent's scan
   * after a recovery pairs them (docs/ARCHITECTURE.md, "One durable write per routed conversation").
   */
  public static Release holdEndedBy(Event event) {
    if (event instanceof Rerouted e && e.fromAgent() != null) return new Release(e.fromAgent(), e.fromHold());
    if (event instanceof Escalated e && e.fromAgent() != null) return new Release(e.fromAgent(), e.fromHold());
    if (event instanceof TransferredToTeam e && e.fromAgent() != null) return new Release(e.fromAgent(), e.fromHold());
    if (event instanceof Resolved e && e.agentId() != null) return new Release(e.agentId(), e.hold());
    if (event instanceof Assigned e && e.replacedAgent() != null && !e.replacedAgent().equals(e.agentId())) {
      return new Release(e.replacedAgent(), e.replacedHold());
    }
    return null;
  }

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

    @Override public boolean shownInReadModels() {
      return true;
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

    @Override public boolean shownInReadModels() {
      return true;
    }
  }

  // ---- state ----

  /**
   * A hold this conversation gave up, re-sent to its agent until acknowledged. Named by agent and hold (equal
   * whatever its {@code wrapUpUntil}).
   *
   * @param wrapUpUntil given up by a resolve whose team has a wrap-up: the agent keeps the unit until then;
   *     null: released at once (and in states older than the field)
   */
  public record Release(String agentId, HoldToken hold, Instant wrapUpUntil) implements CborSerializable {
    public Release(String agentId, HoldToken hold) {
      this(agentId, hold, null);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Release r && java.util.Objects.equals(agentId, r.agentId)
          && java.util.Objects.equals(hold, r.hold);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(agentId, hold);
    }
  }

  /** A step the rules wait for: {@code question} or {@code lookup}, its attempt and deadline. */
  /** @param prompt what the contact is (to be) sent for this attempt of a question */
  public record Pending(String stepId, String rule, Question question, CrmLookup lookup, int attempt,
      Instant deadline, String prompt) implements CborSerializable {}

  /** What decisions after a step read: the rules in force and the opening message's text and hints. */
  public record Routing(RoutingRules rules, String text, String hintLanguage, String hintTeam)
      implements CborSerializable {}

  /**
   * The conversation's state: a few immutable records per concern (package {@code conversation.state}),
   * each changed by its own transition methods; an event changes the ones it touches and shares the rest
   * with the state before. Its transitions, one per event, are in {@link StateTransitions}.
   * Version 2 of the snapshot ({@link ConversationStateMigration} reads version 1, flat).
   *
   * @param assignment null unless an agent holds it (or a transfer is pending)
   * @param releases the latest agents this conversation was taken from (re-sent until acknowledged)
   * @param policy the team's policy as last learned (null: the default)
   * @param escalatedTo the supervisor it is parked with while ESCALATED
   */
  public record State(Status status, Round round, Assignment assignment, Clocks clocks, RuleFlow rules,
      ContactMemory contact, List<Release> releases, RoutingPolicy policy, String escalatedTo)
      implements CborSerializable, StateTransitions {

    /** Immutable, so one per node: Pekko keeps each entity's empty state for as long as the entity runs. */
    private static final State EMPTY = new State(Status.NEW, Round.EMPTY, null, Clocks.EMPTY, RuleFlow.EMPTY,
        ContactMemory.EMPTY, List.of(), null, null);

    public State {
      // one instance per team policy and supervisor, also when read from the journal or a snapshot
      policy = Canonical.of(policy);
      escalatedTo = Canonical.of(escalatedTo);
      round = round == null ? Round.EMPTY : round;
      clocks = clocks == null ? Clocks.EMPTY : clocks;
      rules = rules == null ? RuleFlow.EMPTY : rules;
      contact = contact == null ? ContactMemory.EMPTY : contact;
      releases = releases == null ? List.of() : releases;
    }

    static State empty() {
      return EMPTY;
    }

    // what the handlers read most, from the records above
    public String team() { return round.team(); }
    public int attempt() { return round.attempt(); }
    public int priority() { return round.priority(); }
    public String reason() { return round.reason(); }
    public String agentId() { return assignment == null ? null : assignment.agentId(); }
    public HoldToken hold() { return assignment == null ? null : assignment.hold(); }
    public String transferTo() { return assignment == null ? null : assignment.transferTo(); }
    public boolean answered() { return assignment != null && assignment.answered(); }
    public Instant replyDeadline() { return clocks.replyDeadline(); }
    public boolean awaitingReply() { return clocks.awaitingReply(); }
    public Pending pending() { return rules.pending(); }
    public Map<String, String> contactFields() { return contact.fields(); }
    public List<String> recentMessageIds() { return contact.recentMessageIds(); }

    public boolean isOpen() {
      return status == Status.ROUTING || status == Status.WAITING || status == Status.ASSIGNED
          || status == Status.ESCALATED;
    }

    /** The reply window running in this state (null: none). */
    Instant runningReplyDeadline() {
      return status == Status.ASSIGNED ? clocks.replyDeadline() : null;
    }

    Instant runningIdleDeadline() {
      return status == Status.ASSIGNED ? clocks.idleDeadline() : null;
    }

    Instant runningStepDeadline() {
      return status == Status.ROUTING && rules.pending() != null ? rules.pending().deadline() : null;
    }

    Instant runningServiceWindow() {
      return isOpen() && !clocks.serviceWindowClosed() ? clocks.serviceWindowClosesAt() : null;
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
    ConversationEntity.Wiring wiring = new ConversationEntity.Wiring(directory, clock, settings, observer, ports, events);
    ClusterSharding.get(system).init(Sharded.entity(system, ENTITY_TYPE_KEY, new Passivate(), false,
            (id, passivation) -> create(id, wiring, passivation))
        .withMessageExtractor(new HashCodeMessageExtractor<>(settings.conversationShards())));
  }

  public static Behavior<Command> create(String conversationId, Directory directory, Clock clock,
      CoreSettings settings, RoutingObserver observer, RoutingPorts ports) {
    return create(conversationId, directory, clock, settings, observer, ports, null);
  }

  /** @param passivation how to ask for a stop when idle; null (or passivate-after off): never */
  public static Behavior<Command> create(String conversationId, Directory directory, Clock clock,
      CoreSettings settings, RoutingObserver observer, RoutingPorts ports, Consumer<ActorRef<Command>> passivation) {
    return create(conversationId, new ConversationEntity.Wiring(directory, clock, settings, observer, ports,
        ConversationEvents.eventHandlerFor(settings.recentMessageIds())), passivation);
  }

  /** What the factory captures stays with the entity while it runs: the node's wiring, its id and passivation. */
  private static Behavior<Command> create(String conversationId, ConversationEntity.Wiring wiring,
      Consumer<ActorRef<Command>> passivation) {
    EntityIds.channelOf(conversationId);
    Consumer<ActorRef<Command>> p = wiring.settings().passivates() ? passivation : null;
    // no Behaviors.withTimers: the conversation's timers are its own (ConversationTimers)
    return Behaviors.setup(ctx -> new ConversationEntity(conversationId, ctx, new ConversationTimers(ctx), wiring, p));
  }

  /** The read-model tag of a conversation's events: {@code conversation-<n>}, n in [0, tags). */
  public static String tagFor(String conversationId, int tags) {
    return TAG_PREFIX + Math.floorMod(conversationId.hashCode(), tags);
  }

  public static final String TAG_PREFIX = "conversation-";

  private Conversation() {}
}

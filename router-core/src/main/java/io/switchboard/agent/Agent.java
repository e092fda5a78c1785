package io.switchboard.agent;

import io.switchboard.CborSerializable;
import io.switchboard.CoreSettings;
import io.switchboard.Directory;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.Storable;
import io.switchboard.conversation.Conversation;
import io.switchboard.entity.DeadlineTimers;
import io.switchboard.entity.Idleness;
import io.switchboard.entity.Sharded;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingPolicy;
import io.switchboard.routing.RoutingRequest;
import io.switchboard.team.Team;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One agent: the single writer of its presence, profile and load. It is the authority on capacity:
 * a conversation is only ever held after the agent reserved it here, and only while there was room
 * (invariant 2). A reservation ({@link Hold}) becomes an assignment when the conversation confirms
 * it; until then, the agent re-sends {@link Conversation.AssignTo}, and the conversation either
 * confirms or tells it to release, so no reservation leaks. Confirmations are persisted in batches
 * ({@link HoldsConfirmed}, every {@code confirm-flush-interval}): after a recovery only the holds
 * never confirmed are re-verified, so a restart does not start every assigned conversation.
 *
 * <p>Every change of availability is pushed to the agent's teams as an {@link AgentStatus}. Going
 * offline starts a grace period per held conversation, its team's {@code offlineGrace} (the server's
 * {@code offline-grace} by default), persisted as the earliest deadline; if the agent is still offline
 * when one ends, the conversations whose grace ended are told, and decide themselves whether to re-route.
 */
public final class Agent extends EventSourcedBehavior<Agent.Command, Agent.Event, Agent.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Agent");

  // ---- commands ----

  public sealed interface Command extends CborSerializable {}

  /** Sets capacity, skills, languages and role. Replies ok. */
  public record SetProfile(AgentProfile profile, ActorRef<Outcome> replyTo) implements Command {}

  /** Online, away or offline. Replies ok. */
  public record SetPresence(Presence presence, ActorRef<Outcome> replyTo) implements Command {}

  /**
   * Takes a waiting (pooled, queued or escalated) conversation. Refused at once when offline or at
   * capacity; otherwise the conversation answers: claimed, or refused because another claim or an
   * auto-assignment won.
   */
  public record Claim(String conversationId, ActorRef<Outcome> replyTo) implements Command {}

  /**
   * A team (or a transfer) offers a conversation. Accepted when online with room: the agent
   * reserves it and tells the conversation; otherwise the offerer is told why not.
   *
   * @param transferBy null for a team's offer; the conversation id's owner for a transfer
   * @param replyTo who asked for a transfer, if anyone (answered by the conversation)
   */
  /**
   * @param offeredAt the team's time of this offer (later for each offer the team makes), recorded as the
   *     agent's last assignment so that a team starting again continues its round robin after the member it
   *     offered to last, whatever order the agents stored their reservations in; null: not a team's offer
   *     (a transfer), the reservation's own time counts
   */
  public record Offer(RoutingRequest request, String hold, String team, RoutingPolicy policy, boolean transfer,
      ActorRef<Outcome> replyTo, Instant offeredAt) implements Command {
    public Offer(RoutingRequest request, String hold, String team, RoutingPolicy policy, boolean transfer,
        ActorRef<Outcome> replyTo) {
      this(request, hold, team, policy, transfer, replyTo, null);
    }
  }

  /**
   * The conversation confirms the reservation {@code hold}: it is this agent's now.
   *
   * @param policy for a claim (whose reservation knew no team), the conversation's team policy, so that
   *     its offline grace applies; null otherwise
   */
  public record AssignmentConfirmed(String conversationId, String hold, RoutingPolicy policy) implements Command {
    public AssignmentConfirmed(String conversationId, String hold) {
      this(conversationId, hold, null);
    }
  }

  /** The conversation no longer belongs to this agent under {@code hold}. Always acknowledged. */
  public record Release(String conversationId, String hold) implements Command {}

  /** Membership, sent by a team whenever its configuration names this agent (or stops naming it). */
  public record JoinTeam(String team) implements Command {}

  public record LeaveTeam(String team) implements Command {}

  /** A conversation escalated to this supervisor; kept for the agent's view until claimed. */
  public record EscalationNotice(String conversationId, String reason) implements Command {}

  /** Replies the agent's {@link View}. */
  public record Get(ActorRef<View> replyTo) implements Command {}

  private record Redeliver() implements Command {}

  private record FlushConfirmations() implements Command {}

  /** Every {@code passivate-after}: an agent that was never configured stops when idle. */
  private record IdleCheck() implements Command {}

  /** Sent by the shard when it passivates the agent. */
  public record Passivate() implements Command {}

  private record OfflineGraceEnded(Instant deadline) implements Command {}

  /** What a query sees: the persisted state plus the escalations waiting for this supervisor. */
  public record View(String agentId, State state, Set<String> escalations) implements CborSerializable {}

  // ---- events ----

  public sealed interface Event extends CborSerializable {}

  public record ProfileSet(AgentProfile profile) implements Event {}

  /**
   * @param offlineGraceEnds set when going offline with conversations held: the earliest end of their
   *     teams' offline graces
   */
  public record PresenceChanged(Presence presence, Instant at, Instant offlineGraceEnds) implements Event {}

  public record TeamJoined(String team) implements Event {}

  public record TeamLeft(String team) implements Event {}

  /** @param offeredAt the team's time of the offer reserved ({@link Offer#offeredAt}); null in older events */
  public record Reserved(String conversationId, String hold, String team, RoutingPolicy policy, Instant at,
      Instant offeredAt) implements Event {
    public Reserved(String conversationId, String hold, String team, RoutingPolicy policy, Instant at) {
      this(conversationId, hold, team, policy, at, null);
    }

    /** The agent's last assignment as teams see it: the offer's time when a team offered it. */
    Instant lastAssigned() {
      return offeredAt != null ? offeredAt : at;
    }
  }

  public record Released(String conversationId, String hold, Instant at) implements Event {}

  /**
   * The offline grace of some held conversations ended at {@code at} (they were told); {@code next} is
   * when the next one's ends (conversations of a team with a longer grace), null: none left (and for
   * events older than the field, which told every held conversation at once).
   */
  public record OfflineGraceExpired(Instant at, Instant next) implements Event {}

  /** The conversations confirmed these holds (persisted in batches, off the routing path). */
  public record HoldsConfirmed(List<HoldRef> holds) implements Event {}

  /** @param policy a claimed hold's team policy, learned with the confirmation (null: none learned, older events) */
  public record HoldRef(String conversationId, String hold, RoutingPolicy policy) implements CborSerializable {
    public HoldRef(String conversationId, String hold) {
      this(conversationId, hold, null);
    }
  }

  // ---- state ----

  /**
   * A reserved or assigned conversation.
   *
   * @param confirmed the conversation accepted it (persisted with {@link HoldsConfirmed}): not re-verified
   *     after a recovery
   */
  public record Hold(String hold, String channel, String team, RoutingPolicy policy, Instant since, boolean confirmed)
      implements CborSerializable {
    /** Confirmed, with the team policy learned for a claim (when it had none). */
    Hold confirm(RoutingPolicy learned) {
      return new Hold(hold, channel, team, policy != null ? policy : learned, since, true);
    }
  }

  /**
   * @param held the reserved or assigned conversations: a persistent (structurally shared) map, so a
   *     reservation costs the same whether the agent holds three conversations or a thousand
   * @param load how many of them per channel (derived from {@code held}, kept with it)
   * @param offlineSince when the agent last went offline, null while not offline (or in snapshots older
   *     than the field): each held conversation's grace runs from it
   */
  public record State(
      AgentProfile profile,
      Presence presence,
      Set<String> teams,
      scala.collection.immutable.HashMap<String, Hold> held,
      Map<String, Integer> load,
      Instant lastAssignedAt,
      Instant offlineGraceEnds,
      Instant offlineSince) implements CborSerializable {

    public State {
      if (held == null) held = scala.collection.immutable.HashMap$.MODULE$.empty();
      if (load == null) load = loadOf(held); // snapshots older than the field
    }

    static State empty() {
      return new State(AgentProfile.withCapacity(0), Presence.OFFLINE, Set.of(), null, Map.of(), null, null, null);
    }

    private static Map<String, Integer> loadOf(scala.collection.immutable.HashMap<String, Hold> held) {
      Map<String, Integer> load = new TreeMap<>();
      scala.jdk.javaapi.CollectionConverters.asJava(held).values().forEach(h -> load.merge(h.channel(), 1, Integer::sum));
      return Map.copyOf(load);
    }

    /** The held conversations, read-only. */
    public Map<String, Hold> holds() {
      return scala.jdk.javaapi.CollectionConverters.asJava(held);
    }

    public Hold hold(String conversationId) {
      return held.get(conversationId).getOrElse(() -> null);
    }

    public int loadOn(String channel) {
      return load.getOrDefault(channel, 0);
    }

    public boolean hasRoomOn(String channel) {
      return loadOn(channel) < profile.capacityFor(channel);
    }

    State with(AgentProfile p, Presence pr, Set<String> t, Instant last, Instant grace) {
      return new State(p, pr, t, held, load, last, grace, offlineSince);
    }

    State holding(String conversationId, Hold h, Instant last) {
      Hold before = hold(conversationId);
      Map<String, Integer> l = before == null ? plus(load, h.channel(), 1) : load;
      return new State(profile, presence, teams, held.updated(conversationId, h), l, last, offlineGraceEnds,
          offlineSince);
    }

    State releasing(String conversationId) {
      Hold before = hold(conversationId);
      if (before == null) return this;
      return new State(profile, presence, teams, held.removed(conversationId), plus(load, before.channel(), -1),
          lastAssignedAt, offlineGraceEnds, offlineSince);
    }

    State offlineSince(Instant since) {
      return new State(profile, presence, teams, held, load, lastAssignedAt, offlineGraceEnds, since);
    }

    private static Map<String, Integer> plus(Map<String, Integer> load, String channel, int n) {
      Map<String, Integer> l = new TreeMap<>(load);
      int v = l.getOrDefault(channel, 0) + n;
      if (v == 0) l.remove(channel);
      else l.put(channel, v);
      return Map.copyOf(l);
    }
  }

  // ---- wiring ----

  public static void init(ActorSystem<?> system, Directory directory, Clock clock, CoreSettings settings) {
    // No idle passivation of configured agents: their timers must run. Remembered (when configured so)
    // so that every agent runs again after a restart, with its grace deadline and its holds.
    Sharded.init(system, ENTITY_TYPE_KEY, new Passivate(), settings.rememberAgentsAndTeams(),
        (id, passivation) -> create(id, directory, clock, settings, passivation));
  }

  public static Behavior<Command> create(String agentId, Directory directory, Clock clock, CoreSettings settings) {
    return create(agentId, directory, clock, settings, null);
  }

  /** @param passivation how an agent that was never configured asks to be stopped when idle; null: never */
  public static Behavior<Command> create(String agentId, Directory directory, Clock clock, CoreSettings settings,
      Consumer<ActorRef<Command>> passivation) {
    EntityIds.tenantOf(agentId);
    Consumer<ActorRef<Command>> p = settings.passivates() ? passivation : null;
    return Sharded.setup((ctx, timers, deadlines) -> new Agent(agentId, ctx, timers, deadlines, directory, clock,
        settings, p));
  }

  private final String agentId;
  private final TimerScheduler<Command> timers;
  private final DeadlineTimers<Command> deadlines;
  private final Directory directory;
  private final Clock clock;
  private final CoreSettings settings;
  /** Confirmations received and not yet persisted (conversation → hold, and a claim's policy). */
  private final Map<String, HoldRef> unflushed = new HashMap<>();
  private final org.apache.pekko.actor.typed.javadsl.ActorContext<Command> context;
  /** Why this entity's id cannot be stored, else null. */
  private final String idProblem;
  private final Consumer<ActorRef<Command>> passivation;
  private final Idleness idleness;
  /** Escalations addressed to this supervisor, re-announced by the conversations after a restart. */
  private final Map<String, String> escalations = new HashMap<>();

  private Agent(String agentId, org.apache.pekko.actor.typed.javadsl.ActorContext<Command> context,
      TimerScheduler<Command> timers, DeadlineTimers<Command> deadlines, Directory directory, Clock clock,
      CoreSettings settings, Consumer<ActorRef<Command>> passivation) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), agentId),
        settings.onPersistFailure());
    this.context = context;
    this.passivation = passivation;
    this.idleness = new Idleness(clock, settings.passivateAfter());
    this.agentId = agentId;
    this.idProblem = Storable.problem(agentId);
    this.timers = timers;
    this.deadlines = deadlines;
    this.directory = directory;
    this.clock = clock;
    this.settings = settings;
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return settings.agentRetention();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          armOfflineGrace(state);
          redeliver(state);
          pushStatus(state);
          if (passivation != null && lastSequenceNumber(context) == 0) {
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
        // refused, never persisted: a rejected event would stop this agent, and the sender re-sends
        Storable.refuse(command, agentId, unstorable, context.getLog());
        return Effect().none();
      }
      return handlers.apply(state, command);
    }, IdleCheck.class);
  }

  /** Why {@code command} carries text the journal cannot hold (see {@link Storable}), or null. */
  private String unstorable(Command command) {
    if (command instanceof Get || command instanceof Passivate) return null;
    if (idProblem != null) return "agent id: " + idProblem;
    return Storable.problemIn(command);
  }

  private CommandHandler<Command, Event, State> handlers() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(SetProfile.class, this::onSetProfile)
        .onCommand(SetPresence.class, this::onSetPresence)
        .onCommand(Claim.class, this::onClaim)
        .onCommand(Offer.class, this::onOffer)
        .onCommand(AssignmentConfirmed.class, this::onConfirmed)
        .onCommand(Release.class, this::onRelease)
        .onCommand(JoinTeam.class, this::onJoinTeam)
        .onCommand(LeaveTeam.class, this::onLeaveTeam)
        .onCommand(EscalationNotice.class, (s, c) -> {
          escalations.put(c.conversationId(), c.reason());
          return Effect().none();
        })
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(),
            new View(agentId, s, new TreeSet<>(escalations.keySet()))))
        .onCommand(Redeliver.class, (s, c) -> {
          redeliver(s);
          return Effect().none();
        })
        .onCommand(OfflineGraceEnded.class, this::onOfflineGraceEnded)
        .onCommand(FlushConfirmations.class, this::onFlushConfirmations)
        .onCommand(IdleCheck.class, (s, c) -> {
          idleness.checkUnconfigured(lastSequenceNumber(context), timers, IdleCheck.class,
              () -> passivation.accept(context.getSelf()));
          return Effect().none();
        })
        .onCommand(Passivate.class, (s, c) -> Effect().stop())
        .build();
  }

  private Effect<Event, State> onSetProfile(State s, SetProfile c) {
    return Effect().persist(new ProfileSet(c.profile()))
        .thenRun(this::pushStatus)
        .thenReply(c.replyTo(), ns -> Outcome.ok("profile set"));
  }

  private Effect<Event, State> onSetPresence(State s, SetPresence c) {
    if (s.presence() == c.presence()) return Effect().reply(c.replyTo(), Outcome.ok("presence unchanged"));
    Instant now = clock.instant();
    Instant grace = c.presence() == Presence.OFFLINE ? nextGraceEnd(s, now, null) : null;
    return Effect().persist(new PresenceChanged(c.presence(), now, grace))
        .thenRun(ns -> {
          armOfflineGrace(ns);
          pushStatus(ns);
        })
        .thenReply(c.replyTo(), ns -> Outcome.ok("presence " + ns.presence()));
  }

  private Effect<Event, State> onClaim(State s, Claim c) {
    String channel;
    try {
      channel = EntityIds.channelOf(c.conversationId());
    } catch (IllegalArgumentException e) {
      return Effect().reply(c.replyTo(), Outcome.refused("bad_conversation_id", e.getMessage()));
    }
    if (s.presence() == Presence.OFFLINE) {
      return Effect().reply(c.replyTo(), Outcome.refused("agent_offline",
          "agent " + agentId + " is offline and cannot claim conversations"));
    }
    Hold held = s.hold(c.conversationId());
    if (held != null) {
      directory.conversation(c.conversationId(), new Conversation.AssignTo(agentId, held.hold(), held.team(),
          held.policy(), s.teams(), c.replyTo()));
      return Effect().none();
    }
    if (!s.hasRoomOn(channel)) {
      return Effect().reply(c.replyTo(), Outcome.refused("capacity_full", "agent " + agentId + " already holds "
          + s.loadOn(channel) + " of " + s.profile().capacityFor(channel) + " conversations on " + channel));
    }
    String hold = "c" + UUID.randomUUID();
    return Effect().persist(new Reserved(c.conversationId(), hold, null, null, clock.instant()))
        .thenRun(ns -> {
          directory.conversation(c.conversationId(),
              new Conversation.AssignTo(agentId, hold, null, null, ns.teams(), c.replyTo()));
          afterReserve(ns);
        });
  }

  private Effect<Event, State> onOffer(State s, Offer c) {
    RoutingRequest req = c.request();
    String convId = req.conversationId();
    Hold held = s.hold(convId);
    if (held != null && held.hold().equals(c.hold())) { // a re-sent offer: answer it again
      directory.conversation(convId, new Conversation.AssignTo(agentId, c.hold(), c.team(), c.policy(), c.replyTo()));
      if (!c.transfer()) directory.team(c.team(), new Team.OfferAccepted(convId, req.attempt(), agentId));
      return Effect().none();
    }
    String refusal = null;
    if (held != null) refusal = "already_holding";
    else if (s.presence() != Presence.ONLINE) refusal = "agent_" + s.presence().name().toLowerCase();
    else if (!s.hasRoomOn(req.channel())) refusal = "capacity_full";
    if (refusal != null) {
      String reason = refusal;
      if (c.transfer()) {
        directory.conversation(convId, new Conversation.TransferDeclined(agentId, c.hold(), reason, c.replyTo()));
      } else {
        pushStatusTo(s, c.team());
        directory.team(c.team(), new Team.OfferDeclined(req, agentId, reason));
      }
      return Effect().none();
    }
    return Effect().persist(new Reserved(convId, c.hold(), c.team(), c.policy(), clock.instant(), c.offeredAt()))
        .thenRun(ns -> {
          directory.conversation(convId, new Conversation.AssignTo(agentId, c.hold(), c.team(), c.policy(),
              c.replyTo()));
          // Status first: until OfferAccepted arrives the team counts this conversation twice, never zero times.
          afterReserve(ns);
          if (!c.transfer()) directory.team(c.team(), new Team.OfferAccepted(convId, req.attempt(), agentId));
        });
  }

  private void afterReserve(State s) {
    pushStatus(s);
    timers.startSingleTimer(Redeliver.class, new Redeliver(), settings.redeliveryInterval());
  }

  private Effect<Event, State> onConfirmed(State s, AssignmentConfirmed c) {
    Hold held = s.hold(c.conversationId());
    if (held != null && held.hold().equals(c.hold())) {
      boolean learns = held.policy() == null && c.policy() != null;
      if (!held.confirmed() || learns) {
        unflushed.put(c.conversationId(), new HoldRef(c.conversationId(), c.hold(), learns ? c.policy() : null));
        if (!timers.isTimerActive(FlushConfirmations.class)) {
          timers.startSingleTimer(FlushConfirmations.class, new FlushConfirmations(), settings.confirmFlushInterval());
        }
      }
      escalations.remove(c.conversationId());
    }
    return Effect().none();
  }

  /** One event for every confirmation of the last interval (still held under the same token). */
  private Effect<Event, State> onFlushConfirmations(State s, FlushConfirmations c) {
    List<HoldRef> refs = new ArrayList<>();
    unflushed.forEach((conv, ref) -> {
      Hold held = s.hold(conv);
      if (held != null && held.hold().equals(ref.hold())
          && (!held.confirmed() || (held.policy() == null && ref.policy() != null))) {
        refs.add(ref);
      }
    });
    unflushed.clear();
    if (refs.isEmpty()) return Effect().none();
    return Effect().persist(new HoldsConfirmed(List.copyOf(refs)));
  }

  private Effect<Event, State> onRelease(State s, Release c) {
    Hold held = s.hold(c.conversationId());
    Conversation.ReleaseAcknowledged ack = new Conversation.ReleaseAcknowledged(agentId, c.hold());
    if (held == null || !held.hold().equals(c.hold())) {
      directory.conversation(c.conversationId(), ack);
      return Effect().none();
    }
    return Effect().persist(new Released(c.conversationId(), c.hold(), clock.instant()))
        .thenRun(ns -> {
          unflushed.remove(c.conversationId());
          directory.conversation(c.conversationId(), ack);
          pushStatus(ns);
        });
  }

  private Effect<Event, State> onJoinTeam(State s, JoinTeam c) {
    if (s.teams().contains(c.team())) {
      pushStatusTo(s, c.team());
      return Effect().none();
    }
    return Effect().persist(new TeamJoined(c.team())).thenRun(ns -> pushStatusTo(ns, c.team()));
  }

  private Effect<Event, State> onLeaveTeam(State s, LeaveTeam c) {
    if (!s.teams().contains(c.team())) return Effect().none();
    return Effect().persist(new TeamLeft(c.team()));
  }

  private Effect<Event, State> onOfflineGraceEnded(State s, OfflineGraceEnded c) {
    if (s.offlineGraceEnds() == null || !s.offlineGraceEnds().equals(c.deadline())) return Effect().none();
    Instant now = clock.instant();
    if (now.isBefore(c.deadline())) {
      armOfflineGrace(s);
      return Effect().none();
    }
    Map<String, Hold> due = new TreeMap<>();
    s.holds().forEach((convId, h) -> {
      if (s.offlineSince() == null || !graceEnd(s.offlineSince(), h).isAfter(now)) due.put(convId, h);
    });
    Instant next = s.offlineSince() == null ? null : nextGraceEnd(s, s.offlineSince(), now);
    return Effect().persist(new OfflineGraceExpired(now, next))
        .thenRun(ns -> {
          // a conversation told twice (its grace ended at an earlier expiry too) ignores the second
          due.forEach((convId, h) -> directory.conversation(convId, new Conversation.AgentWentOffline(agentId, h.hold())));
          armOfflineGrace(ns);
        });
  }

  /** When the grace of a conversation held under {@code h} ends: its team's grace (the server's by default). */
  private Instant graceEnd(Instant offlineSince, Hold h) {
    Duration grace = h.policy() == null ? settings.offlineGrace() : h.policy().offlineGraceOr(settings.offlineGrace());
    return offlineSince.plus(grace);
  }

  /** The earliest grace end of a held conversation after {@code after} (null: any), going offline at {@code since}. */
  private Instant nextGraceEnd(State s, Instant since, Instant after) {
    Instant next = null;
    for (Hold h : s.holds().values()) {
      Instant end = graceEnd(since, h);
      if ((after == null || end.isAfter(after)) && (next == null || end.isBefore(next))) next = end;
    }
    return next;
  }

  private void armOfflineGrace(State s) {
    Instant grace = s.offlineGraceEnds();
    deadlines.at(OfflineGraceEnded.class, grace, clock.instant(), grace == null ? null : new OfflineGraceEnded(grace));
  }

  /** Re-sends AssignTo for every hold not confirmed (persisted, or received since the last flush). */
  private void redeliver(State s) {
    boolean pending = false;
    for (Map.Entry<String, Hold> e : s.holds().entrySet()) {
      HoldRef confirmedSinceFlush = unflushed.get(e.getKey());
      if (e.getValue().confirmed()
          || (confirmedSinceFlush != null && e.getValue().hold().equals(confirmedSinceFlush.hold()))) {
        continue;
      }
      pending = true;
      Hold h = e.getValue();
      directory.conversation(e.getKey(), new Conversation.AssignTo(agentId, h.hold(), h.team(), h.policy(), s.teams(),
          null));
    }
    if (pending) timers.startSingleTimer(Redeliver.class, new Redeliver(), settings.redeliveryInterval());
  }

  private AgentStatus status(State s) {
    return new AgentStatus(agentId, s.presence(), s.profile(), s.load(), s.held().size(), s.lastAssignedAt());
  }

  private void pushStatus(State s) {
    if (s.teams().isEmpty()) return;
    AgentStatus status = status(s);
    for (String team : s.teams()) directory.team(team, new Team.AgentStatusChanged(status));
  }

  private void pushStatusTo(State s, String team) {
    directory.team(team, new Team.AgentStatusChanged(status(s)));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(ProfileSet.class, (s, e) ->
            s.with(e.profile(), s.presence(), s.teams(), s.lastAssignedAt(), s.offlineGraceEnds()))
        .onEvent(PresenceChanged.class, (s, e) ->
            s.with(s.profile(), e.presence(), s.teams(), s.lastAssignedAt(), e.offlineGraceEnds())
                .offlineSince(e.presence() == Presence.OFFLINE ? e.at() : null))
        .onEvent(TeamJoined.class, (s, e) -> {
          Set<String> teams = new LinkedHashSet<>(s.teams());
          teams.add(e.team());
          return s.with(s.profile(), s.presence(), Set.copyOf(teams), s.lastAssignedAt(), s.offlineGraceEnds());
        })
        .onEvent(TeamLeft.class, (s, e) -> {
          Set<String> teams = new LinkedHashSet<>(s.teams());
          teams.remove(e.team());
          return s.with(s.profile(), s.presence(), Set.copyOf(teams), s.lastAssignedAt(), s.offlineGraceEnds());
        })
        .onEvent(Reserved.class, (s, e) -> s.holding(e.conversationId(), new Hold(e.hold(),
            EntityIds.channelOf(e.conversationId()), e.team(), e.policy(), e.at(), false), e.lastAssigned()))
        .onEvent(Released.class, (s, e) -> s.releasing(e.conversationId()))
        .onEvent(OfflineGraceExpired.class, (s, e) ->
            s.with(s.profile(), s.presence(), s.teams(), s.lastAssignedAt(), e.next()))
        .onEvent(HoldsConfirmed.class, (s, e) -> {
          State next = s;
          for (HoldRef r : e.holds()) {
            Hold h = next.hold(r.conversationId());
            if (h != null && h.hold().equals(r.hold())) {
              next = next.holding(r.conversationId(), h.confirm(r.policy()), s.lastAssignedAt());
            }
          }
          return next;
        })
        .build();
  }
}

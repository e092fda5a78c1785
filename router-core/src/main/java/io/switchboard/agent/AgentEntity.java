package io.switchboard.agent;

import io.switchboard.HoldToken;
import io.switchboard.CoreSettings;
import io.switchboard.Directory;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.Outcome.Code;
import io.switchboard.agent.Agent.AssignmentConfirmed;
import io.switchboard.agent.Agent.Claim;
import io.switchboard.agent.Agent.Command;
import io.switchboard.agent.Agent.EscalationNotice;
import io.switchboard.agent.Agent.Event;
import io.switchboard.agent.Agent.FlushConfirmations;
import io.switchboard.agent.Agent.Get;
import io.switchboard.agent.Agent.Hold;
import io.switchboard.agent.Agent.HoldRef;
import io.switchboard.agent.Agent.HoldsConfirmed;
import io.switchboard.agent.Agent.HoldsRecorded;
import io.switchboard.agent.Agent.RecordedHold;
import io.switchboard.agent.Agent.ScanCompleted;
import io.switchboard.agent.Agent.ScanFailed;
import io.switchboard.agent.Agent.SettleEnded;
import io.switchboard.agent.Agent.IdleCheck;
import io.switchboard.agent.Agent.JoinTeam;
import io.switchboard.agent.Agent.LeaveTeam;
import io.switchboard.agent.Agent.Offer;
import io.switchboard.agent.Agent.OfflineGraceEnded;
import io.switchboard.agent.Agent.OfflineGraceExpired;
import io.switchboard.agent.Agent.Passivate;
import io.switchboard.agent.Agent.PresenceChanged;
import io.switchboard.agent.Agent.ProfileSet;
import io.switchboard.agent.Agent.Redeliver;
import io.switchboard.agent.Agent.Release;
import io.switchboard.agent.Agent.Released;
import io.switchboard.agent.Agent.Reserved;
import io.switchboard.agent.Agent.SetPresence;
import io.switchboard.agent.Agent.SetProfile;
import io.switchboard.agent.Agent.State;
import io.switchboard.agent.Agent.TeamJoined;
import io.switchboard.agent.Agent.TeamLeft;
import io.switchboard.agent.Agent.View;
import io.switchboard.conversation.Conversation;
import io.switchboard.entity.CommandGuard;
import io.switchboard.entity.DeadlineTimers;
import io.switchboard.entity.Idleness;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingRequest;
import io.switchboard.team.Team;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.NotUsed;
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
 * The behaviour of one {@link Agent}: profile and presence, claims and offers (reserved only while there is
 * room, invariant 2), confirmations persisted in batches, releases, team membership, the offline grace, and the
 * status pushed to its teams. Its protocol is nested in {@link Agent}. The unflushed confirmations and the
 * escalations below are soft state of this incarnation, never persisted.
 *
 * <p>A team's offer is granted in memory ({@link #grants}): the conversation's write of the assignment is its
 * record, and the agent records it after the conversation's confirmation, in the next batch ({@link
 * #unrecorded}, {@link HoldsRecorded}). Grants and unrecorded holds count in its capacity, status and view
 * ({@link #effective}). After a recovery the agent settles, then scans the journal for the assignments of the
 * grants its previous incarnation made (docs/ARCHITECTURE.md, "One durable write per routed conversation").
 */
final class AgentEntity extends EventSourcedBehavior<Command, Event, State> {

  private final String agentId;
  private final TimerScheduler<Command> timers;
  private final DeadlineTimers<Command> deadlines;
  private final Directory directory;
  private final Clock clock;
  private final CoreSettings settings;
  /** Confirmations received and not yet persisted (conversation → hold, and a claim's policy). */
  private final Map<String, HoldRef> unflushed = new HashMap<>();
  private final ActorContext<Command> context;
  private final Consumer<ActorRef<Command>> passivation;
  private final Idleness idleness;
  /** Escalations addressed to this supervisor, re-announced by the conversations after a restart. */
  private final Map<String, String> escalations = new HashMap<>();
  /** Team offers granted and not yet confirmed by their conversations (conversation → grant). */
  private final Map<String, RecordedHold> grants = new HashMap<>();
  /** Holds the conversations persisted and confirmed (or found unknown), to record in the next batch. */
  private final Map<String, RecordedHold> unrecorded = new HashMap<>();
  /** After a recovery: no offer is granted until the scan of the previous incarnation's grants is recorded. */
  private boolean settling;
  /** The first scan after the recovery is running: every other command is stashed until it is in. */
  private boolean scanning;
  /** The scan at the end of the settling is in: the settling ends once its findings are verified. */
  private boolean settleScanned;
  /**
   * This object outlives a restart after a failed write (Pekko restarts the behaviour it built, with its
   * handlers on this object), not a stop or a crash: whether an earlier recovery of this object settled, and
   * its grants not yet confirmed (kept in {@link #grants}), tell how long a write of its grants can be in flight.
   */
  private boolean settledOnce;
  /** How long the current recovery settles: {@code grant-settle}, or less after a restart (see above). */
  private java.time.Duration settleFor;
  /** The scan's findings not yet answered by their conversations (conversation → assignment found). */
  private final Map<String, RecordedHold> verifying = new HashMap<>();
  private long scannedTo;

  private final io.switchboard.RoutingObserver observer;

  AgentEntity(String agentId, ActorContext<Command> context,
      TimerScheduler<Command> timers, DeadlineTimers<Command> deadlines, Directory directory, Clock clock,
      CoreSettings settings, io.switchboard.RoutingObserver observer, Consumer<ActorRef<Command>> passivation) {
    super(PersistenceId.of(Agent.ENTITY_TYPE_KEY.name(), agentId),
        settings.onPersistFailure());
    this.context = context;
    this.passivation = passivation;
    this.idleness = new Idleness(clock, settings.passivateAfter());
    this.agentId = agentId;
    this.timers = timers;
    this.deadlines = deadlines;
    this.directory = directory;
    this.clock = clock;
    this.settings = settings;
    this.observer = observer;
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
          armWrapUp(state);
          redeliver(state);
          if (lastSequenceNumber(context) == 0) settledOnce = true; // a brand-new agent never granted anything
          else {
            settling = true;
            settleScanned = false;
            settleFor = settleTime();
            scanning = true; // commands wait for the first scan: the view counts every hold from the start
            scan(state); // the settling's timer starts once it is in
          }
          pushStatus(state);
          if (passivation != null && lastSequenceNumber(context) == 0) {
            idleness.startChecks(timers, new IdleCheck());
          }
        })
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    CommandHandler<Command, Event, State> guarded = idleness.tracking(CommandGuard.storable("agent", agentId,
        c -> c instanceof Get || c instanceof Passivate, context.getLog(), Effect(), handlers()), IdleCheck.class);
    return (s, c) -> scanning && !(c instanceof ScanCompleted || c instanceof ScanFailed || c instanceof SettleEnded)
        ? Effect().stash() : guarded.apply(s, c);
  }

  private CommandHandler<Command, Event, State> handlers() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(SetProfile.class, this::onSetProfile)
        .onCommand(SetPresence.class, this::onSetPresence)
        .onCommand(Claim.class, this::onClaim)
        .onCommand(Offer.class, this::onOffer)
        .onCommand(AssignmentConfirmed.class, this::onConfirmed)
        .onCommand(Release.class, this::onRelease)
        .onCommand(Agent.EndWrapUp.class, this::onEndWrapUp)
        .onCommand(Agent.WrapUpDue.class, this::onWrapUpDue)
        .onCommand(JoinTeam.class, this::onJoinTeam)
        .onCommand(LeaveTeam.class, this::onLeaveTeam)
        .onCommand(EscalationNotice.class, (s, c) -> {
          escalations.put(c.conversationId(), c.reason());
          return Effect().none();
        })
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(),
            new View(agentId, effective(s), new TreeSet<>(escalations.keySet()))))
        .onCommand(Redeliver.class, (s, c) -> {
          redeliver(s);
          return Effect().none();
        })
        .onCommand(OfflineGraceEnded.class, this::onOfflineGraceEnded)
        .onCommand(FlushConfirmations.class, this::onFlushConfirmations)
        .onCommand(SettleEnded.class, (s, c) -> { // the settling is over, or a failed scan is tried again
          scan(s);
          return Effect().none();
        })
        .onCommand(ScanCompleted.class, this::onScanCompleted)
        .onCommand(ScanFailed.class, (s, c) -> {
          context.getLog().warn("agent {}: the scan of its grants' assignments failed ({}); again in {}", agentId,
              c.reason(), settings.redeliveryInterval());
          timers.startSingleTimer(SettleEnded.class, new SettleEnded(), settings.redeliveryInterval());
          return Effect().none();
        })
        .onCommand(IdleCheck.class, (s, c) -> {
          idleness.checkUnconfigured(lastSequenceNumber(context), timers, IdleCheck.class,
              () -> passivation.accept(context.getSelf()));
          return Effect().none();
        })
        .onCommand(Passivate.class, (s, c) -> {
          HoldsRecorded batch = takeUnrecorded(); // a hand-off: what is known is recorded, the rest is scanned
          return batch == null ? Effect().stop() : Effect().persist(batch).thenStop();
        })
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
    Instant grace = c.presence() == Presence.OFFLINE
        ? OfflineGrace.next(effective(s), now, null, settings.offlineGrace()) : null;
    List<Event> events = new ArrayList<>(2);
    HoldsRecorded batch = takeUnrecorded();
    if (batch != null) events.add(batch);
    events.add(new PresenceChanged(c.presence(), now, grace));
    return Effect().persist(events)
        .thenRun(ns -> {
          if (batch != null) redeliver(ns);
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
      return Effect().reply(c.replyTo(), Outcome.refused(Code.BAD_CONVERSATION_ID, e.getMessage()));
    }
    if (s.presence() == Presence.OFFLINE) {
      return Effect().reply(c.replyTo(), Outcome.refused(Code.AGENT_OFFLINE,
          "agent " + agentId + " is offline and cannot claim conversations"));
    }
    Hold held = holdOf(s, c.conversationId());
    if (held != null && held.wrappingUp()) { // the conversation opened again while its wrap-up runs
      return Effect().reply(c.replyTo(), Outcome.refused(Code.ALREADY_HOLDING, "agent " + agentId
          + " is wrapping up conversation " + c.conversationId() + " until " + held.wrapUpUntil()
          + "; end the wrap-up first"));
    }
    if (held != null) {
      RecordedHold grant = grants.get(c.conversationId());
      directory.conversation(c.conversationId(), new Conversation.AssignTo(agentId, held.hold(), held.team(),
          held.policy(), s.teams(), c.replyTo(), grant == null ? null : grant.at()));
      return Effect().none();
    }
    if (!hasRoomOn(s, channel)) {
      return Effect().reply(c.replyTo(), Outcome.refused(Code.CAPACITY_FULL, "agent " + agentId + " already holds "
          + loadOn(s, channel) + " of " + s.profile().capacityFor(channel) + " conversations on " + channel));
    }
    HoldToken hold = HoldToken.claim();
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
    Hold held = holdOf(s, convId);
    if (held != null && held.hold().equals(c.hold())) { // a re-sent offer: answer it again
      RecordedHold grant = grants.get(convId);
      directory.conversation(convId, new Conversation.AssignTo(agentId, c.hold(), c.team(), c.policy(), null,
          c.replyTo(), grant == null ? null : grant.at()));
      if (!c.transfer()) directory.team(c.team(), new Team.OfferAccepted(convId, req.attempt(), agentId));
      return Effect().none();
    }
    String refusal = null;
    if (held != null) refusal = Code.ALREADY_HOLDING.wire();
    else if (s.presence() != Presence.ONLINE) refusal = Code.agentNot(s.presence()).wire();
    else if (!hasRoomOn(s, req.channel())) refusal = Code.CAPACITY_FULL.wire();
    else if (settling && !c.transfer()) refusal = Code.AGENT_SETTLING.wire();
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
    if (!c.transfer()) return grant(s, c);
    return Effect().persist(new Reserved(convId, c.hold(), c.team(), c.policy(), clock.instant(), c.offeredAt()))
        .thenRun(ns -> {
          directory.conversation(convId, new Conversation.AssignTo(agentId, c.hold(), c.team(), c.policy(),
              c.replyTo()));
          // Status first: until OfferAccepted arrives the team counts this conversation twice, never zero times.
          afterReserve(ns);
          if (!c.transfer()) directory.team(c.team(), new Team.OfferAccepted(convId, req.attempt(), agentId));
        });
  }

  /**
   * How long a recovery settles: {@code grant-settle} after a start (the grants of an earlier incarnation are
   * unknown), else (a restart of this object after a failed write, having settled before) until {@code
   * grant-settle} after its last grant not yet confirmed, or nothing when all are.
   */
  private java.time.Duration settleTime() {
    if (!settledOnce) return settings.grants().settle();
    Instant last = null; // only a grant not confirmed yet can have its conversation's write in flight
    for (RecordedHold g : grants.values()) if (last == null || g.at().isAfter(last)) last = g.at();
    if (last == null) return java.time.Duration.ZERO;
    java.time.Duration left = java.time.Duration.between(clock.instant(), last.plus(settings.grants().settle()));
    return left.isNegative() ? java.time.Duration.ZERO : left;
  }

  /** A team's offer granted in memory: the conversation's write will be the record (class doc). */
  private Effect<Event, State> grant(State s, Offer c) {
    RoutingRequest req = c.request();
    String convId = req.conversationId();
    Instant now = clock.instant();
    grants.put(convId, new RecordedHold(convId, c.hold(), c.team(), c.policy(), now, c.offeredAt(), true));
    directory.conversation(convId, new Conversation.AssignTo(agentId, c.hold(), c.team(), c.policy(), null,
        c.replyTo(), now));
    // the offering team hears the new load and the acceptance in one message, the agent's other teams the load
    AgentStatus status = status(s);
    for (String team : s.teams()) {
      directory.team(team, new Team.AgentStatusChanged(status,
          team.equals(c.team()) ? new Team.OfferAccepted(convId, req.attempt(), agentId) : null));
    }
    if (!s.teams().contains(c.team())) directory.team(c.team(), new Team.OfferAccepted(convId, req.attempt(), agentId));
    redeliverSoon();
    return Effect().none();
  }

  private void afterReserve(State s) {
    pushStatus(s);
    redeliverSoon();
  }

  /** Arms the re-send unless armed: re-arming on every grant would push it out for as long as offers keep coming. */
  private void redeliverSoon() {
    if (!timers.isTimerActive(Redeliver.class)) {
      timers.startSingleTimer(Redeliver.class, new Redeliver(), settings.redeliveryInterval());
    }
  }

  private Effect<Event, State> onConfirmed(State s, AssignmentConfirmed c) {
    RecordedHold found = verifying.get(c.conversationId());
    if (found != null && found.hold().equals(c.hold())) {
      verifying.remove(c.conversationId());
      unrecorded.put(c.conversationId(), new RecordedHold(found.conversationId(), found.hold(), found.team(),
          found.policy() != null ? found.policy() : c.policy(), found.at(), null, true));
      return verifying.isEmpty() && settleScanned && settling ? endSettling() : Effect().none();
    }
    RecordedHold grant = grants.get(c.conversationId());
    if (grant != null && grant.hold().equals(c.hold())) {
      grants.remove(c.conversationId());
      unrecorded.put(c.conversationId(), grant);
      flushSoon();
      escalations.remove(c.conversationId());
      return Effect().none();
    }
    Hold held = s.hold(c.conversationId());
    if (held == null && grant == null && !unrecorded.containsKey(c.conversationId()) && !c.hold().isClaim()) {
      // A grant of an earlier incarnation whose write landed after it stopped: counted at once, recorded with the
      // next batch as unconfirmed, so that the re-sent AssignTo verifies it (a stale confirmation is released).
      unrecorded.put(c.conversationId(), new RecordedHold(c.conversationId(), c.hold(), null, c.policy(),
          clock.instant(), null, false));
      flushSoon();
      return Effect().none();
    }
    if (held != null && held.hold().equals(c.hold())) {
      boolean learns = held.policy() == null && c.policy() != null;
      if (!held.confirmed() || learns) {
        unflushed.put(c.conversationId(), new HoldRef(c.conversationId(), c.hold(), learns ? c.policy() : null));
        flushSoon();
      }
      escalations.remove(c.conversationId());
    }
    return Effect().none();
  }

  private void flushSoon() {
    if (!timers.isTimerActive(FlushConfirmations.class)) {
      timers.startSingleTimer(FlushConfirmations.class, new FlushConfirmations(), settings.confirmFlushInterval());
    }
  }

  /** The holds to record, taken out of {@link #unrecorded}; null when there are none. */
  private HoldsRecorded takeUnrecorded() {
    if (unrecorded.isEmpty()) return null;
    HoldsRecorded batch = new HoldsRecorded(List.copyOf(unrecorded.values()), null, coveredUntil());
    unrecorded.clear();
    return batch;
  }

  /**
   * Every grant made before this instant is recorded or was refused or released, once the batch being written
   * is durable: the oldest grant still unconfirmed, else now. The scan after a recovery counts only the
   * assignments after it.
   */
  private Instant coveredUntil() {
    Instant oldest = clock.instant();
    for (RecordedHold g : grants.values()) if (g.at().isBefore(oldest)) oldest = g.at();
    return oldest;
  }

  /**
   * One write for every confirmation of the last interval (still held under the same token) and every hold
   * granted and confirmed meanwhile.
   */
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
    List<Event> events = new ArrayList<>(2);
    if (!refs.isEmpty()) events.add(new HoldsConfirmed(List.copyOf(refs)));
    HoldsRecorded batch = takeUnrecorded();
    if (batch != null) events.add(batch);
    if (events.isEmpty()) return Effect().none();
    return Effect().persist(events).thenRun(ns -> {
      if (batch != null) redeliver(ns); // holds recorded unconfirmed are verified
    });
  }

  /** Reads the {@code Assigned} events tagged with this agent since the last scan (class doc). */
  private void scan(State s) {
    long from = s.grantScanOffset();
    CompletionStage<List<EventEnvelope>> read;
    try {
      CurrentEventsByTagQuery journal = PersistenceQuery.get(context.getSystem())
          .getReadJournalFor(CurrentEventsByTagQuery.class, settings.grants().readJournal());
      Source<EventEnvelope, NotUsed> events;
      try {
        events = journal.currentEventsByTag(Agent.holdTag(agentId), from == 0 ? Offset.noOffset() : Offset.sequence(from));
      } catch (UnsupportedOperationException noOffsets) {
        // the persistence testkit's journal reads a tag only from its start: the coverage instant still bounds
        // what is counted (the JDBC journal takes the offset)
        events = journal.currentEventsByTag(Agent.holdTag(agentId), Offset.noOffset());
      }
      read = events.runWith(Sink.seq(), context.getSystem());
    } catch (RuntimeException e) {
      read = java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    context.pipeToSelf(read, (envelopes, failure) -> {
      if (failure != null) return new ScanFailed(failure.toString());
      Map<String, RecordedHold> found = new TreeMap<>();
      long offset = from;
      // a grant's assignment is written after the grant, on another node's clock: a margin below coverage
      Instant after = s.grantsCoveredUntil() == null ? Instant.MIN
          : s.grantsCoveredUntil().minus(settings.grants().settle().minus(settings.grants().ttl()));
      for (EventEnvelope env : envelopes) {
        if (env.offset() instanceof Sequence seq) offset = Math.max(offset, seq.value());
        String conv = env.persistenceId().substring(env.persistenceId().indexOf('|') + 1);
        Conversation.Release ended = env.event() instanceof Conversation.Event e ? Conversation.holdEndedBy(e) : null;
        if (env.event() instanceof Conversation.Assigned a && a.agentId().equals(agentId)) {
          if (!a.at().isBefore(after)) found.put(conv, new RecordedHold(conv, a.hold(), a.team(), a.policy(), a.at(), null,
              false));
        } else if (ended != null && ended.agentId().equals(agentId)) {
          RecordedHold h = found.get(conv); // the journal's order per conversation: an end after its assignment
          if (h != null && h.hold().equals(ended.hold())) found.remove(conv);
        }
      }
      return new ScanCompleted(List.copyOf(found.values()), offset);
    });
  }

  /**
   * Every assignment found that this agent does not hold under the same token is verified with its
   * conversation ({@code AssignTo}, re-sent until answered: confirmed, it is recorded; released, it is not),
   * then the agent records them and the scan's offset and takes offers again.
   */
  private Effect<Event, State> onScanCompleted(State s, ScanCompleted c) {
    c.found().forEach(h -> {
      if (s.hold(h.conversationId()) == null && !unrecorded.containsKey(h.conversationId())) {
        verifying.putIfAbsent(h.conversationId(), h);
      }
    });
    scannedTo = Math.max(scannedTo, c.offset());
    redeliver(s);
    if (scanning) { // the first, at the recovery: the one at the settling's end follows
      scanning = false;
      if (settleFor.isZero()) { // no write of a grant can be in flight: this scan is the last one
        settleScanned = true;
        return verifying.isEmpty() ? endSettling().thenUnstashAll() : Effect().unstashAll();
      }
      timers.startSingleTimer(SettleEnded.class, new SettleEnded(), settleFor);
      return Effect().unstashAll();
    }
    settleScanned = true;
    return verifying.isEmpty() ? endSettling() : Effect().none();
  }

  /** The scan's findings are all verified: they and the scan's offset are recorded, offers are taken again. */
  private EffectBuilder<Event, State> endSettling() {
    HoldsRecorded pending = takeUnrecorded();
    List<RecordedHold> record = pending == null ? List.of() : pending.holds();
    return Effect().persist(new HoldsRecorded(record, scannedTo, clock.instant()))
        .thenRun(ns -> {
          settling = false;
          settledOnce = true;
          redeliver(ns);
          pushStatus(ns);
        });
  }

  private Effect<Event, State> onRelease(State s, Release c) {
    if (c.wrapUpUntil() != null && clock.instant().isBefore(c.wrapUpUntil())) {
      Effect<Event, State> kept = wrapUp(s, c);
      if (kept != null) return kept;
    }
    Hold held = s.hold(c.conversationId());
    Conversation.ReleaseAcknowledged ack = new Conversation.ReleaseAcknowledged(agentId, c.hold());
    if (dropSoft(verifying, c)) {
      directory.conversation(c.conversationId(), ack);
      return verifying.isEmpty() && settleScanned && settling ? endSettling() : Effect().none();
    }
    if (dropSoft(grants, c) | dropSoft(unrecorded, c)) {
      directory.conversation(c.conversationId(), ack);
      pushStatus(s);
      return Effect().none();
    }
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

  /**
   * A resolve with a wrap-up: the hold stays, counted in the load, until the wrap-up ends (its deadline, persisted
   * in the hold and re-armed after a recovery, or {@link Agent.EndWrapUp}). Null: this agent knows no such hold
   * (released already, or found by a scan and not verified yet), which is then released as any other.
   */
  private Effect<Event, State> wrapUp(State s, Release c) {
    String convId = c.conversationId();
    Conversation.ReleaseAcknowledged ack = new Conversation.ReleaseAcknowledged(agentId, c.hold());
    Hold held = s.hold(convId);
    Hold h = held != null && held.hold().equals(c.hold()) ? held : null;
    if (h != null && h.wrappingUp()) { // a re-sent release: the wrap-up runs already
      directory.conversation(convId, ack);
      return Effect().none();
    }
    if (h == null) {
      RecordedHold soft = grants.get(convId);
      if (soft == null || !soft.hold().equals(c.hold())) soft = unrecorded.get(convId);
      if (soft == null || !soft.hold().equals(c.hold())) return null;
      h = soft.toHold();
      dropSoft(grants, c); // only under this release's token: a grant of a later round stays
      dropSoft(unrecorded, c);
    }
    return Effect().persist(new Agent.WrapUpStarted(convId, c.hold(), h.channel(), h.team(), c.wrapUpUntil(),
            clock.instant()))
        .thenRun(ns -> {
          unflushed.remove(convId);
          directory.conversation(convId, ack);
          armWrapUp(ns);
          pushStatus(ns);
          observer.wrapUpStarted(agentId, convId, c.wrapUpUntil());
        });
  }

  private Effect<Event, State> onEndWrapUp(State s, Agent.EndWrapUp c) {
    Hold h = s.hold(c.conversationId());
    if (h == null || !h.wrappingUp()) {
      return Effect().reply(c.replyTo(), Outcome.refused(Outcome.Code.NOT_FOUND,
          "agent " + agentId + " is not wrapping up conversation " + c.conversationId()));
    }
    return Effect().persist(new Agent.WrapUpEnded(c.conversationId(), h.hold(), "ended", clock.instant()))
        .thenRun(ns -> {
          armWrapUp(ns);
          pushStatus(ns);
          observer.wrapUpEnded(agentId, c.conversationId(), "ended");
        })
        .thenReply(c.replyTo(), ns -> Outcome.ok("wrap-up ended"));
  }

  private Effect<Event, State> onWrapUpDue(State s, Agent.WrapUpDue c) {
    Instant now = clock.instant();
    List<Event> ended = new ArrayList<>(2);
    s.holds().forEach((convId, h) -> {
      if (h.wrappingUp() && !now.isBefore(h.wrapUpUntil())) {
        ended.add(new Agent.WrapUpEnded(convId, h.hold(), "deadline", now));
      }
    });
    if (ended.isEmpty()) {
      armWrapUp(s);
      return Effect().none();
    }
    return Effect().persist(ended).thenRun(ns -> {
      armWrapUp(ns);
      pushStatus(ns);
      ended.forEach(e -> observer.wrapUpEnded(agentId, ((Agent.WrapUpEnded) e).conversationId(), "deadline"));
    });
  }

  private void armWrapUp(State s) {
    Instant next = s.nextWrapUpEnd();
    deadlines.at(Agent.WrapUpDue.class, next, clock, next == null ? null : new Agent.WrapUpDue(next));
  }

  /** Removes a grant or an unrecorded hold released under the same token: nothing of it was persisted here. */
  private static boolean dropSoft(Map<String, RecordedHold> soft, Release c) {
    RecordedHold h = soft.get(c.conversationId());
    if (h == null || !h.hold().equals(c.hold())) return false;
    soft.remove(c.conversationId());
    return true;
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
    Map<String, Hold> due = OfflineGrace.due(effective(s), now, settings.offlineGrace());
    Instant next = s.offlineSince() == null
        ? null : OfflineGrace.next(s, s.offlineSince(), now, settings.offlineGrace());
    return Effect().persist(new OfflineGraceExpired(now, next))
        .thenRun(ns -> {
          // a conversation told twice (its grace ended at an earlier expiry too) ignores the second
          due.forEach((convId, h) -> directory.conversation(convId, new Conversation.AgentWentOffline(agentId, h.hold())));
          armOfflineGrace(ns);
        });
  }

  private void armOfflineGrace(State s) {
    Instant grace = s.offlineGraceEnds();
    deadlines.at(OfflineGraceEnded.class, grace, clock, grace == null ? null : new OfflineGraceEnded(grace));
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
    for (RecordedHold v : verifying.values()) { // confirmed if still assigned under it, else released
      pending = true;
      directory.conversation(v.conversationId(), new Conversation.AssignTo(agentId, v.hold(), v.team(), v.policy(),
          null, null, v.at()));
    }
    for (RecordedHold g : grants.values()) { // refused by the conversation once older than grant-ttl
      pending = true;
      directory.conversation(g.conversationId(), new Conversation.AssignTo(agentId, g.hold(), g.team(), g.policy(),
          null, null, g.at()));
    }
    if (pending) timers.startSingleTimer(Redeliver.class, new Redeliver(), settings.redeliveryInterval());
  }

  /** The persisted state with the grants and the unrecorded holds of this incarnation: what capacity counts. */
  private State effective(State s) {
    if (grants.isEmpty() && unrecorded.isEmpty() && verifying.isEmpty()) return s;
    State e = s;
    for (Map<String, RecordedHold> soft : List.of(unrecorded, grants, verifying)) {
      for (RecordedHold h : soft.values()) {
        if (e.hold(h.conversationId()) != null) continue;
        Instant last = e.lastAssignedAt() == null || h.lastAssigned().isAfter(e.lastAssignedAt())
            ? h.lastAssigned() : e.lastAssignedAt();
        e = e.holding(h.conversationId(), h.toHold(), last);
      }
    }
    return e;
  }

  /** The load on {@code channel} with every soft hold, and the scan's findings being verified (for claims). */
  private int loadOn(State s, String channel) {
    int n = s.loadOn(channel);
    for (Map<String, RecordedHold> soft : List.of(unrecorded, grants, verifying)) {
      for (RecordedHold h : soft.values()) {
        if (s.hold(h.conversationId()) == null && channel.equals(EntityIds.channelOf(h.conversationId()))) n++;
      }
    }
    return n;
  }

  private boolean hasRoomOn(State s, String channel) {
    return loadOn(s, channel) < s.profile().capacityFor(channel);
  }

  /** The status with every soft hold counted (as {@link #effective} would, without building its state). */
  private AgentStatus status(State s) {
    Map<String, Integer> load = s.load();
    int open = s.held().size();
    Instant last = s.lastAssignedAt();
    for (Map<String, RecordedHold> soft : List.of(unrecorded, grants, verifying)) {
      for (RecordedHold h : soft.values()) {
        if (s.hold(h.conversationId()) != null) continue;
        if (load == s.load()) load = new TreeMap<>(s.load());
        load.merge(EntityIds.channelOf(h.conversationId()), 1, Integer::sum);
        open++;
        if (last == null || h.lastAssigned().isAfter(last)) last = h.lastAssigned();
      }
    }
    return new AgentStatus(agentId, s.presence(), s.profile(), load == s.load() ? load : Map.copyOf(load), open, last,
        settling);
  }

  /** The hold of {@code conversationId}: persisted, or a grant, an unrecorded hold or a finding being verified. */
  private Hold holdOf(State s, String conversationId) {
    Hold h = s.hold(conversationId);
    if (h != null) return h;
    for (Map<String, RecordedHold> soft : List.of(unrecorded, grants, verifying)) {
      RecordedHold r = soft.get(conversationId);
      if (r != null) return r.toHold();
    }
    return null;
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
        .onEvent(Agent.WrapUpStarted.class, (s, e) -> {
          Hold before = s.hold(e.conversationId());
          boolean same = before != null && before.hold().equals(e.hold());
          return s.holding(e.conversationId(), new Hold(e.hold(), e.channel(), e.team(), same ? before.policy() : null,
              same ? before.since() : e.at(), true, e.until()), s.lastAssignedAt());
        })
        .onEvent(Agent.WrapUpEnded.class, (s, e) -> {
          Hold h = s.hold(e.conversationId());
          return h != null && h.hold().equals(e.hold()) && h.wrappingUp() ? s.releasing(e.conversationId()) : s;
        })
        .onEvent(OfflineGraceExpired.class, (s, e) ->
            s.with(s.profile(), s.presence(), s.teams(), s.lastAssignedAt(), e.next()))
        .onEvent(HoldsRecorded.class, (s, e) -> {
          State next = s.scannedTo(e.scannedTo(), e.coveredUntil());
          for (RecordedHold r : e.holds()) {
            Hold h = next.hold(r.conversationId());
            if (h != null && h.hold().equals(r.hold())) {
              if (r.confirmed() && !h.confirmed()) next = next.holding(r.conversationId(), h.confirm(r.policy()),
                  next.lastAssignedAt());
              continue;
            }
            if (h != null) continue; // held under another token: this agent's own record wins
            Instant last = next.lastAssignedAt() == null || r.lastAssigned().isAfter(next.lastAssignedAt())
                ? r.lastAssigned() : next.lastAssignedAt();
            next = next.holding(r.conversationId(), r.toHold(), last);
          }
          return next;
        })
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

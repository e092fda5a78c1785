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
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The behaviour of one {@link Agent}: profile and presence, claims and offers (reserved only while there is
 * room, invariant 2), confirmations persisted in batches, releases, team membership, the offline grace, and the
 * status pushed to its teams. Its protocol is nested in {@link Agent}. The unflushed confirmations and the
 * escalations below are soft state of this incarnation, never persisted.
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

  AgentEntity(String agentId, ActorContext<Command> context,
      TimerScheduler<Command> timers, DeadlineTimers<Command> deadlines, Directory directory, Clock clock,
      CoreSettings settings, Consumer<ActorRef<Command>> passivation) {
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
    return idleness.tracking(CommandGuard.storable("agent", agentId, c -> c instanceof Get || c instanceof Passivate,
        context.getLog(), Effect(), handlers()), IdleCheck.class);
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
    Instant grace = c.presence() == Presence.OFFLINE
        ? OfflineGrace.next(s, now, null, settings.offlineGrace()) : null;
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
      return Effect().reply(c.replyTo(), Outcome.refused(Code.BAD_CONVERSATION_ID, e.getMessage()));
    }
    if (s.presence() == Presence.OFFLINE) {
      return Effect().reply(c.replyTo(), Outcome.refused(Code.AGENT_OFFLINE,
          "agent " + agentId + " is offline and cannot claim conversations"));
    }
    Hold held = s.hold(c.conversationId());
    if (held != null) {
      directory.conversation(c.conversationId(), new Conversation.AssignTo(agentId, held.hold(), held.team(),
          held.policy(), s.teams(), c.replyTo()));
      return Effect().none();
    }
    if (!s.hasRoomOn(channel)) {
      return Effect().reply(c.replyTo(), Outcome.refused(Code.CAPACITY_FULL, "agent " + agentId + " already holds "
          + s.loadOn(channel) + " of " + s.profile().capacityFor(channel) + " conversations on " + channel));
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
    Hold held = s.hold(convId);
    if (held != null && held.hold().equals(c.hold())) { // a re-sent offer: answer it again
      directory.conversation(convId, new Conversation.AssignTo(agentId, c.hold(), c.team(), c.policy(), c.replyTo()));
      if (!c.transfer()) directory.team(c.team(), new Team.OfferAccepted(convId, req.attempt(), agentId));
      return Effect().none();
    }
    String refusal = null;
    if (held != null) refusal = Code.ALREADY_HOLDING.wire();
    else if (s.presence() != Presence.ONLINE) refusal = Code.agentNot(s.presence()).wire();
    else if (!s.hasRoomOn(req.channel())) refusal = Code.CAPACITY_FULL.wire();
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
    Map<String, Hold> due = OfflineGrace.due(s, now, settings.offlineGrace());
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

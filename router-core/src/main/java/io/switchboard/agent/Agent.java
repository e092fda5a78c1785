package io.switchboard.agent;

import io.switchboard.HoldToken;
import io.switchboard.CborSerializable;
import io.switchboard.CoreSettings;
import io.switchboard.Directory;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.conversation.Conversation;
import io.switchboard.entity.Sharded;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingPolicy;
import io.switchboard.routing.RoutingRequest;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import scala.collection.immutable.HashMap;
import scala.collection.immutable.HashMap$;
import scala.jdk.javaapi.CollectionConverters;

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
 *
 * <p>This class is its protocol and wiring: the commands, events, state and replies nested here (their
 * binary names, {@code Agent$Reserved}, are the journal's manifests, so they stay here), {@link #init} and
 * {@link #create}. The behaviour is {@link AgentEntity}; when each held conversation's offline grace ends is
 * {@link OfflineGrace}.
 */
public final class Agent {

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
  public record Offer(RoutingRequest request, HoldToken hold, String team, RoutingPolicy policy, boolean transfer,
      ActorRef<Outcome> replyTo, Instant offeredAt) implements Command {
    public Offer(RoutingRequest request, HoldToken hold, String team, RoutingPolicy policy, boolean transfer,
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
  public record AssignmentConfirmed(String conversationId, HoldToken hold, RoutingPolicy policy) implements Command {
    public AssignmentConfirmed(String conversationId, HoldToken hold) {
      this(conversationId, hold, null);
    }
  }

  /** The conversation no longer belongs to this agent under {@code hold}. Always acknowledged. */
  /**
   * @param wrapUpUntil the conversation was resolved and its team has a wrap-up: the unit stays held until then
   *     (or until {@link EndWrapUp}); null: released at once
   */
  public record Release(String conversationId, HoldToken hold, Instant wrapUpUntil) implements Command {
    public Release(String conversationId, HoldToken hold) {
      this(conversationId, hold, null);
    }
  }

  /** The agent ends the wrap-up after {@code conversationId} before its deadline. Replies ok, or not_found. */
  public record EndWrapUp(String conversationId, ActorRef<Outcome> replyTo) implements Command {}

  /** The earliest wrap-up's deadline, armed from the persisted holds. */
  record WrapUpDue(Instant deadline) implements Command {}

  /** Membership, sent by a team whenever its configuration names this agent (or stops naming it). */
  public record JoinTeam(String team) implements Command {}

  public record LeaveTeam(String team) implements Command {}

  /** A conversation escalated to this supervisor; kept for the agent's view until claimed. */
  public record EscalationNotice(String conversationId, String reason) implements Command {}

  /** Replies the agent's {@link View}. */
  public record Get(ActorRef<View> replyTo) implements Command {}

  record Redeliver() implements Command {}

  /** The settling after a recovery is over: the agent scans the journal for its grants' assignments. */
  record SettleEnded() implements Command {}

  /**
   * The scan's result: the {@code Assigned} events tagged with this agent from the last scan's offset on, as
   * holds to count (unconfirmed), and the highest offset read.
   */
  record ScanCompleted(List<RecordedHold> found, long offset) implements Command {}

  record ScanFailed(String reason) implements Command {}

  record FlushConfirmations() implements Command {}

  /** Every {@code passivate-after}: an agent that was never configured stops when idle. */
  record IdleCheck() implements Command {}

  /** Sent by the shard when it passivates the agent. */
  public record Passivate() implements Command {}

  record OfflineGraceEnded(Instant deadline) implements Command {}

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
  public record Reserved(String conversationId, HoldToken hold, String team, RoutingPolicy policy, Instant at,
      Instant offeredAt) implements Event {
    public Reserved(String conversationId, HoldToken hold, String team, RoutingPolicy policy, Instant at) {
      this(conversationId, hold, team, policy, at, null);
    }

    /** The agent's last assignment as teams see it: the offer's time when a team offered it. */
    Instant lastAssigned() {
      return offeredAt != null ? offeredAt : at;
    }
  }

  public record Released(String conversationId, HoldToken hold, Instant at) implements Event {}

  /**
   * The conversation was resolved; its unit stays held (counted in the load) until {@code until}.
   *
   * @param channel the hold's channel, and {@code team} its team, for a hold this agent had not recorded yet
   */
  public record WrapUpStarted(String conversationId, HoldToken hold, String channel, String team, Instant until,
      Instant at) implements Event {}

  /** @param reason {@code deadline} or {@code ended} (by the agent) */
  public record WrapUpEnded(String conversationId, HoldToken hold, String reason, Instant at) implements Event {}

  /**
   * The offline grace of some held conversations ended at {@code at} (they were told); {@code next} is
   * when the next one's ends (conversations of a team with a longer grace), null: none left (and for
   * events older than the field, which told every held conversation at once).
   */
  public record OfflineGraceExpired(Instant at, Instant next) implements Event {}

  /** The conversations confirmed these holds (persisted in batches, off the routing path). */
  public record HoldsConfirmed(List<HoldRef> holds) implements Event {}

  /**
   * Holds recorded after the conversations persisted them: grants the conversations confirmed
   * ({@code confirmed}), or assignments found by the scan after a recovery and confirmations of grants
   * unknown to this incarnation (not confirmed: re-verified with {@code AssignTo}). One write for many.
   *
   * @param scannedTo the scan's offset when this is a scan's result (the next scan starts there), else null
   * @param coveredUntil every grant made before it is recorded (here or earlier) or was refused or released
   */
  public record HoldsRecorded(List<RecordedHold> holds, Long scannedTo, Instant coveredUntil) implements Event {}

  /**
   * @param offeredAt the team's time of the offer granted (the agent's last assignment as teams see it); null: not
   *     known (found by a scan)
   */
  public record RecordedHold(String conversationId, HoldToken hold, String team, RoutingPolicy policy, Instant at,
      Instant offeredAt, boolean confirmed) implements CborSerializable {
    Hold toHold() {
      return new Hold(hold, EntityIds.channelOf(conversationId), team, policy, at, confirmed);
    }

    Instant lastAssigned() {
      return offeredAt != null ? offeredAt : at;
    }
  }

  /** The journal tag of every {@code Assigned} to {@code agentId}, which its scan after a recovery reads. */
  public static String holdTag(String agentId) {
    return "hold|" + agentId;
  }

  /** @param policy a claimed hold's team policy, learned with the confirmation (null: none learned, older events) */
  public record HoldRef(String conversationId, HoldToken hold, RoutingPolicy policy) implements CborSerializable {
    public HoldRef(String conversationId, HoldToken hold) {
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
  public record Hold(HoldToken hold, String channel, String team, RoutingPolicy policy, Instant since,
      boolean confirmed, Instant wrapUpUntil) implements CborSerializable {
    public Hold(HoldToken hold, String channel, String team, RoutingPolicy policy, Instant since, boolean confirmed) {
      this(hold, channel, team, policy, since, confirmed, null);
    }

    /** Confirmed, with the team policy learned for a claim (when it had none). */
    Hold confirm(RoutingPolicy learned) {
      return new Hold(hold, channel, team, policy != null ? policy : learned, since, true, wrapUpUntil);
    }

    /** The conversation is resolved; its unit stays held until {@code wrapUpUntil}. */
    public boolean wrappingUp() {
      return wrapUpUntil != null;
    }
  }

  /**
   * @param held the reserved or assigned conversations: Scala's persistent (structurally shared) map, so a
   *     reservation costs the same whether the agent holds three conversations or a thousand
   * @param load how many of them per channel (derived from {@code held}, kept with it)
   * @param offlineSince when the agent last went offline, null while not offline (or in snapshots older
   *     than the field): each held conversation's grace runs from it
   */
  public record State(
      AgentProfile profile,
      Presence presence,
      Set<String> teams,
      HashMap<String, Hold> held,
      Map<String, Integer> load,
      Instant lastAssignedAt,
      Instant offlineGraceEnds,
      Instant offlineSince,
      Long grantScanOffset,
      Instant grantsCoveredUntil) implements CborSerializable {

    public State {
      if (held == null) held = HashMap$.MODULE$.empty();
      if (load == null) load = loadOf(held); // snapshots older than the field
      if (grantScanOffset == null) grantScanOffset = 0L;
    }

    static State empty() {
      return new State(AgentProfile.withCapacity(0), Presence.OFFLINE, Set.of(), null, Map.of(), null, null, null, 0L, null);
    }

    private static Map<String, Integer> loadOf(HashMap<String, Hold> held) {
      Map<String, Integer> load = new TreeMap<>();
      CollectionConverters.asJava(held).values().forEach(h -> load.merge(h.channel(), 1, Integer::sum));
      return Map.copyOf(load);
    }

    /** The held conversations, read-only. */
    public Map<String, Hold> holds() {
      return CollectionConverters.asJava(held);
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
      return new State(p, pr, t, held, load, last, grace, offlineSince, grantScanOffset, grantsCoveredUntil);
    }

    State holding(String conversationId, Hold h, Instant last) {
      Hold before = hold(conversationId);
      Map<String, Integer> l = before == null ? plus(load, h.channel(), 1) : load;
      return new State(profile, presence, teams, held.updated(conversationId, h), l, last, offlineGraceEnds,
          offlineSince, grantScanOffset, grantsCoveredUntil);
    }

    /** The earliest end of a wrap-up, null: none runs. */
    public Instant nextWrapUpEnd() {
      Instant next = null;
      for (Hold h : holds().values()) {
        if (h.wrappingUp() && (next == null || h.wrapUpUntil().isBefore(next))) next = h.wrapUpUntil();
      }
      return next;
    }

    State releasing(String conversationId) {
      Hold before = hold(conversationId);
      if (before == null) return this;
      return new State(profile, presence, teams, held.removed(conversationId), plus(load, before.channel(), -1),
          lastAssignedAt, offlineGraceEnds, offlineSince, grantScanOffset, grantsCoveredUntil);
    }

    State offlineSince(Instant since) {
      return new State(profile, presence, teams, held, load, lastAssignedAt, offlineGraceEnds, since,
          grantScanOffset, grantsCoveredUntil);
    }

    State scannedTo(Long offset, Instant covered) {
      return new State(profile, presence, teams, held, load, lastAssignedAt, offlineGraceEnds, offlineSince,
          offset == null ? grantScanOffset : Math.max(offset, grantScanOffset),
          covered == null || (grantsCoveredUntil != null && covered.isBefore(grantsCoveredUntil))
              ? grantsCoveredUntil : covered);
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

  public static void init(ActorSystem<?> system, Directory directory, Clock clock, CoreSettings settings,
      io.switchboard.RoutingObserver observer) {
    // No idle passivation of configured agents: their timers must run. Remembered (when configured so)
    // so that every agent runs again after a restart, with its grace deadline and its holds.
    Sharded.init(system, ENTITY_TYPE_KEY, new Passivate(), settings.rememberAgentsAndTeams(),
        (id, passivation) -> create(id, directory, clock, settings, observer, passivation));
  }

  public static Behavior<Command> create(String agentId, Directory directory, Clock clock, CoreSettings settings) {
    return create(agentId, directory, clock, settings, io.switchboard.RoutingObserver.NONE, null);
  }

  /** @param passivation how an agent that was never configured asks to be stopped when idle; null: never */
  public static Behavior<Command> create(String agentId, Directory directory, Clock clock, CoreSettings settings,
      io.switchboard.RoutingObserver observer, Consumer<ActorRef<Command>> passivation) {
    EntityIds.tenantOf(agentId);
    Consumer<ActorRef<Command>> p = settings.passivates() ? passivation : null;
    return Sharded.setup((ctx, timers, deadlines) -> new AgentEntity(agentId, ctx, timers, deadlines, directory,
        clock, settings, observer, p));
  }

  private Agent() {}
}

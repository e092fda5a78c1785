package io.switchboard.team;

import io.switchboard.CborSerializable;
import io.switchboard.CoreSettings;
import io.switchboard.Directory;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.RoutingObserver;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentStatus;
import io.switchboard.conversation.Conversation;
import io.switchboard.entity.Sharded;
import io.switchboard.routing.RoutingRequest;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One team: the single writer of its configuration and its waiting queue (higher priority first,
 * then oldest first). It picks agents with the configured strategy from the latest status each
 * member pushed, and offers; the agent, not the team, decides whether it has room. The queue drains
 * at once whenever a member's status shows room, the configuration changes, or business hours open.
 *
 * <p>Persisted: configuration and queue entries (each with its queue-wait deadline). Derived and
 * never persisted: member statuses (re-announced by the agents after {@link Agent.JoinTeam}), the
 * round-robin cursor and the offers in flight (an offer lost with a restart is re-requested by the
 * waiting conversation).
 *
 * <p>This class is its protocol and wiring: the commands, events, state and replies nested here (their
 * binary names, {@code Team$Enqueued}, are the journal's manifests, so they stay here), {@link #init} and
 * {@link #create}. The behaviour is {@link TeamEntity}; its offers in flight and round-robin cursor are
 * kept by {@link OfferBook}.
 */
public final class Team {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Team");

  // ---- commands ----

  public sealed interface Command extends CborSerializable {}

  /** Creates or replaces the configuration; members are told they joined or left. Replies ok. */
  public record Configure(TeamConfig config, ActorRef<Outcome> replyTo) implements Command {}

  /** A waiting conversation asks for an agent (sent again until it is assigned or queued). */
  public record RequestAgent(RoutingRequest request) implements Command {}

  /**
   * An opening message not stored yet asks whether an agent can take it now: offered like a request,
   * or answered {@link Conversation.NoAgentNow}; never queued (the conversation then stores the
   * message and asks with {@link RequestAgent}).
   */
  public record ProbeAgent(RoutingRequest request) implements Command {}

  public record OfferDeclined(RoutingRequest request, String agentId, String reason) implements Command {}

  public record OfferAccepted(String conversationId, int attempt, String agentId) implements Command {}

  /** The conversation no longer waits here (claimed, resolved, transferred). */
  public record Withdraw(String conversationId, int attempt) implements Command {}

  /**
   * @param accepted the offer the agent granted with this change, if any: one message where there were two (the
   *     status, then {@link OfferAccepted}); null otherwise
   */
  public record AgentStatusChanged(AgentStatus status, OfferAccepted accepted) implements Command {
    public AgentStatusChanged(AgentStatus status) {
      this(status, null);
    }
  }

  /** Replies the team's {@link View}. */
  public record Get(ActorRef<View> replyTo) implements Command {}

  record QueueDeadlineReached() implements Command {}

  record BusinessHoursOpened() implements Command {}

  /** An opening passed while its timer was being replaced: drain now (a separate timer key, never replaced). */
  record OpeningPassed() implements Command {}

  record CheckQueue() implements Command {}

  /** {@code member-status-wait} after a recovery: route with the statuses that came. */
  record MemberStatusWaitOver() implements Command {}

  /** Every {@code passivate-after}: a team that was never configured stops when idle. */
  record IdleCheck() implements Command {}

  /** Sent by the shard when it passivates the team. */
  public record Passivate() implements Command {}

  /** Configuration, the waiting queue in order, and the members as the team last saw them. */
  public record View(String teamId, TeamConfig config, List<QueueEntry> queue, Map<String, AgentStatus> members)
      implements CborSerializable {}

  // ---- events ----

  public sealed interface Event extends CborSerializable {}

  public record Configured(TeamConfig config) implements Event {}

  public record Enqueued(QueueEntry entry) implements Event {}

  /** @param why offered, withdrawn, expired or replaced */
  public record Dequeued(String conversationId, String why, Instant at) implements Event {}

  // ---- state ----

  /**
   * A waiting conversation with the reason it waits (visible to supervisors) and its queue-wait
   * deadline (null: no limit).
   */
  public record QueueEntry(RoutingRequest request, String reason, Instant enqueuedAt, Instant deadline)
      implements CborSerializable {}

  public static final Comparator<QueueEntry> QUEUE_ORDER = Comparator
      .comparingInt((QueueEntry e) -> -e.request().priority())
      .thenComparing(e -> e.request().waitingSince())
      .thenComparing(e -> e.request().conversationId());

  public record State(TeamConfig config, List<QueueEntry> queue) implements CborSerializable {
    public Optional<QueueEntry> queued(String conversationId) {
      return queue.stream().filter(e -> e.request().conversationId().equals(conversationId)).findFirst();
    }

    Optional<Instant> earliestDeadline() {
      return queue.stream().map(QueueEntry::deadline).filter(Objects::nonNull).min(Comparator.naturalOrder());
    }
  }

  // ---- wiring ----

  public static void init(ActorSystem<?> system, Directory directory, Clock clock, CoreSettings settings,
      RoutingObserver observer) {
    // No idle passivation of configured teams: their timers must run. Remembered (when configured so)
    // so that every team runs again after a restart, with its queue and its deadlines.
    Sharded.init(system, ENTITY_TYPE_KEY, new Passivate(), settings.rememberAgentsAndTeams(),
        (id, passivation) -> create(id, directory, clock, settings, observer, passivation));
  }

  public static Behavior<Command> create(String teamId, Directory directory, Clock clock, CoreSettings settings,
      RoutingObserver observer) {
    return create(teamId, directory, clock, settings, observer, null);
  }

  /** @param passivation how a team that was never configured asks to be stopped when idle; null: never */
  public static Behavior<Command> create(String teamId, Directory directory, Clock clock, CoreSettings settings,
      RoutingObserver observer, Consumer<ActorRef<Command>> passivation) {
    EntityIds.tenantOf(teamId);
    Consumer<ActorRef<Command>> p = settings.passivates() ? passivation : null;
    return Sharded.setup((ctx, timers, deadlines) -> new TeamEntity(teamId, ctx, timers, deadlines, directory, clock,
        settings, observer, p));
  }

  private Team() {}
}

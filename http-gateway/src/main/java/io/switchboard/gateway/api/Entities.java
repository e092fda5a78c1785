package io.switchboard.gateway.api;

import io.switchboard.Outcome;
import io.switchboard.Storable;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.team.Team;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Asks of the routing core's entities, the only place the gateway asks (at the edge), with one timeout.
 * An id the journal cannot hold ({@link Storable}) fails at once with a 400 and never reaches an
 * entity, whose recovery could fail on it; the routes check their ids before, this is the last guard.
 */
public final class Entities {
  private final ClusterSharding sharding;
  private final Duration timeout;

  public Entities(ClusterSharding sharding, Duration timeout) {
    this.sharding = sharding;
    this.timeout = timeout;
  }

  public CompletionStage<Outcome> conversation(String id, Function<ActorRef<Outcome>, Conversation.Command> command) {
    return ask(Conversation.ENTITY_TYPE_KEY, id, command);
  }

  /**
   * A customer's message (a command that carries its message id, so a second delivery answers "duplicate"):
   * asked again when no answer came, within the same timeout ({@link #ATTEMPTS}). A message that a region holds
   * for a shard in hand-off (a node leaving in a rolling restart, or a shard moving to a node that joined) is
   * dropped by Pekko "to avoid re-ordering"; without asking again the client waited the whole timeout for a 503
   * on a node that runs. Asking again soon matters because a shard can be handed off twice in a few seconds (to
   * the survivors when its node leaves, back when it has joined again): one second ask after half the timeout
   * still left slow 503s on running nodes (issue 13).
   */
  public CompletionStage<Outcome> conversationMessage(String id,
      Function<ActorRef<Outcome>, Conversation.Command> command) {
    return askAgain(Conversation.ENTITY_TYPE_KEY, id, command);
  }

  public CompletionStage<Outcome> agent(String id, Function<ActorRef<Outcome>, Agent.Command> command) {
    return ask(Agent.ENTITY_TYPE_KEY, id, command);
  }

  public CompletionStage<Outcome> team(String id, Function<ActorRef<Outcome>, Team.Command> command) {
    return ask(Team.ENTITY_TYPE_KEY, id, command);
  }

  public CompletionStage<Outcome> tenant(String id, Function<ActorRef<Outcome>, io.switchboard.gateway.tenant.Tenant.Command> command) {
    return ask(io.switchboard.gateway.tenant.Tenant.ENTITY_TYPE_KEY, id, command);
  }

  /** Views are asked again like {@link #conversationMessage}: reading twice changes nothing. */
  public CompletionStage<Conversation.View> conversationView(String id) {
    return askAgain(Conversation.ENTITY_TYPE_KEY, id, Conversation.Get::new);
  }

  public CompletionStage<Agent.View> agentView(String id) {
    return askAgain(Agent.ENTITY_TYPE_KEY, id, Agent.Get::new);
  }

  public CompletionStage<Team.View> teamView(String id) {
    return askAgain(Team.ENTITY_TYPE_KEY, id, Team.Get::new);
  }

  /**
   * The share of the timeout each ask of {@link #askAgain} waits (1 s, 1.5 s, 2.5 s of 5 s): a dropped message is
   * sent again after a second, and an entity slow to answer (recovering on a saturated node) still gets the half
   * of the timeout that one ask had before; a second copy it receives meanwhile costs it a duplicate check.
   */
  static final double[] ATTEMPTS = {0.2, 0.3, 0.5};

  /** For commands that may arrive twice without harm only. */
  private <M, R> CompletionStage<R> askAgain(EntityTypeKey<M> type, String id, Function<ActorRef<R>, M> command) {
    CompletableFuture<R> refused = refusedId(id);
    if (refused != null) return refused;
    return askAgain(sharding.entityRefFor(type, id), command, 0);
  }

  private <M, R> CompletionStage<R> askAgain(EntityRef<M> ref, Function<ActorRef<R>, M> command, int attempt) {
    Duration wait = Duration.ofNanos((long) (timeout.toNanos() * ATTEMPTS[attempt]));
    CompletionStage<R> answer = ref.ask(command::apply, wait);
    if (attempt == ATTEMPTS.length - 1) return answer;
    return answer.exceptionallyCompose(e -> timedOut(e)
        ? askAgain(ref, command, attempt + 1) : CompletableFuture.failedStage(e));
  }

  private static boolean timedOut(Throwable e) {
    Throwable t = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    return t instanceof java.util.concurrent.TimeoutException;
  }

  private <M, R> CompletionStage<R> ask(EntityTypeKey<M> type, String id, Function<ActorRef<R>, M> command) {
    CompletableFuture<R> refused = refusedId(id);
    if (refused != null) return refused;
    return sharding.entityRefFor(type, id).ask(command::apply, timeout);
  }

  /** A 400 for an id the journal cannot hold, else null. */
  private static <R> CompletableFuture<R> refusedId(String id) {
    String problem = Storable.problem(id);
    return problem == null ? null
        : CompletableFuture.failedFuture(ApiException.badRequest("invalid_request", "id: " + problem));
  }
}

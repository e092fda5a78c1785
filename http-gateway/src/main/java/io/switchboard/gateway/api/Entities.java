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
import scala.concurrent.ExecutionContext;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
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
  private final Scheduler scheduler;
  private final ExecutionContext executor;

  public Entities(ActorSystem<?> system, Duration timeout) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    this.scheduler = system.classicSystem().scheduler();
    this.executor = system.executionContext();
  }

  public CompletionStage<Outcome> conversation(String id, Function<ActorRef<Outcome>, Conversation.Command> command) {
    return ask(Conversation.ENTITY_TYPE_KEY, id, command);
  }

  /**
   * A customer's message (a command that carries its message id, so a second delivery answers "duplicate"):
   * asked again every second while no answer came, within the same timeout ({@link #RESEND}). A message that a region holds
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
   * How often {@link #askAgain} sends its command again while no answer came. Every copy waits until the one
   * timeout of the request, so an entity slow to answer (recovering on a saturated node) still has all of it,
   * while a copy dropped on the way (a hand-off, or a region that sent it to a node that died: until the node is
   * removed its shards' messages are lost) is replaced within a second. Sequential asks of 1 s, 1.5 s and 2.5 s
   * sent their last copy 2.5 s into the request: a message sent just before a dead node's removal was answered
   * 503 when the shard ran elsewhere again, and the conversations of a killed node routed again only after
   * 10.2 s instead of the ~8 s that failure detection and downing take (issue 13). Each copy received after
   * the first costs the entity a duplicate check; requests answered within a second send one.
   */
  static final Duration RESEND = Duration.ofSeconds(1);

  /** For commands that may arrive twice without harm only. */
  <M, R> CompletionStage<R> askAgain(EntityTypeKey<M> type, String id, Function<ActorRef<R>, M> command) {
    CompletableFuture<R> refused = refusedId(id);
    if (refused != null) return refused;
    CompletableFuture<R> answer = new CompletableFuture<>();
    new Copies<>(sharding.entityRefFor(type, id), command, answer, System.nanoTime() + timeout.toNanos()).send();
    return answer;
  }

  /**
   * The copies of one {@link #askAgain}: the first answer completes it; it fails once the last copy timed out
   * (every copy waits until the same deadline). Only the ask callbacks and the scheduler touch it.
   */
  private final class Copies<M, R> {
    private final EntityRef<M> ref;
    private final Function<ActorRef<R>, M> command;
    private final CompletableFuture<R> answer;
    private final long deadline;
    private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean lastSent;

    Copies(EntityRef<M> ref, Function<ActorRef<R>, M> command, CompletableFuture<R> answer, long deadline) {
      this.ref = ref;
      this.command = command;
      this.answer = answer;
      this.deadline = deadline;
    }

    void send() {
      if (answer.isDone()) return;
      long left = Math.max(deadline - System.nanoTime(), 1_000_000);
      boolean last = left <= RESEND.toNanos();
      waiting.incrementAndGet();
      if (last) lastSent = true;
      ref.ask(command::apply, Duration.ofNanos(left)).whenComplete((r, e) -> {
        if (e == null) answer.complete(r);
        else if (!timedOut(e)) answer.completeExceptionally(e);
        if (waiting.decrementAndGet() == 0 && lastSent && e != null) answer.completeExceptionally(e);
      });
      if (!last) scheduler.scheduleOnce(RESEND, this::send, executor);
    }
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

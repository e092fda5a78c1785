package io.switchboard.persistence;

import com.typesafe.config.Config;
import io.switchboard.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * Whether this node's store takes writes, known without blocking (docs/ARCHITECTURE.md, "Store
 * outages"). A probe takes the write path every entity takes: a small event-sourced entity of this
 * node persists one event every {@code interval} while the store works, and every
 * {@code interval-while-failing} after a probe failed, so that the store's return is seen at once. A
 * failure restarts that entity, whose recovery reads the snapshot store and the journal: the probe
 * succeeds again only once both, and their circuit breakers, take calls again.
 *
 * <p>Only a failure of the store (an exception from the journal or snapshot store, or no answer
 * within {@code timeout}) marks it failing; a slow write under load does not.
 */
public final class StoreHealth {
  /** The checks' timing, read from {@code switchboard.persistence.health}. */
  public record Settings(Duration interval, Duration intervalWhileFailing, Duration timeout) {
    public static Settings from(Config root) {
      Config c = root.getConfig("switchboard.persistence.health");
      return new Settings(c.getDuration("interval"), c.getDuration("interval-while-failing"),
          c.getDuration("timeout"));
    }
  }

  private static final String NOT_CHECKED = "the store has not been probed yet";
  /** Why the last probe failed, or null when it succeeded or none ended yet. */
  private final AtomicReference<String> failing = new AtomicReference<>();
  /** Null once a probe succeeded after the last failure. */
  private final AtomicReference<String> notReady = new AtomicReference<>(NOT_CHECKED);

  /** Told (on {@link #executor}) each time the store is found failing after it worked. */
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private final Executor executor;

  private StoreHealth(Executor executor) {
    this.executor = executor;
  }

  /** Starts probing the store of {@code system}'s journal (the actor is a system actor of this node). */
  public static StoreHealth start(ActorSystem<?> system, Settings settings) {
    StoreHealth health = new StoreHealth(system.executionContext());
    String node = Cluster.get(system).selfMember().address().hostPort().replaceAll("[^A-Za-z0-9._@-]", "_");
    ActorRef<Checker.Command> checker = system.systemActorOf(Behaviors.<Checker.Command>setup(ctx ->
        Behaviors.withTimers(timers -> new Checker(ctx, timers, settings, health, node))), "store-health",
        Props.empty());
    // no probe writes once the node stops its services (the store is synced and closed after them)
    CoordinatedShutdown.get(system).addActorTerminationTask(CoordinatedShutdown.PhaseServiceStop(), "stop-store-probe",
        Adapter.toClassic(checker), Optional.of(new Checker.Stop()));
    return health;
  }

  /**
   * Why requests that need the store cannot be served now (the last probe failed), else null. Null
   * too before the first probe ended: the node does not refuse work on a guess.
   */
  public String failingBecause() {
    return failing.get();
  }

  /** Why the node is not ready as far as the store goes (not probed yet, or failing since), else null. */
  public String notReadyBecause() {
    return notReady.get();
  }

  /**
   * Calls {@code listener} with the reason each time the store is found failing (not again for each
   * probe of the same outage); on the actor system's dispatcher, so it must not block.
   */
  public void onFailing(Consumer<String> listener) {
    listeners.add(listener);
  }

  private void succeeded() {
    failing.set(null);
    notReady.set(null);
  }

  private void failed(String why, boolean first) {
    failing.set(why);
    notReady.set(why);
    if (first) listeners.forEach(l -> executor.execute(() -> l.accept(why)));
  }

  /** Sends one probe at a time to the node's probe entity and records its outcome. */
  private static final class Checker extends AbstractBehavior<Checker.Command> {
    /** Local to the node: never sent over the wire. */
    interface Command extends org.apache.pekko.actor.NoSerializationVerificationNeeded {}

    private record Tick() implements Command {}

    private record Succeeded(long probe) implements Command {}

    /** The probe entity failed a write or a recovery (and restarts). */
    record Failed(String why) implements Command {}

    private record TimedOut(long probe) implements Command {}

    record Stop() implements Command {}

    private final TimerScheduler<Command> timers;
    private final Settings settings;
    private final StoreHealth health;
    private final ActorRef<Long> succeeded;
    private final ActorRef<Probe.Command> entity;
    private long probe;
    private boolean waiting;
    private Instant failingSince;

    Checker(ActorContext<Command> ctx, TimerScheduler<Command> timers, Settings settings, StoreHealth health,
        String node) {
      super(ctx);
      this.timers = timers;
      this.settings = settings;
      this.health = health;
      this.succeeded = ctx.messageAdapter(Long.class, Succeeded::new);
      this.entity = ctx.spawn(Probe.create(node, ctx.getSelf(), settings.intervalWhileFailing()), "probe");
      ctx.getSelf().tell(new Tick());
    }

    @Override
    public Receive<Command> createReceive() {
      return newReceiveBuilder()
          .onMessage(Tick.class, t -> send())
          .onMessage(Stop.class, t -> Behaviors.stopped())
          .onMessage(Succeeded.class, s -> waiting && s.probe() == probe ? ended(null) : this)
          .onMessage(Failed.class, f -> waiting ? ended(f.why()) : this)
          .onMessage(TimedOut.class, t -> waiting && t.probe() == probe
              ? ended("the store did not answer a probe write within " + settings.timeout().toMillis() + " ms") : this)
          .build();
    }

    private Behavior<Command> send() {
      probe++;
      waiting = true;
      entity.tell(new Probe.Write(probe, succeeded));
      timers.startSingleTimer("timeout", new TimedOut(probe), settings.timeout());
      return this;
    }

    /** @param failure why the probe failed, null when it succeeded */
    private Behavior<Command> ended(String failure) {
      waiting = false;
      timers.cancel("timeout");
      if (failure == null) {
        if (failingSince != null) {
          getContext().getLog().info("The store takes writes again ({} ms after it failed)",
              Duration.between(failingSince, Instant.now()).toMillis());
        }
        failingSince = null;
        health.succeeded();
      } else {
        boolean first = failingSince == null;
        if (first) {
          failingSince = Instant.now();
          getContext().getLog().warn("The store failed a probe write, requests that need it are refused until it "
              + "takes writes again: {}", failure);
        }
        health.failed("the store is unavailable: " + failure, first);
      }
      timers.startSingleTimer("tick", new Tick(), failure == null ? settings.interval() : settings.intervalWhileFailing());
      return this;
    }
  }

  /**
   * The probe entity, one per node, running for good: it persists one event per probe and answers. A
   * failed write or recovery restarts it (without logging: the checker reports an outage once), and
   * the restart recovers it from the snapshot store and the journal, so after an outage the probe
   * succeeds only once both take calls again. A snapshot every ten events, older events deleted: the
   * journal does not grow.
   */
  static final class Probe extends EventSourcedBehavior<Probe.Command, Probe.Probed, Probe.State> {
    interface Command extends CborSerializable {}

    /** Persists one {@link Probed} and answers {@code probe} to {@code replyTo}. */
    record Write(long probe, ActorRef<Long> replyTo) implements Command {}

    record Probed(long count) implements CborSerializable {}

    record State(long count) implements CborSerializable {}

    private final ActorRef<Checker.Command> checker;

    static Behavior<Command> create(String node, ActorRef<Checker.Command> checker, Duration maxBackoff) {
      return new Probe(node, checker, maxBackoff);
    }

    private Probe(String node, ActorRef<Checker.Command> checker, Duration maxBackoff) {
      super(PersistenceId.of("StoreProbe", node), SupervisorStrategy.restartWithBackoff(
          Duration.ofMillis(Math.min(100, maxBackoff.toMillis())), maxBackoff, 0.1).withLoggingEnabled(false));
      this.checker = checker;
    }

    @Override
    public State emptyState() {
      return new State(0);
    }

    @Override
    public CommandHandler<Command, Probed, State> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Write.class, (state, w) -> Effect().persist(new Probed(state.count() + 1))
              .thenRun(s -> w.replyTo().tell(w.probe())))
          .build();
    }

    @Override
    public EventHandler<State, Probed> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onEvent(Probed.class, (s, e) -> new State(e.count())).build();
    }

    @Override
    public SignalHandler<State> signalHandler() {
      return newSignalHandlerBuilder()
          .onSignal(RecoveryFailed.class, (state, f) -> checker.tell(new Checker.Failed(rootMessage(f.getFailure()))))
          .onSignal(PreRestart.instance(), state -> checker.tell(new Checker.Failed("a probe write or recovery failed")))
          .build();
    }

    @Override
    public RetentionCriteria retentionCriteria() {
      return RetentionCriteria.snapshotEvery(10, 1).withDeleteEventsOnSnapshot();
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }
}

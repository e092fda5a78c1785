package io.switchboard.testkit;

import io.switchboard.CoreSettings;
import io.switchboard.Directory;
import io.switchboard.RoutingObserver;
import io.switchboard.RoutingPorts;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.team.Team;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A {@link Directory} for tests that need ManualTime (which Cluster Sharding's own timers do not
 * tolerate): one local actor starts entities on their first message, like a shard does, and can
 * stop any of them mid-flight. As with sharding, whatever sat in a stopped entity's mailbox is
 * lost, and messages that arrive while it stops are buffered and start the next incarnation, which
 * recovers from the journal.
 */
public final class LocalDirectory implements Directory {

  public enum Kind { CONVERSATION, AGENT, TEAM }

  /**
   * Envelopes stay local; the command inside is still serialized on its way from the registry to
   * the entity, so {@code serialize-messages = on} checks every command.
   */
  public sealed interface Msg extends NoSerializationVerificationNeeded {}

  public record Deliver(Kind kind, String id, Object command) implements Msg {}

  /** Stops the entity (if running). */
  public record Stop(Kind kind, String id) implements Msg {}

  /** The entity asks to be stopped, as a shard's Passivate: it gets its stop command, later messages wait. */
  public record PassivateEntity(Kind kind, String id) implements Msg {}

  /** Whether the entity runs now. */
  public record IsRunning(Kind kind, String id, ActorRef<Boolean> replyTo) implements Msg {}

  private record Key(Kind kind, String id) {}

  private final ActorRef<Msg> registry;

  private LocalDirectory(ActorRef<Msg> registry) {
    this.registry = registry;
  }

  /** Spawns the registry with {@code spawner} (e.g. {@code testKit::spawn}) and returns the directory. */
  public static LocalDirectory start(java.util.function.Function<Behavior<Msg>, ActorRef<Msg>> spawner, Clock clock,
      CoreSettings settings, RoutingObserver observer, RoutingPorts ports) {
    LocalDirectory[] self = new LocalDirectory[1];
    ActorRef<Msg> ref = spawner.apply(Behaviors.setup(ctx -> new Registry(ctx, () -> self[0], clock, settings,
        observer, ports).behavior()));
    self[0] = new LocalDirectory(ref);
    return self[0];
  }

  public void stop(Kind kind, String id) {
    registry.tell(new Stop(kind, id));
  }

  /** Asks whether the entity runs now (started and not stopped or passivated). */
  public void isRunning(Kind kind, String id, ActorRef<Boolean> replyTo) {
    registry.tell(new IsRunning(kind, id, replyTo));
  }

  @Override
  public void conversation(String conversationId, Conversation.Command command) {
    registry.tell(new Deliver(Kind.CONVERSATION, conversationId, command));
  }

  @Override
  public void agent(String agentId, Agent.Command command) {
    registry.tell(new Deliver(Kind.AGENT, agentId, command));
  }

  @Override
  public void team(String teamId, Team.Command command) {
    registry.tell(new Deliver(Kind.TEAM, teamId, command));
  }

  private static final class Registry {
    private final ActorContext<Msg> ctx;
    private final java.util.function.Supplier<Directory> directory;
    private final Clock clock;
    private final CoreSettings settings;
    private final RoutingObserver observer;
    private final RoutingPorts ports;
    private final Map<Key, ActorRef<Object>> running = new HashMap<>();
    private final Map<ActorRef<Void>, Key> byRef = new HashMap<>();
    /** Entities that are stopping, with the messages that arrived meanwhile. */
    private final Map<Key, List<Object>> stopping = new HashMap<>();
    private long incarnations;

    Registry(ActorContext<Msg> ctx, java.util.function.Supplier<Directory> directory, Clock clock,
        CoreSettings settings, RoutingObserver observer, RoutingPorts ports) {
      this.ports = ports;
      this.ctx = ctx;
      this.directory = directory;
      this.clock = clock;
      this.settings = settings;
      this.observer = observer;
    }

    Behavior<Msg> behavior() {
      return Behaviors.receive(Msg.class)
          .onMessage(Deliver.class, this::deliver)
          .onMessage(Stop.class, this::stop)
          .onMessage(PassivateEntity.class, this::passivate)
          .onMessage(IsRunning.class, r -> {
            r.replyTo().tell(running.containsKey(new Key(r.kind(), r.id())));
            return Behaviors.same();
          })
          .onSignal(Terminated.class, this::terminated)
          .build();
    }

    private Behavior<Msg> deliver(Deliver d) {
      Key key = new Key(d.kind(), d.id());
      List<Object> buffer = stopping.get(key);
      if (buffer != null) {
        buffer.add(d.command());
      } else {
        refFor(key).tell(d.command());
      }
      return Behaviors.same();
    }

    @SuppressWarnings("unchecked")
    private ActorRef<Object> refFor(Key key) {
      ActorRef<Object> ref = running.get(key);
      if (ref == null) {
        ActorRef<Msg> registry = ctx.getSelf();
        Runnable passivate = () -> registry.tell(new PassivateEntity(key.kind(), key.id()));
        Behavior<?> b = switch (key.kind()) {
          case CONVERSATION -> Conversation.create(key.id(), directory.get(), clock, settings, observer, ports,
              self -> passivate.run());
          case AGENT -> Agent.create(key.id(), directory.get(), clock, settings, observer, self -> passivate.run());
          case TEAM -> Team.create(key.id(), directory.get(), clock, settings, observer, self -> passivate.run());
        };
        ref = (ActorRef<Object>) (ActorRef<?>) ctx.spawn((Behavior<Object>) b,
            key.kind().name().toLowerCase() + "-" + (++incarnations));
        ctx.watch(ref);
        running.put(key, ref);
        byRef.put(ref.unsafeUpcast(), key);
      }
      return ref;
    }

    private Behavior<Msg> stop(Stop s) {
      Key key = new Key(s.kind(), s.id());
      ActorRef<Object> ref = running.remove(key);
      if (ref != null) {
        stopping.put(key, new ArrayList<>());
        ctx.stop(ref);
      }
      return Behaviors.same();
    }

    private Behavior<Msg> passivate(PassivateEntity p) {
      Key key = new Key(p.kind(), p.id());
      ActorRef<Object> ref = running.remove(key);
      if (ref != null) {
        stopping.put(key, new ArrayList<>());
        ref.tell(switch (key.kind()) {
          case CONVERSATION -> new Conversation.Passivate();
          case AGENT -> new Agent.Passivate();
          case TEAM -> new Team.Passivate();
        });
      }
      return Behaviors.same();
    }

    private Behavior<Msg> terminated(Terminated t) {
      Key key = byRef.remove(t.getRef().<Void>unsafeUpcast());
      if (key == null) return Behaviors.same();
      running.remove(key, t.getRef());
      List<Object> buffered = stopping.remove(key);
      if (buffered != null && !buffered.isEmpty()) {
        ActorRef<Object> next = refFor(key);
        buffered.forEach(next::tell);
      }
      return Behaviors.same();
    }
  }
}

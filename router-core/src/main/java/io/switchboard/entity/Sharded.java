package io.switchboard.entity;

import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * How the entity types run under Cluster Sharding, in one place. The routing core's three
 * (conversation, agent, team; {@link #init}): sharding's own idle strategy is off for all of them:
 * each entity decides itself when it may stop (a conversation once settled, an agent or a team only
 * while never configured) and asks its shard through the passivation consumer it is built with,
 * because a stopped entity's timers do not run. The stop message is what the shard sends for a
 * passivation or a hand-off; the entity stops on it after its current write. The gateway's tenant
 * ({@link #initIdle}) has no timers: sharding's idle strategy stops it.
 */
public final class Sharded {
  private Sharded() {}

  /** Builds the entity {@code entityId}; {@code passivation} asks its shard to stop it. */
  @FunctionalInterface
  public interface Factory<C> {
    Behavior<C> create(String entityId, Consumer<ActorRef<C>> passivation);
  }

  /** An entity's constructor, given what every entity runs with: its context, its timers, its deadline timers. */
  @FunctionalInterface
  public interface Constructor<C> {
    Behavior<C> create(ActorContext<C> context, TimerScheduler<C> timers, DeadlineTimers<C> deadlines);
  }

  /**
   * Starts the entity type {@code key} on this node, with sharding's default message extractor.
   *
   * @param remember whether its shards remember their entities and start them again after a restart
   */
  public static <C> void init(ActorSystem<?> system, EntityTypeKey<C> key, C stopMessage, boolean remember,
      Factory<C> factory) {
    ClusterSharding.get(system).init(entity(system, key, stopMessage, remember, factory));
  }

  /** The entity type {@code key} as {@link #init} starts it, for a caller that changes more (its message extractor). */
  public static <C> Entity<C, ShardingEnvelope<C>> entity(ActorSystem<?> system, EntityTypeKey<C> key, C stopMessage,
      boolean remember, Factory<C> factory) {
    return Entity.of(key, ctx -> factory.create(ctx.getEntityId(),
            self -> ctx.getShard().tell(new ClusterSharding.Passivate<>(self))))
        .withStopMessage(stopMessage)
        .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()
            .withRememberEntities(remember));
  }

  /**
   * Starts the entity type {@code key} of an entity with no timers of its own (the gateway's tenant), with
   * sharding's defaults as {@code pekko.cluster.sharding} configures them: its idle passivation
   * ({@code passivation.strategy}, Pekko's default: stopped after 2 minutes without a message), its stop
   * message (PoisonPill), {@code remember-entities} (off: started again on demand) and its message extractor.
   */
  public static <C> void initIdle(ActorSystem<?> system, EntityTypeKey<C> key, Function<String, Behavior<C>> factory) {
    ClusterSharding.get(system).init(Entity.of(key, ctx -> factory.apply(ctx.getEntityId())));
  }

  /** One entity incarnation: its actor context, its timers and the {@link DeadlineTimers} over them. */
  public static <C> Behavior<C> setup(Constructor<C> constructor) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        constructor.create(ctx, timers, new DeadlineTimers<>(timers, ctx.getSelf()))));
  }
}

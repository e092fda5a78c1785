package io.switchboard.gateway.cluster;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * What this node's shard regions say, for readiness and metrics: whether each region is registered with
 * its coordinator (the coordinator's {@code ClusterShardingStats} list this node's region), and then, every
 * {@code interval}, the shards and entities it hosts ({@code GetShardRegionState}, answered by the local
 * region without the coordinator) and how many shards arrived on or left this node since the last poll
 * (rebalances and hand-offs). One small actor per entity type, each the only writer of its entry; never
 * blocks (the regions answer messages).
 */
public final class ShardRegionStatus {
  /** What one region reported last. */
  public record View(boolean registered, int shards, int entities, long shardsArrived, long shardsLeft) {
    static final View NONE = new View(false, 0, 0, 0, 0);
  }

  private final Map<String, View> views = new ConcurrentHashMap<>();
  private final List<String> names;

  private ShardRegionStatus(List<String> names) {
    this.names = names;
    names.forEach(n -> views.put(n, View.NONE));
  }

  /**
   * Starts one poller per entity type (their regions must be initialized first).
   *
   * @param registrationPoll how often a region not registered yet is checked
   * @param interval how often the shards and entities of a registered region are read
   */
  public static ShardRegionStatus start(ActorSystem<?> system, List<EntityTypeKey<?>> types, Duration registrationPoll,
      Duration interval) {
    ShardRegionStatus status = new ShardRegionStatus(types.stream().map(EntityTypeKey::name).toList());
    for (EntityTypeKey<?> type : types) {
      system.systemActorOf(status.poller(type, registrationPoll, interval), "shard-region-status-" + type.name(),
          Props.empty());
    }
    return status;
  }

  /** The regions of this node not yet registered with their coordinator, by name, or empty. */
  public List<String> unregistered() {
    return names.stream().filter(n -> !views.get(n).registered()).toList();
  }

  public View view(String name) {
    return views.getOrDefault(name, View.NONE);
  }

  public List<String> names() {
    return names;
  }

  private sealed interface Msg extends NoSerializationVerificationNeeded {}

  private record Tick() implements Msg {}

  private record Stats(ShardRegion.ClusterShardingStats stats) implements Msg {}

  private record State(ShardRegion.CurrentShardRegionState state) implements Msg {}

  private Behavior<Msg> poller(EntityTypeKey<?> type, Duration registrationPoll, Duration interval) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      ClusterSharding sharding = ClusterSharding.get(context.getSystem());
      Cluster cluster = Cluster.get(context.getSystem());
      var statsTo = context.messageAdapter(ShardRegion.ClusterShardingStats.class, Stats::new);
      var stateTo = context.messageAdapter(ShardRegion.CurrentShardRegionState.class, State::new);
      timers.startTimerWithFixedDelay(new Tick(), registrationPoll);
      Set<String> hosted = new HashSet<>(); // this actor's own state: the shards seen at the last poll
      return Behaviors.receive(Msg.class)
          .onMessage(Tick.class, t -> {
            if (views.get(type.name()).registered()) sharding.shardState().tell(new GetShardRegionState(type, stateTo));
            // the coordinator answers with every region it knows; one that is not registered yet answers empty
            else sharding.shardState().tell(new GetClusterShardingStats(type, registrationPoll, statsTo));
            return Behaviors.same();
          })
          .onMessage(Stats.class, s -> {
            if (s.stats().getRegions().containsKey(cluster.selfMember().address())) {
              View v = views.get(type.name());
              views.put(type.name(), new View(true, v.shards(), v.entities(), v.shardsArrived(), v.shardsLeft()));
              timers.startTimerWithFixedDelay(new Tick(), interval);
              context.getSelf().tell(new Tick());
            }
            return Behaviors.same();
          })
          .onMessage(State.class, s -> {
            Set<String> now = s.state().getShards().stream().map(ShardRegion.ShardState::shardId)
                .collect(Collectors.toSet());
            int entities = s.state().getShards().stream().mapToInt(sh -> sh.getEntityIds().size()).sum();
            long arrived = now.stream().filter(id -> !hosted.contains(id)).count();
            long left = hosted.stream().filter(id -> !now.contains(id)).count();
            hosted.clear();
            hosted.addAll(now);
            View v = views.get(type.name());
            views.put(type.name(), new View(true, now.size(), entities, v.shardsArrived() + arrived,
                v.shardsLeft() + left));
            return Behaviors.same();
          })
          .build();
    }));
  }
}

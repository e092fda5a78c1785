package io.switchboard;

import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.team.Team;
import java.time.Clock;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Starts the three sharded entity types on this node; the journal is whatever the config names. */
public final class RouterCore {
  private RouterCore() {}

  public static Directory init(ActorSystem<?> system) {
    return init(system, Clock.systemUTC());
  }

  public static Directory init(ActorSystem<?> system, Clock clock) {
    return init(system, clock, RoutingObserver.NONE);
  }

  public static Directory init(ActorSystem<?> system, Clock clock, RoutingObserver observer) {
    return init(system, clock, observer, RoutingPorts.NONE);
  }

  /**
   * @param observer told of assignments, re-routes, escalations, queue lengths (live streams, metrics)
   * @param ports how routing rules reach the contact (questions) and CRMs (lookups)
   */
  public static Directory init(ActorSystem<?> system, Clock clock, RoutingObserver observer, RoutingPorts ports) {
    CoreSettings settings = CoreSettings.from(system.settings().config());
    Directory directory = new ShardedDirectory(ClusterSharding.get(system));
    Conversation.init(system, directory, clock, settings, observer, ports);
    Agent.init(system, directory, clock, settings, observer);
    Team.init(system, directory, clock, settings, observer);
    return directory;
  }
}

package io.switchboard.gateway.cluster;

import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * On the H2 store only: stops this node (CoordinatedShutdown with {@link #REASON}; {@code Main} then exits
 * with a non-zero status) as soon as another member joins its cluster. {@link ClusterConfig#refuseH2Cluster}
 * already refuses to start with seed nodes naming other nodes; this catches the other way round, a node
 * configured with this one as its seed.
 */
public final class SingleNodeGuard {
  private SingleNodeGuard() {}

  /** The shutdown reason when a second member joined a node on H2. */
  public static final CoordinatedShutdown.Reason REASON = new CoordinatedShutdown.Reason() {
    @Override
    public String toString() {
      return "H2StoreInACluster";
    }
  };

  public static Behavior<ClusterEvent.MemberEvent> create() {
    return Behaviors.setup(context -> {
      Cluster cluster = Cluster.get(context.getSystem());
      cluster.subscriptions().tell(Subscribe.create(context.getSelf(), ClusterEvent.MemberEvent.class));
      return Behaviors.receiveMessage(event -> {
        Member m = event.member();
        boolean joining = m.status() == MemberStatus.joining() || m.status() == MemberStatus.weaklyUp()
            || m.status() == MemberStatus.up();
        if (joining && !m.uniqueAddress().equals(cluster.selfMember().uniqueAddress())) {
          context.getLog().error(ClusterConfig.h2Refusal("member " + m.address() + " joined this node's cluster")
              + "; stopping this node");
          CoordinatedShutdown.get(context.getSystem()).runAll(REASON);
          return Behaviors.stopped();
        }
        return Behaviors.same();
      });
    });
  }
}

package io.switchboard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.switchboard.Directory;
import io.switchboard.Outcome;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.team.Team;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/** A one-node cluster on a real store, and the asks the storage tests make of its entities. */
final class StoreTestKit {
  private StoreTestKit() {}

  private static final Duration ANSWER = Duration.ofSeconds(20);

  /** Creates the schema, starts a one-node cluster on {@code store} and waits until it is up. */
  static ActorTestKit start(StoreSettings store, String name, String extraConfig) {
    return start(store, name, extraConfig, ConfigFactory.empty());
  }

  /** As above, with {@code over} over the store's configuration (e.g. the plugin's own DAOs, to compare). */
  static ActorTestKit start(StoreSettings store, String name, String extraConfig, Config over) {
    Store.createSchema(store);
    Config config = over.withFallback(Store.pekkoConfig(store))
        .withFallback(ConfigFactory.parseString(extraConfig))
        .withFallback(ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
            pekko.actor.serialize-messages = on
            pekko.cluster.jmx.enabled = off
            pekko.loglevel = WARNING
            pekko.log-dead-letters = off
            pekko.cluster.sharding.remember-entities-store = eventsourced
            switchboard.core.remember-agents-and-teams = on
            pekko.cluster.sharding.state-store-mode = ddata
            pekko.cluster.sharding.distributed-data.durable.keys = []
            pekko.actor.testkit.typed.system-shutdown-default = 30s
            """)).withFallback(ConfigFactory.load());
    ActorTestKit kit = ActorTestKit.create(name, config);
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    kit.createTestProbe().awaitAssert(ANSWER, () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
    return kit;
  }

  static Outcome ask(ActorTestKit kit, Consumer<ActorRef<Outcome>> send) {
    TestProbe<Outcome> probe = kit.createTestProbe(Outcome.class);
    send.accept(probe.ref());
    return probe.expectMessageClass(Outcome.class, ANSWER);
  }

  static Conversation.State conversation(ActorTestKit kit, Directory d, String id) {
    TestProbe<Conversation.View> probe = kit.createTestProbe(Conversation.View.class);
    d.conversation(id, new Conversation.Get(probe.ref()));
    return probe.expectMessageClass(Conversation.View.class, ANSWER).state();
  }

  static Agent.State agent(ActorTestKit kit, Directory d, String id) {
    TestProbe<Agent.View> probe = kit.createTestProbe(Agent.View.class);
    d.agent(id, new Agent.Get(probe.ref()));
    return probe.expectMessageClass(Agent.View.class, ANSWER).state();
  }

  static Team.View team(ActorTestKit kit, Directory d, String id) {
    TestProbe<Team.View> probe = kit.createTestProbe(Team.View.class);
    d.team(id, new Team.Get(probe.ref()));
    return probe.expectMessageClass(Team.View.class, ANSWER);
  }
}

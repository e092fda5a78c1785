package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.conversation.Conversation;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The three entities as production runs them: through Cluster Sharding on a single-node cluster,
 * every message serialized, real time, an in-memory journal. Each test uses its own tenant.
 */
class ShardedRoutingTest {
  private static final Duration ASK = Duration.ofSeconds(10);

  static ActorTestKit testKit;
  static Directory directory;

  @BeforeAll
  static void start() {
    Config config = ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = 127.0.0.1
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.actor.serialize-messages = on
            pekko.loglevel = WARNING
            pekko.log-dead-letters = off
            # The test kit's in-memory journal re-serializes every stored event of an entity on each
            # append (O(n^2)); an agent holding 1,000 conversations then takes minutes. Messages are
            # still serialized (serialize-messages), and the Fixture-based tests journal serialized events.
            pekko.persistence.testkit.events.serialize = off
            """)
        .withFallback(PersistenceTestKitPlugin.getInstance().config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load());
    testKit = ActorTestKit.create("ShardedRoutingTest", config);
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    testKit.createTestProbe().awaitAssert(ASK, () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
    directory = RouterCore.init(testKit.system());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void roundRobinSharesThreeThousandConversationsEquallyAmongThreeAgents() {
    int total = 3000;
    List<String> agents = List.of("rr/a", "rr/b", "rr/c");
    String team = "rr/sales";
    for (String a : agents) {
      assertTrue(ask(r -> directory.agent(a, new Agent.SetProfile(
          new AgentProfile(Map.of("whatsapp", total), Map.of(), Set.of(), AgentProfile.Role.AGENT), r))).ok());
      assertTrue(ask(r -> directory.agent(a, new Agent.SetPresence(Presence.ONLINE, r))).ok());
    }
    // Zero reply window: nothing is re-routed, so the counts are the strategy's first choices.
    assertTrue(ask(r -> directory.team(team, new Team.Configure(
        TeamConfig.of(agents, StrategyKind.ROUND_ROBIN, Duration.ZERO), r))).ok());
    eventually(Duration.ofSeconds(10), () -> {
      Team.View v = ask(Team.View.class, r -> directory.team(team, new Team.Get(r)));
      assertEquals(Set.copyOf(agents), v.members().keySet(), "members announced to the team");
      v.members().values().forEach(s -> assertEquals(Presence.ONLINE, s.presence(), s.agentId()));
    });

    // Send every message first (in order, from this one thread), then collect the acknowledgements.
    TestProbe<Outcome> acks = testKit.createTestProbe(Outcome.class);
    RoutingHint hint = RoutingHint.toTeam(team);
    for (int i = 0; i < total; i++) {
      directory.conversation(EntityIds.conversationId("rr", "whatsapp", "c" + i),
          new Conversation.Inbound("m" + i, "hello", hint, acks.ref()));
    }
    List<Outcome> outcomes = acks.receiveSeveralMessages(total, Duration.ofSeconds(40));
    assertEquals(total, outcomes.stream().filter(Outcome::ok).count(), "acknowledged messages");

    // Wait until the agents hold every conversation, each of them assigned to the agent holding it.
    Map<String, Integer> counts = eventually(Duration.ofSeconds(30), () -> {
      Map<String, Integer> held = new TreeMap<>();
      for (String a : agents) {
        held.put(a, ask(Agent.View.class, r -> directory.agent(a, new Agent.Get(r))).state().holds().size());
      }
      assertEquals(total, held.values().stream().mapToInt(Integer::intValue).sum(), "conversations held: " + held);
      TestProbe<Conversation.View> views = testKit.createTestProbe(Conversation.View.class);
      for (int i = 0; i < total; i++) {
        directory.conversation(EntityIds.conversationId("rr", "whatsapp", "c" + i), new Conversation.Get(views.ref()));
      }
      Map<String, Integer> assigned = new TreeMap<>();
      for (Conversation.View v : views.receiveSeveralMessages(total, Duration.ofSeconds(20))) {
        assertEquals(Conversation.Status.ASSIGNED, v.state().status(), v.conversationId());
        assigned.merge(v.state().agentId(), 1, Integer::sum);
      }
      assertEquals(held, assigned, "conversations assigned per agent vs held per agent");
      return held;
    });
    System.out.println("round-robin over " + total + " conversations: " + counts);
    counts.forEach((agent, n) ->
        assertTrue(Math.abs(n - total / agents.size()) <= 1, agent + " holds " + n + " of " + total + ": " + counts));
  }

  @Test
  void aConversationIsAssignedThroughSharding() {
    String agent = "e2e/a", team = "e2e/support";
    String conv = EntityIds.conversationId("e2e", "whatsapp", "31600000001");
    assertTrue(ask(r -> directory.agent(agent, new Agent.SetProfile(AgentProfile.withCapacity(1), r))).ok());
    assertTrue(ask(r -> directory.agent(agent, new Agent.SetPresence(Presence.ONLINE, r))).ok());
    assertTrue(ask(r -> directory.team(team, new Team.Configure(
        TeamConfig.of(List.of(agent), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5)), r))).ok());

    assertTrue(ask(r -> directory.conversation(conv,
        new Conversation.Inbound("wamid.1", "hi, my order is late", RoutingHint.toTeam(team), r))).ok());
    eventually(ASK, () -> {
      Conversation.State s = conversation(conv);
      assertEquals(Conversation.Status.ASSIGNED, s.status());
      assertEquals(agent, s.agentId());
      assertEquals(1, agentState(agent).loadOn("whatsapp"), "the agent's capacity is taken");
    });

    Outcome reply = ask(r -> directory.conversation(conv, new Conversation.AgentReply(agent, "on it", false, r)));
    assertTrue(reply.ok(), reply.toString());
    assertTrue(conversation(conv).answered());

    Outcome resolved = ask(r -> directory.conversation(conv, new Conversation.Resolve(agent, r)));
    assertTrue(resolved.ok(), resolved.toString());
    assertEquals(Conversation.Status.RESOLVED, conversation(conv).status());
    eventually(ASK, () -> {
      Agent.State a = agentState(agent);
      assertTrue(a.holds().isEmpty(), "holds after resolve: " + a.holds());
      assertTrue(a.hasRoomOn("whatsapp"), "capacity freed");
    });
  }

  // ---- helpers ----

  private static Conversation.State conversation(String id) {
    return ask(Conversation.View.class, r -> directory.conversation(id, new Conversation.Get(r))).state();
  }

  private static Agent.State agentState(String id) {
    return ask(Agent.View.class, r -> directory.agent(id, new Agent.Get(r))).state();
  }

  private static Outcome ask(Consumer<ActorRef<Outcome>> send) {
    return ask(Outcome.class, send);
  }

  private static <T> T ask(Class<T> type, Consumer<ActorRef<T>> send) {
    TestProbe<T> probe = testKit.createTestProbe(type);
    send.accept(probe.ref());
    T reply = probe.expectMessageClass(type, ASK);
    probe.stop();
    return reply;
  }

  private static <T> T eventually(Duration max, java.util.function.Supplier<T> check) {
    return testKit.createTestProbe().awaitAssert(max, Duration.ofMillis(100), check::get);
  }

  private static void eventually(Duration max, Runnable check) {
    eventually(max, () -> {
      check.run();
      return null;
    });
  }
}

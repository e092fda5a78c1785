package io.switchboard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.switchboard.persistence.StoreTestKit.agent;
import static io.switchboard.persistence.StoreTestKit.ask;
import static io.switchboard.persistence.StoreTestKit.conversation;
import static io.switchboard.persistence.StoreTestKit.team;

import io.switchboard.Directory;
import io.switchboard.EntityIds;
import io.switchboard.RouterCore;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.conversation.Conversation;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import io.switchboard.persistence.readmodel.ReadModels;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;

/**
 * The whole actor system stops in the middle of traffic and a new one starts on the same store:
 * conversations, queues, agent loads and presence are as before, and the deadlines that were
 * running fire at their original instants (at once if they passed while the system was down),
 * although conversations are not remembered: the wake-up keeper starts them from the index the
 * read models keep. A passivated conversation is woken the same way. Runs on each store through a
 * subclass.
 */
abstract class StoreRecoveryTest {
  private static final Duration REPLY_WINDOW = Duration.ofSeconds(15);

  /** A fresh, empty store for one test. */
  protected abstract StoreSettings freshStore();

  /** A node as the gateway runs one: read models with their keeper, idle conversations passivating. */
  private static ActorTestKit start(StoreSettings store) {
    ActorTestKit kit = StoreTestKit.start(store, "recovery", """
        switchboard.core.passivate-after = 1s
        switchboard.core.min-sleep = 3s
        switchboard.core.confirm-flush-interval = 200ms
        """);
    try {
      ReadModels.start(kit.system(), store).ready().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      kit.shutdownTestKit();
      throw new IllegalStateException("read models did not start", e);
    }
    return kit;
  }

  private static final String A = "rec/alice", B = "rec/bob", C = "rec/carol", TEAM = "rec/support";
  private static final String C1 = EntityIds.conversationId("rec", "whatsapp", "1");
  private static final String C2 = EntityIds.conversationId("rec", "whatsapp", "2");
  private static final String C3 = EntityIds.conversationId("rec", "whatsapp", "3");

  /** Traffic in the middle of which the system stops: c1 and c2 assigned with reply windows running, c3 queued. */
  private static void traffic(ActorTestKit kit, Directory d, Duration replyWindow) {
    for (String agent : List.of(A, B, C)) {
      assertTrue(ask(kit, r -> d.agent(agent, new Agent.SetProfile(AgentProfile.withCapacity(1), r))).ok());
    }
    assertTrue(ask(kit, r -> d.agent(A, new Agent.SetPresence(Presence.ONLINE, r))).ok());
    assertTrue(ask(kit, r -> d.agent(B, new Agent.SetPresence(Presence.ONLINE, r))).ok());
    assertTrue(ask(kit, r -> d.agent(C, new Agent.SetPresence(Presence.AWAY, r))).ok());
    assertTrue(ask(kit, r -> d.team(TEAM, new Team.Configure(
        TeamConfig.of(List.of(A, B, C), StrategyKind.ROUND_ROBIN, replyWindow), r))).ok());
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
      assertEquals(3, team(kit, d, TEAM).members().size());
      return null;
    });
    for (String conv : List.of(C1, C2, C3)) {
      assertTrue(ask(kit, r -> d.conversation(conv,
          new Conversation.Inbound("m-" + conv, "hello", RoutingHint.toTeam(TEAM), r))).ok());
    }
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
      assertEquals(Conversation.Status.ASSIGNED, conversation(kit, d, C1).status());
      assertEquals(Conversation.Status.ASSIGNED, conversation(kit, d, C2).status());
      assertEquals(List.of(C3), queueOf(kit, d));
      // the agents persisted the confirmations: after a restart they re-verify (and so start) nothing
      for (String agent : List.of(A, B)) {
        assertTrue(agent(kit, d, agent).holds().values().stream().allMatch(Agent.Hold::confirmed), agent);
      }
      return null;
    });
  }

  /** The conversations running on this node. */
  private static java.util.Set<String> runningConversations(ActorTestKit kit) {
    TestProbe<CurrentShardRegionState> probe = kit.createTestProbe(CurrentShardRegionState.class);
    ClusterSharding.get(kit.system()).shardState().tell(new GetShardRegionState(Conversation.ENTITY_TYPE_KEY,
        probe.ref()));
    java.util.Set<String> ids = new java.util.TreeSet<>();
    probe.expectMessageClass(CurrentShardRegionState.class, Duration.ofSeconds(10)).getShards()
        .forEach(shard -> ids.addAll(shard.getEntityIds()));
    return ids;
  }

  private static List<String> queueOf(ActorTestKit kit, Directory d) {
    return team(kit, d, TEAM).queue().stream().map(e -> e.request().conversationId()).toList();
  }

  /**
   * What a user sees of an agent: profile, presence, teams, holds, load, clocks; not the bookkeeping of its grants
   * (the last scan's offset and the coverage instant move with every batch and every recovery).
   */
  private static Agent.State held(Agent.State s) {
    return new Agent.State(s.profile(), s.presence(), s.teams(), s.held(), s.load(), s.lastAssignedAt(),
        s.offlineGraceEnds(), s.offlineSince(), 0L, null);
  }

  @Test
  void aRestartedSystemHasEveryConversationQueueAgentLoadAndPresenceAsBefore() {
    StoreSettings store = freshStore();
    ActorTestKit first = start(store);
    Directory d1 = RouterCore.init(first.system());
    traffic(first, d1, Duration.ofMinutes(10));
    Conversation.State c1 = conversation(first, d1, C1), c2 = conversation(first, d1, C2);
    Conversation.State c3 = conversation(first, d1, C3);
    Agent.State a = held(agent(first, d1, A)), b = held(agent(first, d1, B)), c = held(agent(first, d1, C));
    first.shutdownTestKit();

    ActorTestKit second = start(store);
    try {
      Directory d2 = RouterCore.init(second.system());
      assertEquals(c1, conversation(second, d2, C1));
      assertEquals(c2, conversation(second, d2, C2));
      assertEquals(c3, conversation(second, d2, C3));
      assertEquals(a, held(agent(second, d2, A)));
      assertEquals(b, held(agent(second, d2, B)));
      assertEquals(c, held(agent(second, d2, C)));
      assertEquals(List.of(C3), queueOf(second, d2));
      assertNoDoubleAssignmentOrLeakedCapacity(second, d2);
    } finally {
      second.shutdownTestKit();
    }
  }

  @Test
  void aReplyWindowRunningWhenTheSystemStoppedFiresAtItsOriginalDeadlineAfterARestart() {
    StoreSettings store = freshStore();
    ActorTestKit first = start(store);
    Directory d1 = RouterCore.init(first.system());
    traffic(first, d1, REPLY_WINDOW);
    Conversation.State before1 = conversation(first, d1, C1);
    Instant deadline1 = before1.replyDeadline();
    first.shutdownTestKit();

    ActorTestKit second = start(store);
    try {
      Directory d2 = RouterCore.init(second.system());
      // Touch nothing (a query would start an entity) until well after c1's reply window: only the
      // remembered agents and teams run, and the keeper wakes c1 for its deadline.
      assertFalse(runningConversations(second).contains(C1), "c1 is not remembered");
      Duration untilChecked = Duration.between(Instant.now(), deadline1.plusSeconds(3));
      if (!untilChecked.isNegative()) second.createTestProbe().expectNoMessage(untilChecked);
      Conversation.State after1 = conversation(second, d2, C1);
      assertTrue(after1.round().lapsedAgents().contains(before1.agentId()), "c1 re-routed after its window: " + after1);
      // waitingSince is when the re-route happened: at the original deadline, not when we looked.
      assertFalse(after1.round().waitingSince().isBefore(deadline1), "re-routed at " + after1.round().waitingSince()
          + ", before its deadline " + deadline1);
      assertTrue(after1.round().waitingSince().isBefore(deadline1.plusSeconds(2)), "re-routed at " + after1.round().waitingSince()
          + ", long after its deadline " + deadline1 + ": the entity was not running");
      assertNoDoubleAssignmentOrLeakedCapacity(second, d2);
    } finally {
      second.shutdownTestKit();
    }
  }

  @Test
  void aPassivatedConversationIsWokenForItsReplyWindow() {
    StoreSettings store = freshStore();
    ActorTestKit kit = start(store);
    try {
      Directory d = RouterCore.init(kit.system());
      traffic(kit, d, REPLY_WINDOW);
      Conversation.State before = conversation(kit, d, C1);
      Instant deadline = before.replyDeadline();
      // Settled, its deadline beyond min-sleep: it stops after a second without messages.
      kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
        assertFalse(runningConversations(kit).contains(C1), "c1 passivated");
        return null;
      });
      Duration untilChecked = Duration.between(Instant.now(), deadline.plusSeconds(3));
      if (!untilChecked.isNegative()) kit.createTestProbe().expectNoMessage(untilChecked);
      Conversation.State after = conversation(kit, d, C1);
      assertTrue(after.round().lapsedAgents().contains(before.agentId()), "c1 re-routed after its window: " + after);
      assertFalse(after.round().waitingSince().isBefore(deadline), "re-routed at " + after.round().waitingSince()
          + ", before its deadline " + deadline);
      assertTrue(after.round().waitingSince().isBefore(deadline.plusSeconds(2)), "re-routed at " + after.round().waitingSince()
          + ", long after its deadline " + deadline + ": nothing woke it");
      assertNoDoubleAssignmentOrLeakedCapacity(kit, d);
    } finally {
      kit.shutdownTestKit();
    }
  }

  /** Every agent holds exactly what is assigned to it, within its capacity of one. */
  private static void assertNoDoubleAssignmentOrLeakedCapacity(ActorTestKit kit, Directory d) {
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(30), () -> {
      for (String agent : List.of(A, B, C)) {
        Agent.State s = agent(kit, d, agent);
        assertTrue(s.holds().size() <= 1, agent + " over capacity: " + s.holds());
        for (String conv : s.holds().keySet()) {
          assertEquals(agent, conversation(kit, d, conv).agentId(), conv + " held by " + agent);
        }
      }
      for (String conv : List.of(C1, C2, C3)) {
        Conversation.State cs = conversation(kit, d, conv);
        if (cs.agentId() != null) {
          assertTrue(agent(kit, d, cs.agentId()).holds().containsKey(conv), conv + " not held by " + cs.agentId());
        }
      }
      return null;
    });
  }
}

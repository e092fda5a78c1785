package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Outcome;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Fixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** What a client is told when an action cannot be done, and that a refused action changes nothing. */
class RefusalsTest {
  static final Fixture f = new Fixture();

  static final Duration REPLY_WINDOW = Duration.ofMinutes(5);

  @AfterAll
  static void close() {
    f.close();
  }

  @Test
  void whenTwoAgentsClaimTheSameWaitingConversationExactlyOneWinsAndTheOtherIsToldItIsAlreadyAssigned() {
    f.onlineAgent("ref1/a", 2);
    f.onlineAgent("ref1/b", 2);
    f.configure("ref1/pool", TeamConfig.of(List.of("ref1/a", "ref1/b"), StrategyKind.MANUAL, REPLY_WINDOW));
    f.awaitOnline("ref1/pool", "ref1/a", "ref1/b");
    String c = Fixture.conv("ref1", "1");
    assertTrue(f.inbound(c, "m1", "ref1/pool").ok());
    f.awaitQueued("ref1/pool", c, "waiting_in_pool");

    TestProbe<Outcome> forA = f.testKit.createTestProbe(Outcome.class);
    TestProbe<Outcome> forB = f.testKit.createTestProbe(Outcome.class);
    f.directory.agent("ref1/a", new Agent.Claim(c, forA.ref()));
    f.directory.agent("ref1/b", new Agent.Claim(c, forB.ref()));
    Outcome a = forA.expectMessageClass(Outcome.class, Duration.ofSeconds(10));
    Outcome b = forB.expectMessageClass(Outcome.class, Duration.ofSeconds(10));

    assertNotEquals(a.ok(), b.ok(), "exactly one claim wins: " + a + " / " + b);
    String winner = a.ok() ? "ref1/a" : "ref1/b";
    String loser = a.ok() ? "ref1/b" : "ref1/a";
    assertEquals("already_assigned", (a.ok() ? b : a).code());
    f.awaitAssigned(c, winner);
    f.eventually(() -> assertTrue(f.agent(loser).state().holds().isEmpty(), "the loser keeps no reservation"));
    f.eventually(() -> assertFalse(f.inQueue("ref1/pool", c)));
  }

  @Test
  void claimIsRefusedWhenTheAgentIsAtCapacity() {
    f.onlineAgent("ref2/a", 1);
    f.configure("ref2/pool", TeamConfig.of(List.of("ref2/a"), StrategyKind.MANUAL, REPLY_WINDOW));
    String c1 = Fixture.conv("ref2", "1");
    String c2 = Fixture.conv("ref2", "2");
    assertTrue(f.inbound(c1, "m1", "ref2/pool").ok());
    assertTrue(f.inbound(c2, "m2", "ref2/pool").ok());
    f.awaitQueued("ref2/pool", c1, "waiting_in_pool");
    f.awaitQueued("ref2/pool", c2, "waiting_in_pool");
    assertTrue(f.claim("ref2/a", c1).ok());

    Outcome refused = f.claim("ref2/a", c2);
    assertFalse(refused.ok());
    assertEquals("capacity_full", refused.code());
    assertEquals(Conversation.Status.WAITING, f.conversation(c2).state().status());
    assertTrue(f.inQueue("ref2/pool", c2), "the conversation still waits in the pool");
    assertEquals(Set.of(c1), f.agent("ref2/a").state().holds().keySet());
  }

  @Test
  void claimIsRefusedWhenTheAgentIsOffline() {
    f.profile("ref3/a", AgentProfile.withCapacity(3)); // never set online
    f.configure("ref3/pool", TeamConfig.of(List.of("ref3/a"), StrategyKind.MANUAL, REPLY_WINDOW));
    String c = Fixture.conv("ref3", "1");
    assertTrue(f.inbound(c, "m1", "ref3/pool").ok());
    f.awaitQueued("ref3/pool", c, "waiting_in_pool");

    Outcome refused = f.claim("ref3/a", c);
    assertFalse(refused.ok());
    assertEquals("agent_offline", refused.code());
    assertEquals(Conversation.Status.WAITING, f.conversation(c).state().status());
    assertTrue(f.agent("ref3/a").state().holds().isEmpty());
  }

  @Test
  void replyByAnAgentWhoIsNotAssignedIsRefused() {
    f.onlineAgent("ref4/a", 2);
    f.onlineAgent("ref4/b", 2); // online, but not in the team
    f.configure("ref4/sales", TeamConfig.of(List.of("ref4/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("ref4/sales", "ref4/a");
    String c = Fixture.conv("ref4", "1");
    assertTrue(f.inbound(c, "m1", "ref4/sales").ok());
    f.awaitAssigned(c, "ref4/a");

    Outcome refused = f.reply(c, "ref4/b", false);
    assertFalse(refused.ok());
    assertEquals("not_assigned", refused.code());
    Conversation.State s = f.conversation(c).state();
    assertFalse(s.answered(), "a refused reply does not count as an answer");
    assertNotNull(s.replyDeadline(), "the assigned agent's reply window still runs");
  }

  @Test
  void replyToAConversationStillWaitingForAnAgentIsRefused() {
    f.profile("ref5/a", AgentProfile.withCapacity(2));
    f.configure("ref5/sales", TeamConfig.of(List.of("ref5/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    String c = Fixture.conv("ref5", "1");
    assertTrue(f.inbound(c, "m1", "ref5/sales").ok());
    f.awaitQueued("ref5/sales", c, "no_agent_available");

    assertEquals("not_assigned", f.reply(c, "ref5/a", false).code());
  }

  @Test
  void resolvingAnAlreadyResolvedConversationIsRefused() {
    f.onlineAgent("ref6/a", 2);
    f.configure("ref6/sales", TeamConfig.of(List.of("ref6/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("ref6/sales", "ref6/a");
    String c = Fixture.conv("ref6", "1");
    assertTrue(f.inbound(c, "m1", "ref6/sales").ok());
    f.awaitAssigned(c, "ref6/a");
    assertTrue(f.resolve(c).ok());

    Outcome again = f.resolve(c);
    assertFalse(again.ok());
    assertEquals("not_open", again.code());
    assertEquals(Conversation.Status.RESOLVED, f.conversation(c).state().status());
    f.eventually(() -> assertTrue(f.agent("ref6/a").state().holds().isEmpty()));
  }

  @Test
  void transferToAnAgentAtCapacityIsRefusedAndTheConversationStaysWithItsAgent() {
    f.onlineAgent("ref7/a", 2);
    f.onlineAgent("ref7/b", 1);
    f.configure("ref7/sales", TeamConfig.of(List.of("ref7/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.configure("ref7/support", TeamConfig.of(List.of("ref7/b"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("ref7/sales", "ref7/a");
    f.awaitOnline("ref7/support", "ref7/b");
    String mine = Fixture.conv("ref7", "1");
    String bFull = Fixture.conv("ref7", "2");
    assertTrue(f.inbound(bFull, "m0", "ref7/support").ok());
    f.awaitAssigned(bFull, "ref7/b");
    assertTrue(f.inbound(mine, "m1", "ref7/sales").ok());
    f.awaitAssigned(mine, "ref7/a");

    Outcome refused = f.transferToAgent(mine, "ref7/b");
    assertFalse(refused.ok());
    assertEquals("capacity_full", refused.code());

    Conversation.State s = f.conversation(mine).state();
    assertEquals(Conversation.Status.ASSIGNED, s.status());
    assertEquals("ref7/a", s.agentId());
    assertTrue(f.agent("ref7/a").state().holds().containsKey(mine));
    assertEquals(Set.of(bFull), f.agent("ref7/b").state().holds().keySet());
    assertTrue(f.reply(mine, "ref7/a", false).ok(), "the agent can still answer it");
  }

  @Test
  void transferToAnOfflineAgentIsRefused() {
    f.onlineAgent("ref8/a", 2);
    f.profile("ref8/b", AgentProfile.withCapacity(2));
    f.configure("ref8/sales", TeamConfig.of(List.of("ref8/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("ref8/sales", "ref8/a");
    String c = Fixture.conv("ref8", "1");
    assertTrue(f.inbound(c, "m1", "ref8/sales").ok());
    f.awaitAssigned(c, "ref8/a");

    assertEquals("agent_offline", f.transferToAgent(c, "ref8/b").code());
    assertEquals("ref8/a", f.conversation(c).state().agentId());
  }

  @Test
  void inboundOfABrandNewConversationWithNoTeamIsRefusedAndNothingIsStored() {
    String c = Fixture.conv("ref9", "1");

    Outcome refused = f.inbound(c, "m1", RoutingHint.toTeam(null));
    assertFalse(refused.ok());
    assertEquals("no_route", refused.code());
    Conversation.State s = f.conversation(c).state();
    assertEquals(Conversation.Status.NEW, s.status());
    assertEquals(0, s.contact().messages());
  }

  @Test
  void duplicateMessageIdIsAcceptedButStoredOnce() {
    f.onlineAgent("ref10/a", 2);
    f.configure("ref10/sales", TeamConfig.of(List.of("ref10/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("ref10/sales", "ref10/a");
    String c = Fixture.conv("ref10", "1");

    assertTrue(f.inbound(c, "m1", "ref10/sales").ok());
    assertTrue(f.inbound(c, "m1", "ref10/sales").ok(), "a redelivered webhook is acknowledged again");
    assertEquals(1, f.conversation(c).state().contact().messages());
    f.awaitAssigned(c, "ref10/a");
    assertEquals(Map.of("whatsapp", 1), f.agent("ref10/a").state().load());

    assertTrue(f.inbound(c, "m2", "ref10/sales").ok());
    assertEquals(2, f.conversation(c).state().contact().messages(), "a new message id is stored");
  }

  // ---- helpers ----

}

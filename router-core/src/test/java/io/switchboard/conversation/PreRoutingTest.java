package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.agent.Agent;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Fixture;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * An opening message is routed before it is stored: when an agent takes it, the message and its
 * assignment are one write of the conversation (and the agent's reservation the only other), and
 * the sender's answer comes once both are stored. When nobody can take it, it is stored alone and
 * waits as usual; a follow-up message is stored at once.
 */
class PreRoutingTest {
  static final Fixture f = new Fixture();
  static final PersistenceTestKit journal = PersistenceTestKit.create(f.testKit.system());

  @AfterAll
  static void close() {
    f.close();
  }

  private static List<Class<?>> eventsOf(String entityType, String id) {
    return journal.persistedInStorage(entityType + "|" + id).stream().<Class<?>>map(Object::getClass).toList();
  }

  @Test
  void anOpeningMessageAndItsAssignmentAreOneWriteAnsweredOnceStored() {
    String a = "pr1/a", team = "pr1/sales";
    f.onlineAgent(a, 2);
    f.configure(team, TeamConfig.of(List.of(a), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5)));
    f.awaitOnline(team, a);
    String c = Fixture.conv("pr1", "c1");

    assertTrue(f.inbound(c, "m1", team).ok());
    // answered after the one write: the conversation is assigned by then, the agent granted it in memory before
    Conversation.State s = f.conversation(c).state();
    assertEquals(Conversation.Status.ASSIGNED, s.status());
    assertEquals(a, s.agentId());
    assertEquals(List.of(Conversation.MessageReceived.class, Conversation.Assigned.class),
        eventsOf("Conversation", c));
    assertFalse(eventsOf("Agent", a).contains(Agent.Reserved.class), "the conversation's write is the only one");
    assertEquals(s.hold(), f.agent(a).state().hold(c).hold(), "the agent counts it from the grant on");
    f.advance(f.settings.confirmFlushInterval());
    f.eventually(() -> assertTrue(eventsOf("Agent", a).contains(Agent.HoldsRecorded.class), "recorded in a batch"));
    assertTrue(f.team(team).queue().isEmpty());
    assertEquals(1, f.observed.of("assigned " + c + " " + a + " ").size(), "the assignment was observed once");

    // a follow-up is stored at once, alone
    assertTrue(f.inbound(c, "m2", team).ok());
    assertEquals(List.of(Conversation.MessageReceived.class, Conversation.Assigned.class,
        Conversation.MessageReceived.class), eventsOf("Conversation", c));
  }

  @Test
  void anOpeningMessageNobodyCanTakeIsStoredAloneAndWaitsInTheQueue() {
    String a = "pr2/a", team = "pr2/sales";
    f.onlineAgent(a, 1);
    f.configure(team, TeamConfig.of(List.of(a), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5)));
    f.awaitOnline(team, a);
    String c1 = Fixture.conv("pr2", "c1"), c2 = Fixture.conv("pr2", "c2");
    assertTrue(f.inbound(c1, "m1", team).ok());
    f.awaitAssigned(c1, a);

    assertTrue(f.inbound(c2, "m1", team).ok()); // a is full
    // stored alone; the team's answer (it queued c2) may already have added the policy it learned
    List<Class<?>> stored = eventsOf("Conversation", c2);
    assertEquals(Conversation.MessageReceived.class, stored.get(0));
    assertEquals(List.of(), stored.stream().skip(1).filter(e -> e != Conversation.PolicyLearned.class).toList(),
        "only the message was stored: " + stored);
    f.awaitQueued(team, c2, "no_agent_available");
    assertTrue(f.resolve(c1).ok());
    f.awaitAssigned(c2, a);
  }

  @Test
  void anOpeningMessageForATeamWithoutConfigurationIsStoredAndEscalatesAsBefore() {
    String c = Fixture.conv("pr3", "c1");
    assertTrue(f.inbound(c, "m1", "pr3/nobody").ok());
    f.awaitStatus(c, Conversation.Status.ESCALATED);
  }
}

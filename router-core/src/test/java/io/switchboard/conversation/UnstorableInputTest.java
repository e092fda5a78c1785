package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.HoldToken;
import io.switchboard.Outcome;
import io.switchboard.Storable;
import io.switchboard.agent.Agent;
import io.switchboard.routing.Need;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.RoutingRequest;
import io.switchboard.routing.StrategyKind;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Fixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Commands carrying text the journal cannot hold (a lone UTF-16 surrogate fails Jackson CBOR, so the
 * event would be rejected and the entity stopped): each entity refuses them before persisting, the
 * caller is answered at once, and the same entities go on routing. The journal serializes every
 * event, as the real one does; messages between actors are not serialized, as on one node.
 */
class UnstorableInputTest {
  static final Fixture f = new Fixture(com.typesafe.config.ConfigFactory.parseString(
      "pekko.actor.serialize-messages = off"));
  static final Duration AT_ONCE = Duration.ofSeconds(3);
  static final Duration REPLY_WINDOW = Duration.ofMinutes(5);

  @AfterAll
  static void close() {
    f.close();
  }

  private Outcome send(java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<Outcome>, Conversation.Command>
      command, String conversationId) {
    TestProbe<Outcome> probe = f.testKit.createTestProbe(Outcome.class);
    f.directory.conversation(conversationId, command.apply(probe.ref()));
    return probe.expectMessageClass(Outcome.class, AT_ONCE);
  }

  private static void refused(String expectedProblem, Outcome o) {
    assertFalse(o.ok(), o.toString());
    assertEquals(Storable.REFUSAL_CODE, o.code());
    assertTrue(o.message().startsWith(expectedProblem), o.message());
  }

  @Test
  void aMessageWithALoneSurrogateIsRefusedAtOnceAndTheConversationTakesTheNextMessage() {
    f.onlineAgent("un1/a", 3);
    f.configure("un1/t", TeamConfig.of(List.of("un1/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("un1/t", "un1/a");
    String c = Fixture.conv("un1", "5511");

    refused("text: lone UTF-16 surrogate at index 3", send(to -> new Conversation.Inbound("m1", "hi \ud83d",
        RoutingHint.toTeam("un1/t"), to), c));
    refused("fields[name]: NUL character at index 1", send(to -> new Conversation.Inbound("m2", "hi", RoutingHint.toTeam(
        "un1/t"), null, null, Map.of("name", "A\u0000"), to), c));
    assertEquals(Conversation.Status.NEW, f.conversation(c).state().status(), "nothing was stored");

    assertTrue(send(to -> new Conversation.Inbound("m3", "olá 😀 こんにちは", RoutingHint.toTeam("un1/t"), null, null,
        Map.of("name", "José 😀"), to), c).ok());
    f.awaitAssigned(c, "un1/a");
    assertEquals("José 😀", f.conversation(c).state().contactFields().get("name"), "4-byte characters kept");
    // an agent's reply and a resolve carrying poison are refused too; the assignment stands
    refused("agentId: lone UTF-16 surrogate", send(to -> new Conversation.AgentReply("un1/a\ude00", "x", false, to), c));
    refused("requestedBy: NUL character", send(to -> new Conversation.Resolve("un1/\u0000", to), c));
    assertEquals(Conversation.Status.ASSIGNED, f.conversation(c).state().status());
    assertTrue(f.resolve(c).ok());
  }

  @Test
  void aContactIdThatCannotBeStoredNeverReachesTheTeamOrTheAgent() {
    f.onlineAgent("un2/a", 3);
    f.configure("un2/t", TeamConfig.of(List.of("un2/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("un2/t", "un2/a");
    String poisoned = Fixture.conv("un2", "55\ud83d");

    refused("conversation id: lone UTF-16 surrogate at index 15", send(to -> new Conversation.Inbound("m1", "hi",
        RoutingHint.toTeam("un2/t"), to), poisoned));
    refused("conversationId: lone UTF-16 surrogate", f.claim("un2/a", poisoned));
    assertTrue(f.agent("un2/a").state().holds().isEmpty());

    String c = Fixture.conv("un2", "55😀");
    assertTrue(f.inbound(c, "m2", "un2/t").ok());
    f.awaitAssigned(c, "un2/a");
  }

  @Test
  void anAgentAndATeamToldOfAPoisonedConversationByAnotherEntityRefuseItAndGoOnRouting() {
    f.onlineAgent("un3/a", 1);
    f.configure("un3/t", TeamConfig.of(List.of("un3/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW));
    f.awaitOnline("un3/t", "un3/a");
    String poisoned = "un3/whatsapp:\ude00";
    RoutingRequest request = new RoutingRequest(poisoned, 1, 0, Need.of("whatsapp"), Fixture.START);

    // what a team would send the agent, and what a conversation would send the team (which would queue it)
    f.directory.agent("un3/a", new Agent.Offer(request, HoldToken.round(1), "un3/t", null, false, null));
    f.presence("un3/a", io.switchboard.routing.Presence.AWAY);
    f.directory.team("un3/t", new Team.RequestAgent(request));
    f.directory.team("un3/t", new Team.ProbeAgent(request));
    assertTrue(f.agent("un3/a").state().holds().isEmpty(), "the agent reserved nothing");
    assertTrue(f.team("un3/t").queue().isEmpty(), "the team queued nothing");

    // both entities are alive and route the next conversation
    f.presence("un3/a", io.switchboard.routing.Presence.ONLINE);
    f.awaitOnline("un3/t", "un3/a");
    String c = Fixture.conv("un3", "1");
    assertTrue(f.inbound(c, "m1", "un3/t").ok());
    f.awaitAssigned(c, "un3/a");
  }

  @Test
  void aProfileOrATeamConfigurationThatCannotBeStoredIsRefused() {
    refused("profile.skills key: lone UTF-16 surrogate", f.profile("un4/a",
        new io.switchboard.agent.AgentProfile(Map.of("*", 2), Map.of("\ud83d", 1), null, null)));
    refused("config.members[0]: NUL character", f.configureTeam("un4/t",
        TeamConfig.of(List.of("un4/\u0000"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW)));
    f.onlineAgent("un4/a", 1);
    assertTrue(f.configureTeam("un4/t", TeamConfig.of(List.of("un4/a"), StrategyKind.ROUND_ROBIN, REPLY_WINDOW)).ok());
  }
}

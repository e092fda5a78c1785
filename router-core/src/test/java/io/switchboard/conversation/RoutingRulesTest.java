package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.switchboard.Outcome;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.StrategyKind;
import io.switchboard.routing.rules.RoutingRules;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Fixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** An opening message routed by the tenant's rules, through the entities: team, pool, agents, fields, reasons. */
class RoutingRulesTest {
  static final Fixture f = new Fixture();
  static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

  @AfterAll
  static void close() {
    f.close();
  }

  static RoutingRules rules(String json) {
    try {
      return JSON.readValue(json, RoutingRules.class);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Outcome inbound(String conv, String id, String text, RoutingHint hint, RoutingRules rules,
      Map<String, String> fields) {
    return f.ask(r -> f.directory.conversation(conv, new Conversation.Inbound(id, text, hint, null, rules, fields, r)));
  }

  static void teams(String tenant, String... names) {
    for (String n : names) {
      f.onlineAgent(tenant + "/" + n + "-agent", 5);
      f.configure(tenant + "/" + n, TeamConfig.of(List.of(tenant + "/" + n + "-agent"), StrategyKind.ROUND_ROBIN,
          Duration.ZERO));
      f.awaitOnline(tenant + "/" + n, tenant + "/" + n + "-agent");
    }
  }

  static final RoutingRules SALES_OR_SUPPORT = rules("""
      {"rules": [
        {"name": "buyers", "when": {"type": "keyword", "words": ["buy", "price"]},
         "then": [{"type": "setPriority", "priority": 10}, {"type": "tag", "tags": ["lead"]}, {"type": "team", "team": "sales"}]},
        {"name": "else", "when": {"type": "always"}, "then": [{"type": "team", "team": "support"}]}]}""");

  @Test
  void theFirstMatchingRuleDecidesTheTeamPriorityAndTagsAndTheElseRuleTakesTheRest() {
    teams("rr1", "sales", "support");
    String buyer = Fixture.conv("rr1", "1");
    String other = Fixture.conv("rr1", "2");
    assertTrue(inbound(buyer, "m1", "What is the PRICE of plan B?", RoutingHint.toTeam("rr1/support"),
        SALES_OR_SUPPORT, null).ok());
    assertTrue(inbound(other, "m2", "my app crashes", RoutingHint.toTeam(null), SALES_OR_SUPPORT, null).ok());
    f.awaitAssigned(buyer, "rr1/sales-agent");
    f.awaitAssigned(other, "rr1/support-agent");
    Conversation.State b = f.conversation(buyer).state();
    assertEquals(10, b.priority());
    assertEquals(Set.of("lead"), b.contact().tags());
    Conversation.State o = f.conversation(other).state();
    assertEquals(0, o.priority());
  }

  @Test
  void aPoolRuleLeavesTheConversationForAClaimEvenInARoundRobinTeam() {
    teams("rr2", "concierge");
    String c = Fixture.conv("rr2", "1");
    assertTrue(inbound(c, "m1", "hi", null, rules("""
        {"rules": [{"name": "else", "when": {"type": "always"}, "then": [{"type": "pool", "team": "concierge"}]}]}"""),
        null).ok());
    f.awaitQueued("rr2/concierge", c, "waiting_in_pool");
    f.advance(Duration.ofSeconds(10));
    assertEquals(Conversation.Status.WAITING, f.conversation(c).state().status(), "nobody is offered it");
    assertTrue(f.claim("rr2/concierge-agent", c).ok());
    f.awaitAssigned(c, "rr2/concierge-agent");
  }

  @Test
  void fieldsFromTheChannelAndTheRulesAreRememberedForTheNextConversation() {
    teams("rr3", "english", "spanish");
    RoutingRules language = rules("""
        {"rules": [
          {"name": "spanish", "when": {"type": "language", "languages": ["es"]},
           "then": [{"type": "setFields", "fields": {"language": "es"}}, {"type": "team", "team": "spanish"}]},
          {"name": "else", "when": {"type": "always"}, "then": [{"type": "team", "team": "english"}]}]}""");
    String c = Fixture.conv("rr3", "1");
    assertTrue(inbound(c, "m1", "hola", new RoutingHint(null, 0, Map.of(), "es"), language,
        Map.of("name", "Lucía")).ok());
    f.awaitAssigned(c, "rr3/spanish-agent");
    assertEquals(Map.of("name", "Lucía", "language", "es"), f.conversation(c).state().contactFields());
    assertTrue(f.resolve(c).ok());
    // the next conversation carries no language hint: the remembered field decides
    assertTrue(inbound(c, "m2", "otra pregunta", null, language, null).ok());
    f.awaitAssigned(c, "rr3/spanish-agent");
    assertEquals(2, f.conversation(c).state().contact().episodes());
  }

  @Test
  void aReturningContactGoesBackToItsPreviousAgentAndANamedAgentIsPreferred() {
    f.onlineAgent("rr4/ana", 3);
    f.onlineAgent("rr4/bia", 3);
    f.configure("rr4/desk", TeamConfig.of(List.of("rr4/ana", "rr4/bia"), StrategyKind.ROUND_ROBIN, Duration.ZERO));
    f.awaitOnline("rr4/desk", "rr4/ana", "rr4/bia");
    RoutingRules returning = rules("""
        {"rules": [
          {"name": "vip", "when": {"type": "keyword", "words": ["vip"]},
           "then": [{"type": "agent", "agent": "bia", "fallbackTeam": "desk"}]},
          {"name": "returning", "when": {"type": "contact", "is": "returning"}, "then": [{"type": "previousAgent", "team": "desk"}]},
          {"name": "else", "when": {"type": "always"}, "then": [{"type": "team", "team": "desk"}]}]}""");
    String c = Fixture.conv("rr4", "1");
    assertTrue(inbound(c, "m1", "hello", null, returning, null).ok());
    String first = f.awaitAnyAgent(c);
    assertTrue(f.resolve(c).ok());
    assertTrue(inbound(c, "m2", "me again", null, returning, null).ok());
    f.awaitAssigned(c, first);
    assertTrue(f.conversation(c).state().reason() == null || !f.conversation(c).state().reason().isEmpty());

    String v = Fixture.conv("rr4", "2");
    assertTrue(inbound(v, "m3", "I am a VIP", null, returning, null).ok());
    f.awaitAssigned(v, "rr4/bia");
  }

  static final String MENU = """
      {"rules": [
        {"name": "residential", "when": {"type": "field", "name": "segment", "op": "equals", "values": ["residential"]},
         "then": [{"type": "team", "team": "residential"}]},
        {"name": "luxury", "when": {"type": "field", "name": "segment", "op": "equals", "values": ["luxury"]},
         "then": [{"type": "team", "team": "luxury"}]},
        {"name": "menu", "when": {"type": "field", "name": "segment", "op": "missing"},
         "then": [{"type": "ask", "id": "segment-menu", "field": "segment", "text": "Residential or Luxury?",
                   "options": [{"id": "residential", "title": "Residential"}, {"id": "luxury", "title": "Luxury"}],
                   "maxAttempts": 3, "timeout": "PT5M", "fallback": {"type": "team", "team": "residential"}}]},
        {"name": "else", "when": {"type": "always"}, "then": [{"type": "team", "team": "residential"}]}]}""";

  @Test
  void aMenuQuestionIsSentTheAnswerRoutesAndAWrongAnswerOrATimeoutAsksAgain() {
    teams("rs1", "residential", "luxury");
    RoutingRules menu = rules(MENU);
    String c = Fixture.conv("rs1", "1");
    assertTrue(inbound(c, "m1", "I want to buy a flat", null, menu, null).ok());
    f.awaitStatus(c, Conversation.Status.ROUTING);
    f.eventually(() -> assertEquals(1, f.ports.sentTo(c).size()));
    assertEquals("Residential or Luxury?", f.ports.sentTo(c).get(0).text());
    assertEquals(2, f.ports.sentTo(c).get(0).options().size());

    assertTrue(inbound(c, "m2", "a castle", null, menu, null).ok()); // not an option: asked again
    f.eventually(() -> assertEquals(2, f.ports.sentTo(c).size()));
    assertTrue(f.ports.sentTo(c).get(1).text().endsWith("Residential or Luxury?"), f.ports.sentTo(c).get(1).text());
    f.advance(Duration.ofMinutes(5)); // no answer in time: asked a third time
    f.eventually(() -> assertEquals(3, f.ports.sentTo(c).size()));
    assertEquals(Conversation.Status.ROUTING, f.conversation(c).state().status());

    assertTrue(inbound(c, "m3", "2", null, menu, null).ok()); // the second option, by its number
    f.awaitAssigned(c, "rs1/luxury-agent");
    Conversation.State s = f.conversation(c).state();
    assertEquals("luxury", s.contactFields().get("segment"));
    assertTrue(s.round().routedBy().contains("luxury"), s.round().routedBy());
  }

  @Test
  void afterTheLastFailedAttemptTheQuestionsFallbackTakesIt() {
    teams("rs2", "support");
    f.onlineAgent("rs2/manager", 3);
    RoutingRules email = rules("""
        {"rules": [
          {"name": "ask-email", "when": {"type": "field", "name": "email", "op": "missing"},
           "then": [{"type": "ask", "id": "ask-email", "field": "email", "text": "Your email?",
                     "validator": {"kind": "email"}, "maxAttempts": 3, "timeout": "PT10M",
                     "fallback": {"type": "agent", "agent": "manager", "fallbackTeam": "support"}}]},
          {"name": "else", "when": {"type": "always"}, "then": [{"type": "team", "team": "support"}]}]}""");
    f.configure("rs2/support", TeamConfig.of(List.of("rs2/support-agent", "rs2/manager"), StrategyKind.ROUND_ROBIN,
        Duration.ZERO));
    f.awaitOnline("rs2/support", "rs2/support-agent", "rs2/manager");
    String c = Fixture.conv("rs2", "1");
    assertTrue(inbound(c, "m1", "hi", null, email, null).ok());
    f.awaitStatus(c, Conversation.Status.ROUTING);
    for (int i = 0; i < 3; i++) assertTrue(inbound(c, "bad" + i, "not an email " + i, null, email, null).ok());
    f.awaitAssigned(c, "rs2/manager");
    assertTrue(f.conversation(c).state().round().routedBy().contains("fallback"), f.conversation(c).state().round().routedBy());
    assertEquals(3, f.ports.sentTo(c).size(), "asked, then asked again twice; the third wrong answer gives up");
  }

  @Test
  void aCrmLookupMapsFieldsThatTheRulesRouteOnAndAFailedOneTakesItsFallback() {
    teams("rs3", "vip", "support");
    RoutingRules crm = rules("""
        {"rules": [
          {"name": "lookup", "when": {"type": "all", "of": [{"type": "field", "name": "email", "op": "present"},
                                                            {"type": "field", "name": "tier", "op": "missing"}]},
           "then": [{"type": "lookup", "id": "crm", "method": "GET", "url": "https://crm.example.com/c?email={{email}}",
                     "timeout": "PT3S", "map": {"tier": "$.tier"}, "fallback": {"type": "team", "team": "support"}}]},
          {"name": "vip", "when": {"type": "field", "name": "tier", "op": "equals", "values": ["VIP"]},
           "then": [{"type": "setPriority", "priority": 50}, {"type": "team", "team": "vip"}]},
          {"name": "else", "when": {"type": "always"}, "then": [{"type": "team", "team": "support"}]}]}""");
    f.ports.answer("crm", io.switchboard.RoutingPorts.LookupResult.of(Map.of("tier", "VIP")));
    String vip = Fixture.conv("rs3", "1");
    assertTrue(inbound(vip, "m1", "hello", null, crm, Map.of("email", "ana@example.com")).ok());
    f.awaitAssigned(vip, "rs3/vip-agent");
    assertEquals(50, f.conversation(vip).state().priority());

    f.ports.answer("crm", io.switchboard.RoutingPorts.LookupResult.failed("503 from the CRM"));
    String down = Fixture.conv("rs3", "2");
    assertTrue(inbound(down, "m2", "hello", null, crm, Map.of("email", "bo@example.com")).ok());
    f.awaitAssigned(down, "rs3/support-agent");
    assertTrue(f.conversation(down).state().round().routedBy().contains("503"), f.conversation(down).state().round().routedBy());
  }

  @Test
  void aLookupThatNeverAnswersFallsBackAtItsDeadline() {
    teams("rs4", "support");
    RoutingRules crm = rules("""
        {"rules": [
          {"name": "lookup", "when": {"type": "field", "name": "tier", "op": "missing"},
           "then": [{"type": "lookup", "id": "slow-crm", "method": "GET", "url": "https://crm.example.com/c",
                     "timeout": "PT3S", "map": {"tier": "$.tier"}, "fallback": {"type": "team", "team": "support"}}]},
          {"name": "else", "when": {"type": "always"}, "then": [{"type": "team", "team": "support"}]}]}""");
    String c = Fixture.conv("rs4", "1");
    assertTrue(inbound(c, "m1", "hello", null, crm, null).ok());
    f.awaitStatus(c, Conversation.Status.ROUTING);
    f.advance(Duration.ofSeconds(3));
    f.awaitAssigned(c, "rs4/support-agent");
    assertTrue(f.conversation(c).state().round().routedBy().contains("timed out"), f.conversation(c).state().round().routedBy());
  }

  @Test
  void withoutRulesAndWithoutATeamTheMessageIsRefusedWithAReason() {
    Outcome o = inbound(Fixture.conv("rr6", "1"), "m1", "hi", null, null, null);
    assertEquals("no_route", o.code());
  }
}

package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.TestGateway.Answer;
import io.switchboard.gateway.outbound.Receiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reference scenarios of the routing rules end to end through the API, each with its example file
 * from {@code examples/rules/} as a user would load it: a tenant, its teams and agents, the rules
 * (PUT), messages in, and where each conversation went and why.
 */
class RulesScenariosTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = new TestGateway("");
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  /** A tenant with {@code teams} (team → its online members) and the example's rules in force. */
  static String tenant(String name, String example, Map<String, List<String>> teams) throws Exception {
    String key = gw.tenant(name, Map.of());
    teams.values().stream().flatMap(List::stream).distinct().forEach(agent -> {
      assertEquals(200, gw.call("PUT", "/v1/tenants/" + name + "/agents/" + agent, key,
          Map.of("capacity", Map.of("*", 5))).status());
      assertEquals(200, gw.call("PUT", "/v1/tenants/" + name + "/agents/" + agent + "/presence", key,
          Map.of("presence", "ONLINE")).status());
    });
    teams.forEach((team, members) -> assertEquals(200, gw.call("PUT", "/v1/tenants/" + name + "/teams/" + team, key,
        Map.of("members", members, "strategy", "ROUND_ROBIN")).status()));
    eventually(() -> teams.forEach((team, members) -> assertEquals(members.size(),
        gw.call("GET", "/v1/tenants/" + name + "/teams/" + team, key, null).body().get("memberStatus").size())));
    String rules = Files.readString(Path.of("..", "examples", "rules", example));
    Answer put = gw.call("PUT", "/v1/tenants/" + name + "/rules", key, rules);
    assertEquals(200, put.status(), put.raw());
    return key;
  }

  static void message(String tenant, String key, String contact, String id, String text, String language) {
    Map<String, Object> m = new HashMap<>(Map.of("channel", "webchat", "contact", contact, "messageId", id,
        "text", text));
    if (language != null) m.put("language", language);
    Answer a = gw.call("POST", "/v1/tenants/" + tenant + "/messages", key, m);
    assertEquals(202, a.status(), a.raw());
  }

  static Answer conversation(String tenant, String key, String contact) {
    return gw.call("GET", "/v1/tenants/" + tenant + "/conversations/webchat:" + contact, key, null);
  }

  static void eventually(Runnable check) {
    TestProbe.create(gw.gateway.system()).awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      check.run();
      return null;
    });
  }

  static void routedTo(String tenant, String key, String contact, String team, String agent) {
    eventually(() -> {
      Answer c = conversation(tenant, key, contact);
      assertEquals(team, c.text("team"), c.raw());
      assertEquals(agent, c.text("agent"), c.raw());
    });
  }

  @Test
  void scenario01EverythingGoesToTheRoundRobinTeam() throws Exception {
    String k = tenant("s01", "01-round-robin.json", Map.of("sales", List.of("ann", "bob")));
    message("s01", k, "c1", "m1", "hello", null);
    message("s01", k, "c2", "m2", "hi there", null);
    routedTo("s01", k, "c1", "sales", "ann");
    routedTo("s01", k, "c2", "sales", "bob");
  }

  @Test
  void scenario03CherryPickThePoolHasNoAutoAssignment() throws Exception {
    String k = tenant("s03", "03-cherry-pick-pool.json", Map.of("concierge", List.of("cat", "dan")));
    message("s03", k, "c1", "m1", "I need a table for two", null);
    eventually(() -> {
      Answer c = conversation("s03", k, "c1");
      assertEquals("WAITING", c.text("status"), c.raw());
      assertEquals("waiting_in_pool", c.text("waitingBecause"), c.raw());
    });
    Answer claim = gw.call("POST", "/v1/tenants/s03/agents/dan/claims", k, Map.of("conversation", "webchat:c1"));
    assertEquals(200, claim.status(), claim.raw());
    routedTo("s03", k, "c1", "concierge", "dan");
  }

  @Test
  void scenario05LanguageRoutingIsRememberedForTheNextConversation() throws Exception {
    String k = tenant("s05", "05-language.json", Map.of("english", List.of("eve"), "spanish", List.of("sol")));
    message("s05", k, "c1", "m1", "hola, necesito ayuda", "es");
    message("s05", k, "c2", "m2", "hello, I need help", "en");
    routedTo("s05", k, "c1", "spanish", "sol");
    routedTo("s05", k, "c2", "english", "eve");
    assertEquals(200, gw.call("POST", "/v1/tenants/s05/conversations/webchat:c1/resolve", k,
        Map.of("requestedBy", "sol")).status());
    message("s05", k, "c1", "m3", "otra vez yo", null); // no language given: the remembered one decides
    routedTo("s05", k, "c1", "spanish", "sol");
  }

  @Test
  void scenario07NewContactsGoToOnboardingAndReturningOnesToTheirPreviousAgent() throws Exception {
    String k = tenant("s07", "07-new-vs-returning.json", Map.of("onboarding", List.of("ana"),
        "support", List.of("sam", "ana")));
    message("s07", k, "c1", "m1", "first time here", null);
    routedTo("s07", k, "c1", "onboarding", "ana");
    assertEquals(200, gw.call("POST", "/v1/tenants/s07/conversations/webchat:c1/resolve", k,
        Map.of("requestedBy", "ana")).status());
    message("s07", k, "c1", "m2", "back again", null);
    routedTo("s07", k, "c1", "support", "ana");
  }

  @Test
  void scenario09EnglishSalesAndSpanishSupportOnTwoConditions() throws Exception {
    String k = tenant("s09", "09-multi-condition.json", Map.of("sales-en", List.of("al"), "support-es",
        List.of("bea"), "triage", List.of("tim")));
    message("s09", k, "c1", "m1", "what is the price of the pro plan?", "en");
    message("s09", k, "c2", "m2", "tengo un problema con mi cuenta", "es");
    message("s09", k, "c3", "m3", "what is the price?", "es");
    routedTo("s09", k, "c1", "sales-en", "al");
    routedTo("s09", k, "c2", "support-es", "bea");
    routedTo("s09", k, "c3", "triage", "tim");
  }

  @Test
  void scenario10WhatNoRuleMatchesLandsWithTheSupervisorsVisiblyWithAReason() throws Exception {
    String k = tenant("s10", "10-else-supervisor.json", Map.of("billing", List.of("bil"), "supervisors",
        List.of("sup")));
    message("s10", k, "c1", "m1", "my invoice is wrong", null);
    message("s10", k, "c2", "m2", "the weather is nice", null);
    routedTo("s10", k, "c1", "billing", "bil");
    routedTo("s10", k, "c2", "supervisors", "sup");
    eventually(() -> {
      Answer rows = gw.call("GET", "/v1/tenants/s10/conversations?team=supervisors", k, null);
      String reason = rows.body().get("items").get(0).get("routedBy").asText();
      assertTrue(reason.contains("else"), rows.raw());
    });
  }

  /** The messages the channel connector was asked to send to {@code contact}. */
  static List<com.fasterxml.jackson.databind.JsonNode> sentTo(String tenant, String contact) {
    return gw.receiver.requests("/connector/messages").stream().map(r -> {
      try {
        return TestGateway.JSON.readTree(r.body());
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }).filter(j -> contact.equals(j.path("to").asText()) && tenant.equals(j.path("tenant").asText())).toList();
  }

  static void routing(String tenant, String key, String contact) {
    eventually(() -> assertEquals("ROUTING", conversation(tenant, key, contact).text("status")));
  }

  @Test
  void scenario02TheRealEstateMenuAsksAndTheAnswerPicksTheTeam() throws Exception {
    String k = tenant("s02", "02-skill-menu.json", Map.of("residential", List.of("rui"), "commercial", List.of("cid"),
        "luxury", List.of("lux"), "sales", List.of("sal")));
    message("s02", k, "c1", "m1", "hello, I am looking for a place", null);
    routing("s02", k, "c1");
    eventually(() -> assertEquals(1, sentTo("s02", "c1").size()));
    assertEquals(3, sentTo("s02", "c1").get(0).get("options").size(), sentTo("s02", "c1").get(0).toString());
    message("s02", k, "c1", "m2", "luxury", null);
    routedTo("s02", k, "c1", "luxury", "lux");
    assertEquals(20, conversation("s02", k, "c1").body().get("priority").asInt());
    assertEquals("luxury", conversation("s02", k, "c1").body().get("contactFields").get("segment").asText());
  }

  @Test
  void scenario04TheFunctionMenuSendsSalesKeywordsStraightThroughAndAsksTheRest() throws Exception {
    String k = tenant("s04", "04-function-menu.json", Map.of("sales", List.of("sue"), "support", List.of("sam")));
    message("s04", k, "c1", "m1", "what is the pricing for teams?", null);
    routedTo("s04", k, "c1", "sales", "sue");
    message("s04", k, "c2", "m2", "hello", null);
    routing("s04", k, "c2");
    eventually(() -> assertEquals(1, sentTo("s04", "c2").size()));
    message("s04", k, "c2", "m3", "Support", null);
    routedTo("s04", k, "c2", "support", "sam");
  }

  @Test
  void scenario08VipThroughARealCrmAskingForTheEmailAndFallingBackWhenTheCrmIsDown() throws Exception {
    gw.receiver.on("/crm/api/contacts", Receiver.json(200, "{\"customerType\": \"VIP\", \"id\": \"crm-42\"}"));
    gw.receiver.on("/down/api/contacts", Receiver.status(503));
    String key = gw.tenant("s08", Map.of());
    for (String agent : List.of("vic", "sup", "manager")) {
      gw.call("PUT", "/v1/tenants/s08/agents/" + agent, key, Map.of("capacity", Map.of("*", 5)));
      gw.call("PUT", "/v1/tenants/s08/agents/" + agent + "/presence", key, Map.of("presence", "ONLINE"));
    }
    gw.call("PUT", "/v1/tenants/s08/teams/vip", key, Map.of("members", List.of("vic"), "strategy", "ROUND_ROBIN"));
    gw.call("PUT", "/v1/tenants/s08/teams/support", key, Map.of("members", List.of("sup", "manager"),
        "strategy", "ROUND_ROBIN"));
    String rules = Files.readString(Path.of("..", "examples", "rules", "08-vip-crm.json"))
        .replace("https://crm.example.com", gw.receiver.url("/crm"));
    assertEquals(200, gw.call("PUT", "/v1/tenants/s08/rules", key, rules).status());

    // with an email: the CRM says VIP
    Map<String, Object> withEmail = new HashMap<>(Map.of("channel", "webchat", "contact", "c1", "messageId", "m1",
        "text", "hi", "fields", Map.of("email", "ana@example.com")));
    assertEquals(202, gw.call("POST", "/v1/tenants/s08/messages", key, withEmail).status());
    routedTo("s08", key, "c1", "vip", "vic");
    assertTrue(gw.receiver.requests("/crm/api/contacts").get(0).header("authorization").startsWith("Bearer "));

    // without: asked for it; invalid answers retried 3 times, and the 4th failure goes to the manager
    message("s08", key, "c2", "m2", "hello", null);
    routing("s08", key, "c2");
    for (int i = 0; i < 3; i++) {
      message("s08", key, "c2", "bad" + i, "my email is secret " + i, null);
      int asked = i + 2;
      eventually(() -> assertEquals(asked, sentTo("s08", "c2").size()));
      assertEquals("ROUTING", conversation("s08", key, "c2").text("status"));
    }
    message("s08", key, "c2", "bad3", "still secret", null);
    routedTo("s08", key, "c2", "support", "manager");
    assertEquals(4, sentTo("s08", "c2").size(), "asked once, retried three times: " + sentTo("s08", "c2"));

    // the CRM down: the lookup's fallback route
    assertEquals(200, gw.call("PUT", "/v1/tenants/s08/rules", key, rules.replace(gw.receiver.url("/crm"),
        gw.receiver.url("/down"))).status());
    Map<String, Object> down = new HashMap<>(withEmail);
    down.put("contact", "c3");
    down.put("messageId", "m3");
    assertEquals(202, gw.call("POST", "/v1/tenants/s08/messages", key, down).status());
    eventually(() -> {
      Answer c = conversation("s08", key, "c3");
      assertEquals("support", c.text("team"), c.raw());
      assertTrue(c.text("routedBy").contains("503"), c.raw());
    });
  }

  @Test
  void scenario01ASilentAgentsConversationMovesToTheNextAgentWhenItsReplyWindowEnds() throws Exception {
    String k = tenant("s01b", "01-round-robin.json", Map.of("sales", List.of("ann", "bob")));
    // the team's reply window (5 minutes in the scenario) is short here so the test runs in real time
    assertEquals(200, gw.call("PUT", "/v1/tenants/s01b/teams/sales", k, Map.of("members", List.of("ann", "bob"),
        "strategy", "ROUND_ROBIN", "replyWindow", "PT2S")).status());
    message("s01b", k, "c1", "m1", "hello?", null);
    routedTo("s01b", k, "c1", "sales", "ann");
    routedTo("s01b", k, "c1", "sales", "bob"); // ann stayed silent
    assertEquals(1, conversation("s01b", k, "c1").body().get("reroutes").asInt());
  }

  @Test
  void scenario03TwoAgentsClaimTheSameConversationAtOnceAndExactlyOneWins() throws Exception {
    String k = tenant("s03b", "03-cherry-pick-pool.json", Map.of("concierge", List.of("cat", "dan")));
    message("s03b", k, "c1", "m1", "a table for two, please", null);
    eventually(() -> assertEquals("waiting_in_pool", conversation("s03b", k, "c1").text("waitingBecause")));
    var claims = List.of("cat", "dan").stream().map(agent -> gw.client.sendAsync(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(gw.base() + "/v1/tenants/s03b/agents/" + agent + "/claims"))
        .header("Authorization", "Bearer " + k).header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"conversation\": \"webchat:c1\"}")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString())).toList();
    List<Integer> statuses = new java.util.ArrayList<>();
    for (var c : claims) statuses.add(c.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode());
    java.util.Collections.sort(statuses);
    assertEquals(List.of(200, 409), statuses);
    eventually(() -> {
      String winner = conversation("s03b", k, "c1").text("agent");
      assertTrue(winner.equals("cat") || winner.equals("dan"), winner);
      for (String agent : List.of("cat", "dan")) {
        int holding = gw.call("GET", "/v1/tenants/s03b/agents/" + agent, k, null).body().get("holding").size();
        assertEquals(agent.equals(winner) ? 1 : 0, holding, agent + " holds");
      }
    });
  }

  @Test
  void scenario06ShiftRoutingFollowsTheTenantsClockNow() throws Exception {
    String k = tenant("s06", "06-shifts.json", Map.of("day", List.of("dia"), "night", List.of("noa")));
    java.time.LocalTime local = java.time.ZonedDateTime.now(java.time.ZoneId.of("America/Sao_Paulo")).toLocalTime();
    // at the very edge of a shift the clock could move between here and the decision: skip those minutes
    org.junit.jupiter.api.Assumptions.assumeFalse(Math.abs(local.getHour() * 60 + local.getMinute() - 8 * 60) < 2
        || Math.abs(local.getHour() * 60 + local.getMinute() - 20 * 60) < 2);
    message("s06", k, "c1", "m1", "hello", null);
    boolean day = !local.isBefore(java.time.LocalTime.of(8, 0)) && local.isBefore(java.time.LocalTime.of(20, 0));
    routedTo("s06", k, "c1", day ? "day" : "night", day ? "dia" : "noa");
  }

  @Test
  void keywordFilterOnlyMessagesWithTheKeywordEnterTheDemoFlow() throws Exception {
    String k = tenant("skf", "keyword-filter.json", Map.of("sales", List.of("sal"), "support", List.of("sup")));
    message("skf", k, "c1", "m1", "can I get a DEMO of the product?", null);
    routing("skf", k, "c1");
    eventually(() -> assertEquals(1, sentTo("skf", "c1").size()));
    message("skf", k, "c1", "m2", "me@example.com", null);
    routedTo("skf", k, "c1", "sales", "sal");
    assertEquals("me@example.com", conversation("skf", k, "c1").body().get("contactFields").get("email").asText());
    message("skf", k, "c2", "m3", "my order has not arrived", null);
    routedTo("skf", k, "c2", "support", "sup");
  }

  @Test
  void urgentMessagesJumpAheadOfALongQueue() throws Exception {
    String k = tenant("sp", "priority.json", Map.of("support", List.of("pia")));
    assertEquals(200, gw.call("PUT", "/v1/tenants/sp/agents/pia/presence", k, Map.of("presence", "AWAY")).status());
    for (int i = 0; i < 5; i++) message("sp", k, "q" + i, "mq" + i, "a question " + i, null);
    message("sp", k, "u1", "mu1", "URGENT: my shop is down", null);
    eventually(() -> {
      Answer pool = gw.call("GET", "/v1/tenants/sp/teams/support/waiting", k, null);
      assertEquals(6, pool.body().get("items").size(), pool.raw());
      assertEquals("webchat:u1", pool.body().get("items").get(0).get("conversation").asText(), pool.raw());
      assertEquals(90, pool.body().get("items").get(0).get("priority").asInt());
    });
    // a VIP by a field the channel sends, as the rules name it
    Answer vip = gw.call("POST", "/v1/tenants/sp/messages", k, Map.of("channel", "webchat", "contact", "v1",
        "messageId", "mv1", "text", "hello", "fields", Map.of("customerType", "VIP")));
    assertEquals(202, vip.status(), vip.raw());
    eventually(() -> assertEquals(90, conversation("sp", k, "v1").body().get("priority").asInt()));
    assertEquals(200, gw.call("PUT", "/v1/tenants/sp/agents/pia/presence", k, Map.of("presence", "ONLINE")).status());
    routedTo("sp", k, "u1", "support", "pia");
  }

  /**
   * A rule's team action names skills: a skill-based team gives the conversation only to an agent who
   * has them, as it would for the message's own skills. Eight mortgage questions, each to the skilled
   * agent although the other one (first in member order) holds fewer conversations every time.
   */
  @Test
  void aTeamActionsSkillsPickTheSkilledAgentOfASkillBasedTeam() throws Exception {
    String k = gw.tenant("ssk", Map.of());
    assertEquals(200, gw.call("PUT", "/v1/tenants/ssk/agents/nia", k, Map.of("capacity", Map.of("*", 20),
        "skills", Map.of("cards", 90))).status());
    assertEquals(200, gw.call("PUT", "/v1/tenants/ssk/agents/max", k, Map.of("capacity", Map.of("*", 20),
        "skills", Map.of("mortgage", 80))).status());
    for (String a : List.of("nia", "max")) {
      assertEquals(200, gw.call("PUT", "/v1/tenants/ssk/agents/" + a + "/presence", k,
          Map.of("presence", "ONLINE")).status());
    }
    assertEquals(200, gw.call("PUT", "/v1/tenants/ssk/teams/loans", k, Map.of("members", List.of("nia", "max"),
        "strategy", "SKILL_BASED")).status());
    eventually(() -> assertEquals(2, gw.call("GET", "/v1/tenants/ssk/teams/loans", k, null).body()
        .get("memberStatus").size()));
    Answer put = gw.call("PUT", "/v1/tenants/ssk/rules", k, """
        {"rules": [
          {"name": "mortgage", "when": {"type": "keyword", "words": ["mortgage"]},
           "then": [{"type": "team", "team": "loans", "skills": {"mortgage": 50}}]},
          {"name": "else", "when": {"type": "always"}, "then": [{"type": "team", "team": "loans"}]}]}""");
    assertEquals(200, put.status(), put.raw());
    assertEquals(50, gw.call("GET", "/v1/tenants/ssk/rules", k, null).body().get("rules").get(0).get("then").get(0)
        .get("skills").get("mortgage").asInt());
    for (int i = 0; i < 8; i++) {
      message("ssk", k, "m" + i, "mm" + i, "a question about my mortgage, " + i, null);
      routedTo("ssk", k, "m" + i, "loans", "max");
    }
    // without the rule's skills the team balances by load: the next plain question goes to nia
    message("ssk", k, "p1", "mp1", "hello", null);
    routedTo("ssk", k, "p1", "loans", "nia");
  }

  /**
   * {@code maxAttempts} counts how many times the question is asked in all: with 2, a first answer that
   * is no option gets the question once more, a second one the fallback route, and nothing more is sent.
   */
  @Test
  void maxAttemptsIsHowManyTimesTheQuestionIsAskedInAll() throws Exception {
    String k = gw.tenant("sma", Map.of());
    for (String a : List.of("ted", "fia")) {
      assertEquals(200, gw.call("PUT", "/v1/tenants/sma/agents/" + a, k, Map.of("capacity", Map.of("*", 5))).status());
      assertEquals(200, gw.call("PUT", "/v1/tenants/sma/agents/" + a + "/presence", k,
          Map.of("presence", "ONLINE")).status());
    }
    assertEquals(200, gw.call("PUT", "/v1/tenants/sma/teams/tech", k, Map.of("members", List.of("ted"),
        "strategy", "ROUND_ROBIN")).status());
    assertEquals(200, gw.call("PUT", "/v1/tenants/sma/teams/front", k, Map.of("members", List.of("fia"),
        "strategy", "ROUND_ROBIN")).status());
    Answer put = gw.call("PUT", "/v1/tenants/sma/rules", k, """
        {"rules": [
          {"name": "tech", "when": {"type": "field", "name": "topic", "op": "equals", "values": ["tech"]},
           "then": [{"type": "team", "team": "tech"}]},
          {"name": "menu", "when": {"type": "field", "name": "topic", "op": "missing"},
           "then": [{"type": "ask", "id": "topic-menu", "field": "topic", "text": "Tech or other?",
                     "options": [{"id": "tech", "title": "Tech"}, {"id": "other", "title": "Other"}],
                     "maxAttempts": 2, "timeout": "PT10M", "fallback": {"type": "team", "team": "front"}}]},
          {"name": "else", "when": {"type": "always"}, "then": [{"type": "team", "team": "front"}]}]}""");
    assertEquals(200, put.status(), put.raw());
    message("sma", k, "c1", "m1", "hello", null);
    routing("sma", k, "c1");
    eventually(() -> assertEquals(1, sentTo("sma", "c1").size()));
    message("sma", k, "c1", "m2", "what?", null);
    eventually(() -> assertEquals(2, sentTo("sma", "c1").size()));
    assertEquals("ROUTING", conversation("sma", k, "c1").text("status"), "asked again: attempt 2 of 2");
    message("sma", k, "c1", "m3", "still no idea", null);
    routedTo("sma", k, "c1", "front", "fia");
    assertEquals(2, sentTo("sma", "c1").size(), "the question was asked maxAttempts times, not more");
  }
}

package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.gateway.TestGateway.Answer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who may act on a team, and what its figures mean, through the API: a team names only agents that
 * exist, presence only for an agent that exists, only a pool team's members and supervisor claim
 * its conversations; a team's own offline grace; re-routes counted the same on a conversation, in
 * the read model and in the statistics, broken down by cause.
 */
class TeamMembershipTest {
  static TestGateway gw;
  static String key;

  @BeforeAll
  static void start() {
    // a server-wide grace far longer than any wait here: a team without its own never moves during a test
    gw = new TestGateway("switchboard.core.offline-grace = 10m");
    key = gw.tenant("tm", Map.of("displayName", "Team membership"));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static Answer call(String method, String path, Object body) {
    return gw.call(method, "/v1/tenants/tm" + path, key, body);
  }

  static void error(int status, String code, Answer a) {
    assertEquals(status, a.status(), a.raw());
    assertEquals(code, a.error(), a.raw());
    assertNotNull(a.text("message"), a.raw());
  }

  static void agent(String name, boolean online) {
    Answer a = call("PUT", "/agents/" + name, Map.of("capacity", Map.of("*", 5)));
    assertEquals(200, a.status(), a.raw());
    if (online) {
      Answer p = call("PUT", "/agents/" + name + "/presence", Map.of("presence", "ONLINE"));
      assertEquals(200, p.status(), p.raw());
    }
  }

  static void team(String name, Map<String, Object> config, int members) {
    Answer t = call("PUT", "/teams/" + name, config);
    assertEquals(200, t.status(), t.raw());
    gw.eventually(() -> assertEquals(members, call("GET", "/teams/" + name, null).body().get("memberStatus").size()));
  }

  static void message(String team, String contact) {
    Map<String, Object> m = new HashMap<>(Map.of("channel", "webchat", "contact", contact, "messageId", "m-" + contact,
        "text", "hello", "team", team, "timestamp", Instant.now().toString()));
    Answer a = call("POST", "/messages", m);
    assertEquals(202, a.status(), a.raw());
  }

  static Answer conversation(String contact) {
    return call("GET", "/conversations/webchat:" + contact, null);
  }

  @Test
  void aTeamNamingAgentsNeverCreatedIsRefusedNamingThemAndChangesNothing() {
    agent("rea", false);
    Answer refused = call("PUT", "/teams/ghosts", Map.of("members", List.of("gus", "rea", "ada"),
        "strategy", "ROUND_ROBIN", "escalation", Map.of("supervisor", "sam")));
    error(422, "unknown_agents", refused);
    assertTrue(refused.text("message").contains("ada, gus, sam"), refused.raw());
    error(404, "not_found", call("GET", "/teams/ghosts", null));
    // once they exist, the same team is accepted
    for (String a : List.of("gus", "ada", "sam")) agent(a, false);
    assertEquals(200, call("PUT", "/teams/ghosts", Map.of("members", List.of("gus", "rea", "ada"),
        "strategy", "ROUND_ROBIN", "escalation", Map.of("supervisor", "sam"))).status());
  }

  @Test
  void presenceOfAnAgentNeverCreatedIsNotFoundAndCreatesNothing() {
    error(404, "agent_not_found", call("PUT", "/agents/nobody/presence", Map.of("presence", "ONLINE")));
    Answer view = call("GET", "/agents/nobody", null);
    assertEquals("OFFLINE", view.text("presence"), view.raw());
    agent("somebody", true);
    assertEquals("ONLINE", call("GET", "/agents/somebody", null).text("presence"));
  }

  @Test
  void onlyThePoolTeamsMembersAndItsSupervisorClaimItsConversations() {
    for (String a : List.of("pam", "pia", "sid", "oli")) agent(a, true);
    team("pool", Map.of("members", List.of("pam", "pia"), "strategy", "MANUAL",
        "escalation", Map.of("supervisor", "sid")), 2);
    team("other", Map.of("members", List.of("oli"), "strategy", "MANUAL"), 1);
    for (String c : List.of("p1", "p2", "p3")) message("pool", c);
    for (String c : List.of("p1", "p2", "p3")) {
      gw.eventually(() -> assertEquals("waiting_in_pool", conversation(c).text("waitingBecause"), conversation(c).raw()));
    }
    Answer outsider = call("POST", "/agents/oli/claims", Map.of("conversation", "webchat:p1"));
    error(403, "not_a_member", outsider);
    assertTrue(outsider.text("message").contains("pool"), outsider.raw());
    Answer still = conversation("p1");
    assertEquals("WAITING", still.text("status"), still.raw());
    // the refused claim's reservation was released: the outsider holds nothing
    gw.eventually(() -> assertEquals(0, call("GET", "/agents/oli", null).body().get("holding").size()));
    assertEquals(200, call("POST", "/agents/pia/claims", Map.of("conversation", "webchat:p1")).status());
    assertEquals(200, call("POST", "/agents/sid/claims", Map.of("conversation", "webchat:p2")).status());
    assertEquals(200, call("POST", "/agents/pam/claims", Map.of("conversation", "webchat:p3")).status());
    assertEquals("pia", conversation("p1").text("agent"));
    assertEquals("sid", conversation("p2").text("agent"));
    assertEquals("pam", conversation("p3").text("agent"));
  }

  @Test
  void aTeamsOfflineGraceIsItsOwnAndDefaultsToTheServersSetting() {
    agent("fay", true);
    agent("fred", false);
    team("fast", Map.of("members", List.of("fay", "fred"), "strategy", "ROUND_ROBIN", "offlineGrace", "PT1S"), 2);
    team("slow", Map.of("members", List.of("fay"), "strategy", "ROUND_ROBIN"), 1);
    assertEquals("PT1S", call("GET", "/teams/fast", null).text("offlineGrace"));
    assertEquals("PT10M", call("GET", "/teams/slow", null).text("offlineGrace"), "the server-wide default");
    error(400, "invalid_request", call("PUT", "/teams/bad", Map.of("members", List.of(), "strategy", "MANUAL",
        "offlineGrace", "-PT1S")));
    error(400, "invalid_request", call("PUT", "/teams/bad", Map.of("members", List.of(), "strategy", "MANUAL",
        "offlineGrace", "P2D")));
    message("fast", "f1");
    message("slow", "s1");
    for (String c : List.of("f1", "s1")) gw.eventually(() -> assertEquals("fay", conversation(c).text("agent")));

    Instant offline = Instant.now();
    assertEquals(200, call("PUT", "/agents/fay/presence", Map.of("presence", "OFFLINE")).status());
    gw.eventually(() -> {
      Answer f = conversation("f1");
      assertEquals("WAITING", f.text("status"), f.raw());
      assertEquals("agent_offline", f.text("reason"), f.raw());
      assertEquals(1, f.body().get("reroutes").asInt(), f.raw());
      assertEquals(1, f.body().get("reroutesByCause").get("agent_offline").asInt(), f.raw());
      assertEquals(0, f.body().get("reroutesByCause").get("reply_window_lapsed").asInt(), f.raw());
    });
    // the slow team's conversation stays with fay until the server's 10 min grace ends
    Answer s = conversation("s1");
    assertEquals("ASSIGNED", s.text("status"), s.raw());
    assertEquals("fay", s.text("agent"), s.raw());
    Instant graceEnds = Instant.parse(call("GET", "/agents/fay", null).text("offlineGraceEnds"));
    assertTrue(!graceEnds.isBefore(offline.plus(Duration.ofMinutes(10))), "next grace end " + graceEnds);
    gw.eventually(() -> {
      JsonNode fay = subject(call("GET", "/stats/agents", null), "fay");
      assertEquals(1, fay.get("reroutes").asInt(), fay.toString());
      assertEquals(1, fay.get("reroutesByCause").get("agent_offline").asInt(), fay.toString());
    });
  }

  @Test
  void reroutesCountEveryCauseAlikeOnTheConversationItsRowAndTheStatistics() {
    agent("lea", true);
    agent("lou", true);
    team("lapse", Map.of("members", List.of("lea", "lou"), "strategy", "ROUND_ROBIN", "replyWindow", "PT1S",
        "maxReroutes", 5), 2);
    message("lapse", "l1");
    // lea does not answer within 1 s, lou gets it, does not answer either, and so on: every lapse is a re-route
    gw.eventually(() -> assertTrue(conversation("l1").body().get("reroutes").asInt() >= 2, conversation("l1").raw()));
    assertEquals(200, call("POST", "/conversations/webchat:l1/resolve", Map.of("requestedBy", "lea")).status());
    Answer c = conversation("l1");
    int reroutes = c.body().get("reroutes").asInt();
    assertEquals(reroutes, c.body().get("reroutesByCause").get("reply_window_lapsed").asInt(), c.raw());
    assertEquals(0, c.body().get("reroutesByCause").get("agent_offline").asInt(), c.raw());
    gw.eventually(() -> {
      JsonNode row = call("GET", "/conversations?team=lapse", null).body().get("items").get(0);
      assertEquals("RESOLVED", row.get("status").asText(), row.toString());
      assertEquals(reroutes, row.get("reroutes").asInt(), row.toString());
      assertEquals(reroutes, row.get("reroutesByCause").get("reply_window_lapsed").asInt(), row.toString());
      JsonNode team = subject(call("GET", "/stats/teams", null), "lapse");
      assertEquals(reroutes, team.get("reroutes").asInt(), team.toString());
      assertEquals(reroutes, team.get("reroutesByCause").get("reply_window_lapsed").asInt(), team.toString());
      long byAgents = subject(call("GET", "/stats/agents", null), "lea").get("reroutes").asLong()
          + subject(call("GET", "/stats/agents", null), "lou").get("reroutes").asLong();
      assertEquals(reroutes, byAgents);
    });
  }

  static JsonNode subject(Answer stats, String subject) {
    for (JsonNode s : stats.body()) if (subject.equals(s.get("subject").asText())) return s;
    throw new AssertionError("no figures of " + subject + " in " + stats.raw());
  }
}

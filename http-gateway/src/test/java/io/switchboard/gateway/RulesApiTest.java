package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.TestGateway.Answer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A tenant's routing rules through the API: saved only when valid against the tenant's configured
 * teams and agents; a refusal names each bad rule and leaves the rules in force unchanged.
 */
class RulesApiTest {
  static TestGateway gw;
  static String key;

  @BeforeAll
  static void start() {
    gw = new TestGateway("");
    key = gw.tenant("rules", Map.of("defaultTeam", "support"));
    for (String team : List.of("sales", "support")) {
      assertEquals(200, gw.call("PUT", "/v1/tenants/rules/teams/" + team, key, Map.of("members", List.of(),
          "strategy", "MANUAL")).status());
    }
    assertEquals(200, gw.call("PUT", "/v1/tenants/rules/agents/manager", key, Map.of("capacity", Map.of("*", 3)))
        .status());
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static String rules(String first) {
    return """
        {"description": "test", "timeZone": "America/Sao_Paulo", "rules": [%s
          {"name": "else", "when": {"type": "always"}, "then": [{"type": "team", "team": "support"}]}]}"""
        .formatted(first == null ? "" : first + ",");
  }

  static void refused(String body, String... mentions) {
    Answer a = gw.call("PUT", "/v1/tenants/rules/rules", key, body);
    assertEquals(400, a.status(), a.raw());
    for (String m : mentions) assertTrue(a.raw().contains(m), m + " in " + a.raw());
  }

  @Test
  void validRulesAreSavedAndReadBackAndBadOnesAreRefusedNamingTheRuleWithoutChangingAnything() {
    String good = rules("""
        {"name": "buyers", "when": {"type": "keyword", "words": ["buy", "price"]},
         "then": [{"type": "setPriority", "priority": 10}, {"type": "team", "team": "sales"}]}""");
    Answer saved = gw.call("PUT", "/v1/tenants/rules/rules", key, good);
    assertEquals(200, saved.status(), saved.raw());
    Answer read = gw.call("GET", "/v1/tenants/rules/rules", key, null);
    assertEquals(200, read.status(), read.raw());
    assertEquals("buyers", read.body().get("rules").get(0).get("name").asText());
    assertEquals("America/Sao_Paulo", read.body().get("timeZone").asText());

    refused(rules("""
        {"name": "typo", "when": {"type": "keyword", "words": ["x"]}, "then": [{"type": "team", "team": "salse"}]}"""),
        "invalid_rules", "typo", "salse");
    refused(rules("""
        {"name": "bad-regex", "when": {"type": "regex", "pattern": "(unclosed"}, "then": [{"type": "team",
         "team": "sales"}]}"""), "bad-regex");
    refused("""
        {"rules": [{"name": "only", "when": {"type": "keyword", "words": ["x"]},
          "then": [{"type": "team", "team": "sales"}]}]}""", "invalid_rules", "else");
    refused(rules("""
        {"name": "loops", "when": {"type": "always"}, "then": [{"type": "ask", "id": "q", "field": "email",
         "text": "email?", "validator": {"kind": "email"}, "maxAttempts": 3, "timeout": "PT5M",
         "fallback": {"type": "agent", "agent": "manager", "fallbackTeam": "support"}}]}"""), "loops");
    refused(rules("""
        {"name": "who", "when": {"type": "always"}, "then": [{"type": "agent", "agent": "nobody",
         "fallbackTeam": "support"}]}"""), "who", "nobody");
    Answer malformed = gw.call("PUT", "/v1/tenants/rules/rules", key, rules("""
        {"name": "odd", "when": {"type": "moonphase"}, "then": [{"type": "team", "team": "sales"}]}"""));
    assertEquals(400, malformed.status(), malformed.raw());
    assertEquals("malformed_json", malformed.error());

    assertEquals("buyers", gw.call("GET", "/v1/tenants/rules/rules", key, null).body().get("rules").get(0)
        .get("name").asText(), "the refused configurations changed nothing");
  }

  @Test
  void aTenantWithoutRulesAnswers404AndAnotherTenantsKeyToo() {
    String other = gw.tenant("norules", Map.of());
    Answer none = gw.call("GET", "/v1/tenants/norules/rules", other, null);
    assertEquals(404, none.status(), none.raw());
    assertEquals(404, gw.call("GET", "/v1/tenants/rules/rules", other, null).status());
  }
}

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
    assertEquals("invalid_rules", malformed.error());
    assertTrue(malformed.text("message").startsWith("rules[0].when.type: unknown type 'moonphase', expected one of "
        + "[all, always, any, channel, contact, field, keyword, language, not, priority, regex, time]"),
        malformed.raw());

    assertEquals(400, malformed.status(), malformed.raw());

    assertEquals("buyers", gw.call("GET", "/v1/tenants/rules/rules", key, null).body().get("rules").get(0)
        .get("name").asText(), "the refused configurations changed nothing");
  }

  /** A body that does not read as rules names the JSON path of the bad value and what belongs there. */
  @Test
  void rulesThatDoNotParseNameThePathAndTheExpectedValues() {
    unreadable(rules("""
        {"name": "deep", "when": {"type": "all", "of": [{"type": "keyword", "words": ["x"]},
         {"type": "not", "of": {"type": "keywordz", "words": ["y"]}}]}, "then": [{"type": "team", "team": "sales"}]}"""),
        "rules[0].when.of[1].of.type: unknown type 'keywordz', expected one of [all, always, any, channel,");
    unreadable(rules("""
        {"name": "untyped", "when": {"words": ["x"]}, "then": [{"type": "team", "team": "sales"}]}"""),
        "rules[0].when.type: missing, expected one of [all, always, any,");
    unreadable(rules("""
        {"name": "action", "when": {"type": "always"}, "then": [{"type": "teams", "team": "sales"}]}"""),
        "rules[0].then[0].type: unknown type 'teams', expected one of [", "team");
    unreadable(rules("""
        {"name": "field", "when": {"type": "keyword", "wrods": ["x"]}, "then": [{"type": "team", "team": "sales"}]}"""),
        "rules[0].when.wrods: unknown field, expected one of [words]");
    unreadable(rules("""
        {"name": "shape", "when": {"type": "keyword", "words": "x"}, "then": [{"type": "team", "team": "sales"}]}"""),
        "rules[0].when.words: expected an array, got a string");
    unreadable(rules("""
        {"name": "op", "when": {"type": "field", "field": "tier", "op": "equal", "value": "gold"},
         "then": [{"type": "team", "team": "sales"}]}"""),
        "rules[0].when.op: 'equal' is not one of [equals, oneOf, present, missing]");
    unreadable("{\"rules\": [1]}", "rules[0]: expected an object, got a number");
    unreadable("{\"rules\": [", "not JSON: ", "line 1");
    unreadable("", "a JSON body is required");
  }

  static void unreadable(String body, String... mentions) {
    Answer a = gw.call("PUT", "/v1/tenants/rules/rules", key, body);
    assertEquals(400, a.status(), a.raw());
    assertEquals("invalid_rules", a.error(), a.raw());
    for (String m : mentions) assertTrue(a.text("message").contains(m), m + " in " + a.raw());
  }

  @Test
  void aTenantWithoutRulesAnswers404AndAnotherTenantsKeyToo() {
    String other = gw.tenant("norules", Map.of());
    Answer none = gw.call("GET", "/v1/tenants/norules/rules", other, null);
    assertEquals(404, none.status(), none.raw());
    assertEquals(404, gw.call("GET", "/v1/tenants/rules/rules", other, null).status());
  }
}

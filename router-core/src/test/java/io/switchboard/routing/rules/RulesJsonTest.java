package io.switchboard.routing.rules;

import static io.switchboard.routing.rules.Fixtures.CBOR;
import static io.switchboard.routing.rules.Fixtures.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.switchboard.CborSerializable;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The JSON users write, and the CBOR the journal stores. */
class RulesJsonTest {

  static final String ALL_TYPES = """
      {
        "description": "every type",
        "timeZone": "Europe/Lisbon",
        "rules": [
          { "name": "c", "when": { "type": "all", "of": [
              { "type": "any", "of": [ { "type": "keyword", "words": ["buy"] }, { "type": "regex", "pattern": "\\\\d+" } ] },
              { "type": "not", "of": { "type": "channel", "channels": ["sms"] } },
              { "type": "field", "name": "plan", "op": "oneOf", "values": ["gold", "silver"] },
              { "type": "field", "name": "email", "op": "present" },
              { "type": "language", "languages": ["pt"] },
              { "type": "contact", "is": "returning" },
              { "type": "time", "days": ["MON"], "from": "09:00", "to": "00:00" },
              { "type": "priority", "min": 1, "max": 9 } ] },
            "then": [ { "type": "setPriority", "priority": 5 }, { "type": "setFields", "fields": { "a": "b" } },
                      { "type": "tag", "tags": ["t"] }, { "type": "team", "team": "sales", "skills": { "pt": 2 } } ] },
          { "name": "agent", "when": { "type": "keyword", "words": ["x"] },
            "then": [ { "type": "agent", "agent": "maria", "fallbackTeam": "sales" } ] },
          { "name": "pool", "when": { "type": "keyword", "words": ["y"] }, "then": [ { "type": "pool", "team": "concierge" } ] },
          { "name": "prev", "when": { "type": "contact", "is": "new" }, "then": [ { "type": "previousAgent", "team": "support" } ] },
          { "name": "ask", "when": { "type": "field", "name": "segment", "op": "missing" },
            "then": [ { "type": "ask", "id": "menu", "field": "segment", "text": "Which?",
                        "options": [ { "id": "a", "title": "A" } ], "maxAttempts": 2, "timeout": "PT10M",
                        "fallback": { "type": "team", "team": "sales" } } ] },
          { "name": "lookup", "when": { "type": "field", "name": "customerType", "op": "missing" },
            "then": [ { "type": "lookup", "id": "crm", "method": "POST", "url": "https://crm.example.com/find",
                        "headers": { "Authorization": "Bearer {{token}}" }, "body": "{\\"email\\":\\"{{email}}\\"}",
                        "timeout": "PT2.5S", "map": { "customerType": "$.customerType" },
                        "fallback": { "type": "agent", "agent": "manager", "fallbackTeam": "support" } } ] },
          { "name": "else", "when": { "type": "always" }, "then": [ { "type": "team", "team": "support" } ] }
        ]
      }
      """;

  @Test
  void everyTypeReadsFromJson() throws IOException {
    RoutingRules r = JSON.readValue(ALL_TYPES, RoutingRules.class);
    assertEquals("every type", r.description());
    assertEquals("Europe/Lisbon", r.timeZone());
    assertEquals(7, r.rules().size());
    Condition.All all = assertInstanceOf(Condition.All.class, r.rules().get(0).when());
    assertEquals(new Condition.Field("plan", Condition.FieldOp.ONE_OF, List.of("gold", "silver")), all.of().get(2));
    assertEquals(new Condition.Contact(Condition.ContactKind.RETURNING), all.of().get(5));
    assertEquals(new Condition.Time(List.of("MON"), "09:00", "00:00"), all.of().get(6));
    assertEquals(new Action.ToTeam("sales", Map.of("pt", 2)), r.rules().get(0).decisive());
    assertEquals(new Action.ToAgent("maria", "sales"), r.rules().get(1).decisive());
    Question q = assertInstanceOf(Question.class, r.rules().get(4).decisive());
    assertEquals(Duration.ofMinutes(10), q.timeout());
    assertEquals(2, q.maxAttempts());
    assertEquals(new Action.ToTeam("sales"), q.fallback());
    CrmLookup l = assertInstanceOf(CrmLookup.class, r.rules().get(5).decisive());
    assertEquals(CrmLookup.Method.POST, l.method());
    assertEquals(Duration.ofMillis(2500), l.timeout());
    assertEquals("{\"email\":\"{{email}}\"}", l.body());
    assertEquals(new Action.ToAgent("manager", "support"), l.fallback());
    assertEquals(List.of(), RulesValidator.validate(r, Set.of("sales", "support", "concierge"), Set.of("maria", "manager")));
  }

  @Test
  void rulesRoundTripThroughJsonAndCbor() throws IOException {
    RoutingRules r = JSON.readValue(ALL_TYPES, RoutingRules.class);
    assertEquals(r, JSON.readValue(JSON.writeValueAsString(r), RoutingRules.class));
    assertEquals(r, CBOR.readValue(CBOR.writeValueAsBytes(r), RoutingRules.class));
    assertFalse(JSON.writeValueAsString(r).contains("\"else\":"), "helpers are no JSON properties");
  }

  @Test
  void decisionsRoundTripThroughCbor() throws IOException {
    RoutingRules r = JSON.readValue(ALL_TYPES, RoutingRules.class);
    List<Decision> decisions = List.of(
        new Decision.Route("vip", new Action.ToAgent("maria", "sales"), 50, Map.of("a", "b"), Set.of("vip"), "why"),
        new Decision.Ask("ask", (Question) r.rules().get(4).decisive(), 0, Map.of(), Set.of(), "why"),
        new Decision.Lookup("lookup", (CrmLookup) r.rules().get(5).decisive(), 3, Map.of(), Set.of("t"), "why"),
        new Decision.Unrouted("no rules"));
    for (Decision d : decisions) {
      assertInstanceOf(CborSerializable.class, d);
      assertEquals(d, CBOR.readValue(CBOR.writeValueAsBytes(d), Decision.class));
      assertEquals(d, JSON.readValue(JSON.writeValueAsString(d), Decision.class));
    }
  }

  @Test
  void typosAndWrongTypesAreRefusedWhenRead() {
    assertThrows(JsonProcessingException.class, () -> JSON.readValue(
        "{\"rules\":[{\"name\":\"x\",\"when\":{\"type\":\"keywords\",\"words\":[\"a\"]},\"then\":[]}]}", RoutingRules.class));
    assertThrows(JsonProcessingException.class, () -> JSON.readValue(
        "{\"rules\":[{\"name\":\"x\",\"when\":{\"type\":\"always\"},\"then\":[{\"type\":\"team\",\"taem\":\"a\"}]}]}",
        RoutingRules.class));
    assertThrows(JsonProcessingException.class, () -> JSON.readValue(
        "{\"rules\":[{\"name\":\"x\",\"when\":{\"type\":\"field\",\"name\":\"a\",\"op\":\"contains\"},\"then\":[]}]}",
        RoutingRules.class));
    // a fallback must be a route, not another step or a modifier
    assertThrows(JsonProcessingException.class, () -> JSON.readValue(
        "{\"type\":\"ask\",\"id\":\"q\",\"field\":\"f\",\"text\":\"?\",\"timeout\":\"PT1M\","
            + "\"fallback\":{\"type\":\"tag\",\"tags\":[\"x\"]}}", Action.class));
  }

  @Test
  void aTerminalReadAsATerminal() throws IOException {
    assertEquals(new Action.Pool("concierge"), JSON.readValue("{\"type\":\"pool\",\"team\":\"concierge\"}", Action.Terminal.class));
    assertEquals("{\"type\":\"previousAgent\",\"team\":\"support\"}",
        JSON.writeValueAsString(new Action.PreviousAgent("support")));
  }
}

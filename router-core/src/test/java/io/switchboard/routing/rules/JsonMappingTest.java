package io.switchboard.routing.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonMappingTest {

  static final String CRM = "{\"id\": 42, \"customerType\": \"VIP\", \"active\": true, \"score\": 9.5,"
      + " \"owner\": null, \"name\": \"\", \"tags\": [\"a\", \"b\"], \"address\": {\"city\": \"Recife\"},"
      + " \"contacts\": [{\"kind\": \"email\", \"value\": \"ana@example.com\"}, {\"kind\": \"phone\", \"value\": \"+55\"}]}";

  private static Map<String, String> map(String... fieldAndPath) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < fieldAndPath.length; i += 2) {
      m.put(fieldAndPath[i], fieldAndPath[i + 1]);
    }
    return m;
  }

  @Test
  void scalarsBecomeText() {
    JsonMapping.Result r = JsonMapping.apply(map("customerType", "$.customerType", "crmId", "$.id",
        "active", "$.active", "score", "$['score']", "city", "$.address.city"), CRM);
    assertTrue(r.ok());
    assertEquals(Map.of("customerType", "VIP", "crmId", "42", "active", "true", "score", "9.5", "city", "Recife"),
        r.fields());
    assertEquals(java.util.List.of(), r.problems());
  }

  @Test
  void filtersGiveTheirSingleMatchAndStructuresStayJson() {
    JsonMapping.Result r = JsonMapping.apply(map(
        "email", "$.contacts[?(@.kind == 'email')].value",
        "tags", "$.tags",
        "address", "$.address",
        "firstTag", "$.tags[0]",
        "anyCity", "$..city"), CRM);
    assertEquals("ana@example.com", r.fields().get("email"));
    assertEquals("[\"a\",\"b\"]", r.fields().get("tags"));
    assertEquals("{\"city\":\"Recife\"}", r.fields().get("address"));
    assertEquals("a", r.fields().get("firstTag"));
    assertEquals("Recife", r.fields().get("anyCity"));
  }

  @Test
  void absentNullAndEmptyLeaveTheFieldUnsetAndAreReported() {
    JsonMapping.Result r = JsonMapping.apply(map("a", "$.nothing", "b", "$.owner", "c", "$.name",
        "d", "$.contacts[?(@.kind == 'fax')].value", "customerType", "$.customerType"), CRM);
    assertTrue(r.ok(), "a readable response: missing fields are not an error");
    assertEquals(Map.of("customerType", "VIP"), r.fields());
    assertEquals(4, r.problems().size(), r.problems()::toString);
  }

  @Test
  void anUnreadableResponseIsAnErrorForTheFallback() {
    assertFalse(JsonMapping.apply(map("a", "$.a"), "<html>502 Bad Gateway</html>").ok());
    assertFalse(JsonMapping.apply(map("a", "$.a"), "").ok());
    assertFalse(JsonMapping.apply(map("a", "$.a"), null).ok());
    assertFalse(JsonMapping.apply(map("a", "$.a"), "{\"a\": " + " ".repeat(JsonMapping.MAX_RESPONSE_LENGTH) + "1}").ok());
  }

  @Test
  void aTopLevelArrayOrScalarIsReadable() {
    assertEquals(Map.of("t", "VIP"), JsonMapping.apply(map("t", "$[0].customerType"), "[{\"customerType\":\"VIP\"}]").fields());
    assertEquals(Map.of(), JsonMapping.apply(map("t", "$.customerType"), "\"just text\"").fields());
  }

  @Test
  void overLongValuesAreLeftOut() {
    String json = "{\"note\": \"" + "x".repeat(JsonMapping.MAX_VALUE_LENGTH + 1) + "\", \"ok\": \"y\"}";
    JsonMapping.Result r = JsonMapping.apply(map("note", "$.note", "ok", "$.ok"), json);
    assertEquals(Map.of("ok", "y"), r.fields());
    assertEquals(1, r.problems().size());
  }

  @Test
  void pathProblems() {
    assertTrue(JsonMapping.problem("$.customerType").isEmpty());
    assertTrue(JsonMapping.problem("$.a[?(@.b == 'c')].d").isEmpty());
    assertTrue(JsonMapping.problem("$.a[").isPresent());
    assertTrue(JsonMapping.problem("$.a.[b").isPresent());
    assertTrue(JsonMapping.problem("customerType").isPresent());
    assertTrue(JsonMapping.problem("").isPresent());
    assertTrue(JsonMapping.problem(null).isPresent());
    JsonMapping.Result r = JsonMapping.apply(map("a", "$.a[", "b", "$.b"), "{\"b\": 1}");
    assertEquals(Map.of("b", "1"), r.fields(), "a bad path spoils only its own field");
  }
}

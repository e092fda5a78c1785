package io.switchboard.routing.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.routing.rules.Templates.Encoding;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplatesTest {

  @Test
  void urlValuesArePercentEncoded() {
    Templates.Rendered r = Templates.render("https://crm.example.com/contacts/{{phone}}?email={{ email }}&x=1",
        Map.of("email", "ana+vip@example.com", "phone", "+55 11/98"));
    assertEquals("https://crm.example.com/contacts/%2B55%2011%2F98?email=ana%2Bvip%40example.com&x=1", r.text());
    assertTrue(r.complete());
  }

  @Test
  void aMissingFieldRendersEmptyAndIsReported() {
    Templates.Rendered r = Templates.render("https://c.example.com/?a={{a}}&b={{b}}&b2={{b}}", Map.of("a", "1"));
    assertEquals("https://c.example.com/?a=1&b=&b2=", r.text());
    assertEquals(List.of("b"), r.missing());
    assertEquals("x=", Templates.render("x={{a}}", null).text());
  }

  @Test
  void textThatIsNoPlaceholderIsKept() {
    assertEquals("a {{b c}} {{ and {x}", Templates.render("a {{b c}} {{ and {x}", Map.of("b", "1")).text());
    assertEquals("{}", Templates.render("{}", Map.of()).text());
    assertEquals("", Templates.render(null, Map.of()).text());
  }

  @Test
  void headersLoseControlCharacters() {
    assertEquals("Bearer abcX-Evil: 1", Templates.render("Bearer {{t}}", Map.of("t", "abc\r\nX-Evil: 1"), Encoding.HEADER).text());
  }

  @Test
  void jsonBodiesEscapeValues() {
    Templates.Rendered r = Templates.render("{\"email\":\"{{email}}\",\"note\":{\"n\":\"{{n}}\"}}",
        Map.of("email", "a\"b@c.co", "n", "line1\nline2\\ \u0001"), Encoding.JSON);
    assertEquals("{\"email\":\"a\\\"b@c.co\",\"note\":{\"n\":\"line1\\nline2\\\\ \\u0001\"}}", r.text());
  }

  @Test
  void placeholdersAndProblems() {
    assertEquals(List.of("email", "id"), Templates.placeholders("{{email}}/{{ id }}/{{email}}/{{bad name}}"));
    assertEquals(List.of(), Templates.problems("https://c.example.com/{{a.b}}/{{c-d}}/{{ e_f }}"));
    assertEquals(List.of("'{{' at 4 is not closed by '}}'"), Templates.problems("abc {{email"));
    assertEquals(1, Templates.problems("{{}}").size());
    assertEquals(1, Templates.problems("{{first name}}").size());
    assertEquals(List.of(), Templates.problems("{\"a\":{\"b\":1}}"), "JSON braces are no placeholders");
  }
}

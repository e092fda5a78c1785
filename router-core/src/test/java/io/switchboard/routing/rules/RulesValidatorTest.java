package io.switchboard.routing.rules;

import static io.switchboard.routing.rules.Fixtures.orElse;
import static io.switchboard.routing.rules.Fixtures.rule;
import static io.switchboard.routing.rules.Fixtures.rules;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.routing.rules.Action.SetFields;
import io.switchboard.routing.rules.Action.SetPriority;
import io.switchboard.routing.rules.Action.Tag;
import io.switchboard.routing.rules.Action.ToAgent;
import io.switchboard.routing.rules.Action.ToTeam;
import io.switchboard.routing.rules.Condition.All;
import io.switchboard.routing.rules.Condition.Always;
import io.switchboard.routing.rules.Condition.Any;
import io.switchboard.routing.rules.Condition.Field;
import io.switchboard.routing.rules.Condition.FieldOp;
import io.switchboard.routing.rules.Condition.Keyword;
import io.switchboard.routing.rules.Condition.Not;
import io.switchboard.routing.rules.Question.Option;
import io.switchboard.routing.rules.Question.Validator;
import io.switchboard.routing.rules.Question.ValidatorKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RulesValidatorTest {

  static final Set<String> TEAMS = Set.of("sales", "support", "vip");
  static final Set<String> AGENTS = Set.of("manager", "maria");
  static final Keyword BUY = new Keyword(List.of("buy"));

  private static List<String> errors(Rule... rules) {
    return RulesValidator.validate(rules(rules), TEAMS, AGENTS);
  }

  /** The errors of one rule followed by a valid else rule. */
  private static List<String> errorsOf(Rule r) {
    return errors(r, orElse("support"));
  }

  private static void assertOneError(String expected, List<String> errors) {
    assertEquals(1, errors.size(), () -> "expected one error, got " + errors);
    assertTrue(errors.get(0).contains(expected), () -> "'" + errors.get(0) + "' should contain '" + expected + "'");
  }

  private static Question question(String id, String field, List<Option> options, Validator validator,
                                   Action.Terminal fallback) {
    return new Question(id, field, "Question?", options, validator, 3, Duration.ofMinutes(5), null, fallback);
  }

  private static Question askEmail() {
    return question("ask-email", "email", null, new Validator(ValidatorKind.EMAIL, null), new ToTeam("support"));
  }

  private static CrmLookup lookup(String url, Map<String, String> headers, Map<String, String> map) {
    return new CrmLookup("crm", CrmLookup.Method.GET, url, headers, null, Duration.ofSeconds(3), map,
        new ToTeam("support"));
  }

  private static Condition emailMissing() {
    return Field.missing("email");
  }

  @Test
  void validRulesHaveNoErrors() {
    List<String> errors = errors(
        rule("vip", Field.equalTo("customerType", "VIP"), new SetPriority(50), new Tag(List.of("vip")), new ToTeam("vip")),
        rule("ask", emailMissing(), new SetFields(Map.of("flow", "x")), askEmail()),
        rule("maria", BUY, new ToAgent("maria", "sales")),
        orElse("support"));
    assertEquals(List.of(), errors);
  }

  @Test
  void requireValidReturnsTheRulesOrThrowsEveryError() {
    RoutingRules good = rules(orElse("support"));
    assertSame(good, RulesValidator.requireValid(good, TEAMS, AGENTS));
    RulesValidator.InvalidRulesException e = assertThrows(RulesValidator.InvalidRulesException.class,
        () -> RulesValidator.requireValid(rules(rule("a", BUY, new ToTeam("nope")), orElse("nada")), TEAMS, AGENTS));
    assertEquals(2, e.errors().size());
    assertTrue(e.getMessage().contains("rule 'a': unknown team 'nope'"), e.getMessage());
  }

  @Test
  void missingElse() {
    assertOneError("rule 'sales': the last rule must be an else rule",
        errors(rule("sales", BUY, new ToTeam("sales"))));
    assertOneError("no rules", errors());
    assertOneError("routing rules are missing", RulesValidator.validate(null, TEAMS, AGENTS));
  }

  @Test
  void elseNotLast() {
    List<String> errors = errors(orElse("support"), rule("sales", BUY, new ToTeam("sales")));
    assertEquals(2, errors.size(), errors::toString);
    assertTrue(errors.get(0).startsWith("rule 'else': an else rule"), errors::toString);
    assertTrue(errors.get(1).startsWith("rule 'sales': the last rule must be an else rule"), errors::toString);
  }

  @Test
  void elseEndingInAStep() {
    assertOneError("rule 'else': the else rule must end in a route",
        errors(rule("else", new Always(), askEmail())));
  }

  @Test
  void duplicateRuleNames() {
    assertOneError("rule 'sales': name is used twice (rules #1 and #2)",
        errors(rule("sales", BUY, new ToTeam("sales")), rule("sales", BUY, new ToTeam("sales")), orElse("support")));
  }

  @Test
  void namelessRulesAreNamedByNumber() {
    assertOneError("rule #1: name is missing", errorsOf(rule(" ", BUY, new ToTeam("sales"))));
    assertOneError("rule #1 is empty", errors(null, orElse("support")));
    assertOneError("name is longer than 100", errorsOf(rule("x".repeat(101), BUY, new ToTeam("sales"))));
  }

  @Test
  void unknownTeamAndAgent() {
    assertOneError("rule 'vip': unknown team 'vipp'", errorsOf(rule("vip", BUY, new ToTeam("vipp"))));
    assertOneError("rule 'a': unknown agent 'bob'", errorsOf(rule("a", BUY, new ToAgent("bob", "sales"))));
    assertOneError("rule 'a': agent action needs a fallbackTeam", errorsOf(rule("a", BUY, new ToAgent("maria", null))));
    assertOneError("rule 'a': unknown team 'nope'", errorsOf(rule("a", BUY, new ToAgent("maria", "nope"))));
    assertOneError("rule 'p': unknown team 'x'", errorsOf(rule("p", BUY, new Action.Pool("x"))));
    assertOneError("rule 'p': previousAgent action needs a team", errorsOf(rule("p", BUY, new Action.PreviousAgent(null))));
    assertOneError("rule 'else': unknown team 'nowhere'", errors(orElse("nowhere")));
    assertOneError("skill 'spanish' level 101", errorsOf(rule("s", BUY, new ToTeam("sales", Map.of("spanish", 101)))));
  }

  @Test
  void namesAreNotCheckedWithoutTheTenantsSets() {
    assertEquals(List.of(), RulesValidator.validate(rules(rule("a", BUY, new ToAgent("x", "y")), orElse("z")), null, null));
  }

  @Test
  void badRegex() {
    assertOneError("rule 'r': bad regex '(unclosed': Unclosed group",
        errorsOf(rule("r", new Condition.Regex("(unclosed"), new ToTeam("sales"))));
    assertOneError("regex needs a pattern", errorsOf(rule("r", new Condition.Regex(""), new ToTeam("sales"))));
    assertOneError("longer than 500", errorsOf(rule("r", new Condition.Regex("a".repeat(501)), new ToTeam("sales"))));
  }

  @Test
  void badTimeZoneAndTimeRange() {
    assertOneError("time zone 'Mars/Olympus' is not a known zone",
        RulesValidator.validate(new RoutingRules("Mars/Olympus", List.of(orElse("support"))), TEAMS, AGENTS));
    assertOneError("rule 't': time: from '9am' is not a time",
        errorsOf(rule("t", new Condition.Time(List.of(), "9am", "18:00"), new ToTeam("sales"))));
    assertOneError("rule 't': time: to '25:00' is not a time",
        errorsOf(rule("t", new Condition.Time(List.of(), "09:00", "25:00"), new ToTeam("sales"))));
    assertOneError("rule 't': time range 10:00-10:00 is empty",
        errorsOf(rule("t", new Condition.Time(List.of(), "10:00", "10:00"), new ToTeam("sales"))));
    assertOneError("rule 't': time: unknown weekday 'Funday'",
        errorsOf(rule("t", new Condition.Time(List.of("MON", "Funday"), "09:00", "18:00"), new ToTeam("sales"))));
    assertEquals(List.of(), errorsOf(rule("t", new Condition.Time(List.of("fri"), "22:00", "06:00"), new ToTeam("sales"))),
        "a night shift over midnight is fine");
    assertEquals(List.of(), errorsOf(rule("t", new Condition.Time(List.of(), "18:00", "00:00"), new ToTeam("sales"))));
  }

  @Test
  void badConditions() {
    assertOneError("rule 'c': 'all' needs at least one condition", errorsOf(rule("c", new All(List.of()), new ToTeam("sales"))));
    assertOneError("rule 'c': 'any' needs at least one condition", errorsOf(rule("c", new Any(null), new ToTeam("sales"))));
    assertOneError("rule 'c': 'not' needs a condition", errorsOf(rule("c", new Not(null), new ToTeam("sales"))));
    assertOneError("rule 'c': a condition is empty",
        errorsOf(rule("c", new All(Arrays.asList(BUY, null)), new ToTeam("sales"))));
    assertOneError("rule 'c': 'when' is missing", errorsOf(rule("c", null, new ToTeam("sales"))));
    assertOneError("rule 'c': keyword needs at least one word", errorsOf(rule("c", new Keyword(List.of()), new ToTeam("sales"))));
    assertOneError("rule 'c': keyword has an empty word",
        errorsOf(rule("c", new Keyword(Arrays.asList("buy", null)), new ToTeam("sales"))));
    assertOneError("rule 'c': channel needs at least one channel",
        errorsOf(rule("c", new Condition.Channel(List.of()), new ToTeam("sales"))));
    assertOneError("rule 'c': language 'english language' is not a language code",
        errorsOf(rule("c", new Condition.Language(List.of("english language")), new ToTeam("sales"))));
    assertOneError("rule 'c': contact condition needs \"is\"", errorsOf(rule("c", new Condition.Contact(null), new ToTeam("sales"))));
    assertOneError("rule 'c': priority condition needs min or max",
        errorsOf(rule("c", new Condition.Priority(null, null), new ToTeam("sales"))));
    assertOneError("rule 'c': priority min 9 is above max 3",
        errorsOf(rule("c", new Condition.Priority(9, 3), new ToTeam("sales"))));
  }

  @Test
  void badFieldConditions() {
    assertOneError("field 'plan' equals needs exactly one value, got 2",
        errorsOf(rule("f", new Field("plan", FieldOp.EQUALS, List.of("a", "b")), new ToTeam("sales"))));
    assertOneError("field 'plan' oneOf needs at least one value",
        errorsOf(rule("f", new Field("plan", FieldOp.ONE_OF, List.of()), new ToTeam("sales"))));
    assertOneError("field 'plan' present takes no values",
        errorsOf(rule("f", new Field("plan", FieldOp.PRESENT, List.of("x")), new ToTeam("sales"))));
    assertOneError("field 'plan' needs an op", errorsOf(rule("f", new Field("plan", null, null), new ToTeam("sales"))));
    assertOneError("field condition needs a name", errorsOf(rule("f", new Field(null, FieldOp.PRESENT, null), new ToTeam("sales"))));
    assertOneError("field name 'first name' must be", errorsOf(rule("f", Field.present("first name"), new ToTeam("sales"))));
  }

  @Test
  void tooDeepOrTooManyConditions() {
    Condition deep = BUY;
    for (int i = 0; i < 11; i++) {
      deep = new Not(deep);
    }
    assertOneError("nested deeper than 10", errorsOf(rule("deep", deep, new ToTeam("sales"))));
    List<Condition> many = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      many.add(BUY);
    }
    assertOneError("more than 100 conditions", errorsOf(rule("many", new Any(many), new ToTeam("sales"))));
  }

  @Test
  void thenMustBeModifiersThenOneRouteOrStep() {
    assertOneError("rule 'x': 'then' is empty", errorsOf(new Rule("x", BUY, List.of())));
    assertOneError("rule 'x': action #1 (team) must be the last action",
        errorsOf(rule("x", BUY, new ToTeam("sales"), new ToTeam("support"))));
    assertOneError("rule 'x': the last action (tag) must be a route",
        errorsOf(rule("x", BUY, new SetPriority(1), new Tag(List.of("t")))));
    assertOneError("rule 'x': action #1 (ask) must be the last action",
        errorsOf(rule("x", emailMissing(), askEmail(), new ToTeam("sales"))));
    assertOneError("rule 'x': action #2 is empty",
        errorsOf(new Rule("x", BUY, Arrays.asList(new SetPriority(1), null, new ToTeam("sales")))));
    Action[] tooMany = new Action[21];
    Arrays.fill(tooMany, new SetPriority(1));
    tooMany[20] = new ToTeam("sales");
    assertOneError("rule 'x': more than 20 actions", errorsOf(rule("x", BUY, tooMany)));
  }

  @Test
  void badModifiers() {
    assertOneError("rule 'm': priority 101 is not within 0-100", errorsOf(rule("m", BUY, new SetPriority(101), new ToTeam("sales"))));
    assertOneError("rule 'm': setPriority needs a priority", errorsOf(rule("m", BUY, new SetPriority(null), new ToTeam("sales"))));
    assertOneError("rule 'm': setFields needs at least one field", errorsOf(rule("m", BUY, new SetFields(Map.of()), new ToTeam("sales"))));
    Map<String, String> nullValue = new LinkedHashMap<>();
    nullValue.put("a", null);
    assertOneError("rule 'm': setFields 'a' has no value", errorsOf(rule("m", BUY, new SetFields(nullValue), new ToTeam("sales"))));
    assertOneError("rule 'm': setFields name 'a b' must be",
        errorsOf(rule("m", BUY, new SetFields(Map.of("a b", "x")), new ToTeam("sales"))));
    assertOneError("rule 'm': tag needs at least one tag", errorsOf(rule("m", BUY, new Tag(List.of()), new ToTeam("sales"))));
  }

  @Test
  void emptyOptionsAndOtherBadQuestions() {
    assertOneError("rule 'q': ask 'menu': options are empty",
        errorsOf(rule("q", Field.missing("f"), question("menu", "f", List.of(), null, new ToTeam("sales")))));
    assertOneError("has both options and a validator", errorsOf(rule("q", Field.missing("f"),
        question("menu", "f", List.of(new Option("a", "A")), new Validator(ValidatorKind.EMAIL, null), new ToTeam("sales")))));
    assertOneError("option #2 repeats id 'A'", errorsOf(rule("q", Field.missing("f"),
        question("menu", "f", List.of(new Option("a", "A"), new Option("A", "B")), null, new ToTeam("sales")))));
    assertOneError("option #2 repeats title 'one'", errorsOf(rule("q", Field.missing("f"),
        question("menu", "f", List.of(new Option("a", "One"), new Option("b", "one")), null, new ToTeam("sales")))));
    assertOneError("option #1 needs a title", errorsOf(rule("q", Field.missing("f"),
        question("menu", "f", List.of(new Option("a", "")), null, new ToTeam("sales")))));
    assertOneError("title 'A very long option title here' is longer than 24", errorsOf(rule("q", Field.missing("f"),
        question("menu", "f", List.of(new Option("a", "A very long option title here")), null, new ToTeam("sales")))));
    List<Option> eleven = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      eleven.add(new Option("o" + i, "Option " + i));
    }
    assertOneError("more than 10 options",
        errorsOf(rule("q", Field.missing("f"), question("menu", "f", eleven, null, new ToTeam("sales")))));
    assertOneError("rule 'q': ask step needs an id",
        errorsOf(rule("q", Field.missing("f"), question(null, "f", null, null, new ToTeam("sales")))));
    assertOneError("text is missing", errorsOf(rule("q", Field.missing("f"),
        new Question("q", "f", " ", null, null, 3, Duration.ofMinutes(1), null, new ToTeam("sales")))));
    assertOneError("maxAttempts 0 is not within 1-10", errorsOf(rule("q", Field.missing("f"),
        new Question("q", "f", "?", null, null, 0, Duration.ofMinutes(1), null, new ToTeam("sales")))));
    assertOneError("needs a timeout", errorsOf(rule("q", Field.missing("f"),
        new Question("q", "f", "?", null, null, 3, null, null, new ToTeam("sales")))));
    assertOneError("timeout PT25H is longer than PT24H", errorsOf(rule("q", Field.missing("f"),
        new Question("q", "f", "?", null, null, 3, Duration.ofHours(25), null, new ToTeam("sales")))));
    assertEquals(3, new Question("q", "f", "?", null, null, null, Duration.ofMinutes(1), null, null).maxAttempts(),
        "three attempts by default");
  }

  @Test
  void badValidators() {
    assertOneError("rule 'q': ask 'v': validator needs a kind", errorsOf(rule("q", Field.missing("f"),
        question("v", "f", null, new Validator(null, null), new ToTeam("sales")))));
    assertOneError("regex validator needs a pattern", errorsOf(rule("q", Field.missing("f"),
        question("v", "f", null, new Validator(ValidatorKind.REGEX, null), new ToTeam("sales")))));
    assertOneError("bad validator regex '[a-': ", errorsOf(rule("q", Field.missing("f"),
        question("v", "f", null, new Validator(ValidatorKind.REGEX, "[a-"), new ToTeam("sales")))));
    assertOneError("a pattern is only for regex validators, not email", errorsOf(rule("q", Field.missing("f"),
        question("v", "f", null, new Validator(ValidatorKind.EMAIL, ".*"), new ToTeam("sales")))));
  }

  @Test
  void aStepWithoutFallback() {
    assertOneError("rule 'q': ask 'ask-email': has no fallback", errorsOf(rule("q", emailMissing(),
        question("ask-email", "email", null, null, null))));
    assertOneError("rule 'l': lookup 'crm': has no fallback", errorsOf(rule("l", Field.missing("customerType"),
        new CrmLookup("crm", CrmLookup.Method.GET, "https://crm.example.com/x", Map.of(), null, Duration.ofSeconds(2),
            Map.of("customerType", "$.t"), null))));
    assertOneError("rule 'q': ask 'ask-email': fallback: unknown team 'gone'", errorsOf(rule("q", emailMissing(),
        question("ask-email", "email", null, null, new ToTeam("gone")))));
    assertOneError("rule 'q': ask 'ask-email': fallback: unknown agent 'bob'", errorsOf(rule("q", emailMissing(),
        question("ask-email", "email", null, null, new ToAgent("bob", "support")))));
  }

  @Test
  void badUrlTemplates() {
    Map<String, String> map = Map.of("customerType", "$.customerType");
    assertOneError("rule 'l': lookup 'crm': bad url template: '{{' at 32 is not closed",
        errorsOf(rule("l", Field.missing("customerType"), lookup("https://crm.example.com/c?email={{email", Map.of(), map))));
    assertOneError("bad url template: placeholder '{{e mail}}' is not a field name",
        errorsOf(rule("l", Field.missing("customerType"), lookup("https://crm.example.com/c?email={{e mail}}", Map.of(), map))));
    assertOneError("bad url template: the host '{{host}}' must be fixed text",
        errorsOf(rule("l", Field.missing("customerType"), lookup("https://{{host}}/c", Map.of(), map))));
    assertOneError("must start with https:// or http://",
        errorsOf(rule("l", Field.missing("customerType"), lookup("ftp://crm.example.com/c", Map.of(), map))));
    assertOneError("url is missing", errorsOf(rule("l", Field.missing("customerType"), lookup(null, Map.of(), map))));
    assertOneError("header 'X-Id': '{{' at 0 is not closed",
        errorsOf(rule("l", Field.missing("customerType"), lookup("https://crm.example.com/c", Map.of("X-Id", "{{id"), map))));
    assertOneError("header name 'Bad Header' is not a valid HTTP header name",
        errorsOf(rule("l", Field.missing("customerType"), lookup("https://crm.example.com/c", Map.of("Bad Header", "x"), map))));
    assertEquals(List.of(), errorsOf(rule("l", Field.missing("customerType"),
        lookup("http://crm.internal:8080/contacts/{{ phone }}?q={{email}}", Map.of("Authorization", "Bearer {{token}}"), map))));
  }

  @Test
  void badLookupShape() {
    Map<String, String> map = Map.of("customerType", "$.customerType");
    assertOneError("needs a method: GET or POST", errorsOf(rule("l", Field.missing("customerType"),
        new CrmLookup("crm", null, "https://c.example.com", Map.of(), null, Duration.ofSeconds(2), map, new ToTeam("sales")))));
    assertOneError("a GET request has no body", errorsOf(rule("l", Field.missing("customerType"),
        new CrmLookup("crm", CrmLookup.Method.GET, "https://c.example.com", Map.of(), "{}", Duration.ofSeconds(2), map,
            new ToTeam("sales")))));
    assertEquals(List.of(), errorsOf(rule("l", Field.missing("customerType"),
        new CrmLookup("crm", CrmLookup.Method.POST, "https://c.example.com", Map.of(), "{\"email\":\"{{email}}\"}",
            Duration.ofSeconds(2), map, new ToTeam("sales")))));
    assertOneError("timeout PT2M is longer than PT1M", errorsOf(rule("l", Field.missing("customerType"),
        new CrmLookup("crm", CrmLookup.Method.GET, "https://c.example.com", Map.of(), null, Duration.ofMinutes(2), map,
            new ToTeam("sales")))));
    assertOneError("maps no fields", errorsOf(rule("l", Field.missing("customerType"),
        lookup("https://c.example.com", Map.of(), Map.of()))));
  }

  @Test
  void aJsonPathThatDoesNotCompile() {
    assertOneError("rule 'l': lookup 'crm': map 'customerType': JSON path '$.customer[' does not compile",
        errorsOf(rule("l", Field.missing("customerType"),
            lookup("https://c.example.com", Map.of(), Map.of("customerType", "$.customer[")))));
    assertOneError("JSON path 'customerType' must start with '$'", errorsOf(rule("l", Field.missing("customerType"),
        lookup("https://c.example.com", Map.of(), Map.of("customerType", "customerType")))));
  }

  @Test
  void aStepWhoseRuleStillMatchesAfterItRanIsALoop() {
    assertOneError("rule 'ask': step 'ask-email' would loop: after it saves 'email' its rule still matches",
        errorsOf(rule("ask", BUY, askEmail())));
    assertOneError("rule 'ask': step 'ask-email' would loop", errorsOf(rule("ask", Field.missing("phone"), askEmail())));
    // an 'any' can bypass the guard
    assertOneError("rule 'ask': step 'ask-email' would loop", errorsOf(rule("ask",
        new Any(List.of(emailMissing(), BUY)), askEmail())));
    assertOneError("rule 'crm': step 'crm' would loop", errorsOf(rule("crm", Field.present("email"),
        lookup("https://c.example.com", Map.of(), Map.of("customerType", "$.customerType")))));
    // guarded at the top, inside (nested) alls, or as not-present
    assertEquals(List.of(), errorsOf(rule("ask", emailMissing(), askEmail())));
    assertEquals(List.of(), errorsOf(rule("ask", new All(List.of(BUY, new All(List.of(emailMissing())))), askEmail())));
    assertEquals(List.of(), errorsOf(rule("ask", new Not(Field.present("email")), askEmail())));
    assertEquals(List.of(), errorsOf(rule("crm", new All(List.of(Field.present("email"), Field.missing("crmId"))),
        lookup("https://c.example.com", Map.of(), Map.of("customerType", "$.t", "crmId", "$.id")))),
        "any field the lookup sets can guard it");
  }

  @Test
  void stepIdsAreUnique() {
    assertOneError("rule 'b': step id 'ask-email' is also used by rule 'a'", errors(
        rule("a", new All(List.of(BUY, emailMissing())), askEmail()),
        rule("b", emailMissing(), askEmail()),
        orElse("support")));
  }

  @Test
  void atMost200Rules() {
    List<Rule> many = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      many.add(rule("r" + i, BUY, new ToTeam("sales")));
    }
    many.add(orElse("support"));
    assertOneError("too many rules: 201 (at most 200)", RulesValidator.validate(new RoutingRules("UTC", many), TEAMS, AGENTS));
    many.remove(0);
    assertEquals(List.of(), RulesValidator.validate(new RoutingRules("UTC", many), TEAMS, AGENTS));
  }

  @Test
  void boundedStringLengths() {
    assertOneError("description is longer than 1000",
        RulesValidator.validate(new RoutingRules("d".repeat(1001), "UTC", List.of(orElse("support"))), TEAMS, AGENTS));
    assertOneError("keyword word 'wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww…' is longer than 100",
        errorsOf(rule("k", new Keyword(List.of("w".repeat(101))), new ToTeam("sales"))));
    assertOneError("text is longer than 1024", errorsOf(rule("q", Field.missing("f"),
        new Question("q", "f", "t".repeat(1025), null, null, 3, Duration.ofMinutes(1), null, new ToTeam("sales")))));
    assertOneError("setFields 'a' value is longer than 1024",
        errorsOf(rule("m", BUY, new SetFields(Map.of("a", "v".repeat(1025))), new ToTeam("sales"))));
  }

  @Test
  void everyErrorIsReportedAtOnce() {
    List<String> errors = errors(
        rule("a", new Condition.Regex("("), new ToTeam("nope")),
        rule("a", BUY, new ToAgent("bob", "sales")));
    assertEquals(5, errors.size(), errors::toString);
  }
}

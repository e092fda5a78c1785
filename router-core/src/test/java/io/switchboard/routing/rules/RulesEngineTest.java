package io.switchboard.routing.rules;

import static io.switchboard.routing.rules.Fixtures.ctx;
import static io.switchboard.routing.rules.Fixtures.orElse;
import static io.switchboard.routing.rules.Fixtures.rule;
import static io.switchboard.routing.rules.Fixtures.rules;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.routing.rules.Action.Pool;
import io.switchboard.routing.rules.Action.PreviousAgent;
import io.switchboard.routing.rules.Action.SetFields;
import io.switchboard.routing.rules.Action.SetPriority;
import io.switchboard.routing.rules.Action.Tag;
import io.switchboard.routing.rules.Action.ToAgent;
import io.switchboard.routing.rules.Action.ToTeam;
import io.switchboard.routing.rules.Condition.Field;
import io.switchboard.routing.rules.Condition.Keyword;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RulesEngineTest {

  static final Question ASK_EMAIL = new Question("ask-email", "email", "Your email?", null,
      new Question.Validator(Question.ValidatorKind.EMAIL, null), 3, Duration.ofMinutes(5), null,
      new ToAgent("manager", "support"));
  static final CrmLookup LOOKUP = new CrmLookup("crm", CrmLookup.Method.GET, "https://crm.example.com/c?email={{email}}",
      Map.of(), null, Duration.ofSeconds(2), Map.of("customerType", "$.customerType"), new ToTeam("support"));

  private static Decision.Route route(Decision d) {
    return assertInstanceOf(Decision.Route.class, d);
  }

  @Test
  void theFirstMatchingRuleDecides() {
    RoutingRules r = rules(
        rule("sales", new Keyword(List.of("buy")), new ToTeam("sales")),
        rule("also-sales", new Keyword(List.of("buy", "sell")), new ToTeam("other")),
        orElse("support"));
    Decision.Route d = route(RulesEngine.decide(r, ctx("I want to BUY").build()));
    assertEquals("sales", d.rule());
    assertEquals(new ToTeam("sales"), d.action());
    assertEquals("rule 'sales': matched keyword 'buy'", d.reason());
    assertEquals("also-sales", route(RulesEngine.decide(r, ctx("sell").build())).rule());
  }

  @Test
  void theElseRuleTakesTheRestWithAVisibleReason() {
    RoutingRules r = rules(rule("sales", new Keyword(List.of("buy")), new ToTeam("sales")), orElse("supervisors"));
    Decision.Route d = route(RulesEngine.decide(r, ctx("hello").build()));
    assertEquals("else", d.rule());
    assertEquals("supervisors", d.action().team());
    assertEquals("rule 'else': no other rule matched", d.reason());
  }

  @Test
  void everyTerminalActionComesBackAsTheRoute() {
    for (Action.Terminal t : List.of(new ToTeam("sales", Map.of("spanish", 3)), new ToAgent("maria", "sales"),
        new Pool("concierge"), new PreviousAgent("support"))) {
      Decision.Route d = route(RulesEngine.decide(rules(rule("else", new Condition.Always(), t)), ctx("").build()));
      assertEquals(t, d.action());
    }
    assertEquals("sales", new ToAgent("maria", "sales").team(), "an agent's route falls back to its team");
  }

  @Test
  void modifiersBeforeTheRouteSetPriorityFieldsAndTags() {
    RoutingRules r = rules(rule("else", new Condition.Always(),
        new SetPriority(40), new SetFields(Map.of("segment", "vip")), new Tag(List.of("vip", "hot")),
        new SetFields(Map.of("segment", "gold", "source", "rules")), new Tag(List.of("vip")), new SetPriority(60),
        new ToTeam("vip")));
    Decision.Route d = route(RulesEngine.decide(r, ctx("").priority(5).build()));
    assertEquals(60, d.priority(), "the last setPriority wins");
    assertEquals(Map.of("segment", "gold", "source", "rules"), d.setFields(), "later fields win");
    assertEquals(Set.of("vip", "hot"), d.tags());
    assertEquals(List.of("vip", "hot"), new ArrayList<>(d.tags()), "tags in the order first given");
  }

  @Test
  void withoutSetPriorityTheConversationKeepsItsPriority() {
    Decision.Route d = route(RulesEngine.decide(rules(orElse("support")), ctx("").priority(7).build()));
    assertEquals(7, d.priority());
    assertEquals(Map.of(), d.setFields());
    assertEquals(Set.of(), d.tags());
  }

  @Test
  void aQuestionRuleAsksWithItsModifiers() {
    RoutingRules r = rules(
        rule("ask", Field.missing("email"), new Tag(List.of("asked")), new SetPriority(3), ASK_EMAIL),
        orElse("support"));
    Decision.Ask d = assertInstanceOf(Decision.Ask.class, RulesEngine.decide(r, ctx("hi").build()));
    assertEquals("ask", d.rule());
    assertEquals(ASK_EMAIL, d.question());
    assertEquals(3, d.priority());
    assertEquals(Set.of("asked"), d.tags());
    assertEquals("rule 'ask': matched email missing", d.reason());
    assertEquals("else", route(RulesEngine.decide(r, ctx("hi").field("email", "a@b.co").build())).rule());
  }

  @Test
  void aLookupRuleLooksUp() {
    RoutingRules r = rules(
        rule("crm", new Condition.All(List.of(Field.present("email"), Field.missing("customerType"))), LOOKUP),
        orElse("support"));
    Decision.Lookup d = assertInstanceOf(Decision.Lookup.class,
        RulesEngine.decide(r, ctx("").field("email", "a@b.co").build()));
    assertEquals(LOOKUP, d.lookup());
    assertEquals("rule 'crm': matched email present and customerType missing", d.reason());
  }

  @Test
  void aDoneStepIsSkippedAsIfItsRuleDidNotMatch() {
    // the CRM answered without customerType: the rule still matches, only stepsDone stops the loop
    RoutingRules r = rules(
        rule("crm", new Condition.All(List.of(Field.present("email"), Field.missing("customerType"))), LOOKUP),
        rule("ask", Field.missing("email"), ASK_EMAIL),
        orElse("support"));
    Decision.Route d = route(RulesEngine.decide(r, ctx("").field("email", "a@b.co").done("crm").build()));
    assertEquals("else", d.rule());
    assertEquals("rule 'else': no other rule matched (steps already done: crm)", d.reason());
    assertInstanceOf(Decision.Ask.class, RulesEngine.decide(r, ctx("").done("crm").build()),
        "only the done step is skipped");
  }

  @Test
  void contextAfterAStepAddsFieldsAndMarksItDone() {
    RulesEngine.Context c = ctx("x").field("a", "1").build().after("s1", Map.of("b", "2", "a", "3"));
    assertEquals(Map.of("a", "3", "b", "2"), c.fields());
    assertEquals(Set.of("s1"), c.stepsDone());
    assertEquals("x", c.text());
  }

  @Test
  void neverThrowsOnNonsense() {
    assertInstanceOf(Decision.Unrouted.class, RulesEngine.decide(null, ctx("").build()));
    assertInstanceOf(Decision.Unrouted.class, RulesEngine.decide(rules(), ctx("").build()));
    assertInstanceOf(Decision.Unrouted.class, RulesEngine.decide(rules(orElse("x")), null));
    Decision d = RulesEngine.decide(new RoutingRules(null, "Not/AZone", Arrays.asList(
        null,
        new Rule(null, null, null),
        new Rule("no-then", new Condition.Always(), List.of()),
        new Rule("only-tag", new Condition.Always(), List.of(new Tag(List.of("x")))),
        new Rule("null-action", new Condition.Always(), Arrays.asList((Action) null)),
        rule("bad-step", new Condition.Always(), new Question(null, null, null, null, null, null, null, null, null)),
        rule("time", new Condition.Time(Arrays.asList((String) null), null, null), new ToTeam("t")),
        rule("field", new Field(null, null, null), new ToTeam("t")))),
        new RulesEngine.Context(null, null, null, null, false, 0, null, null));
    Decision.Ask ask = assertInstanceOf(Decision.Ask.class, d, "the first usable rule");
    assertEquals("bad-step", ask.rule());
    Decision none = RulesEngine.decide(rules(rule("sales", new Keyword(List.of("buy")), new ToTeam("sales"))),
        ctx("hello").build());
    assertTrue(none.reason().contains("no else rule"), none.reason());
  }
}

package io.switchboard.routing.rules;

import static io.switchboard.routing.rules.Fixtures.JSON;
import static io.switchboard.routing.rules.Fixtures.ctx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.routing.rules.Action.PreviousAgent;
import io.switchboard.routing.rules.Action.ToAgent;
import io.switchboard.routing.rules.Action.ToTeam;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The example rules users copy from {@code examples/rules/}: each one is valid and routes its
 * reference scenario as its description says, and none leaves a conversation undecided.
 */
class ExampleRulesTest {

  /** Tests run in the module's directory. */
  static final Path DIR = Path.of("../examples/rules");

  /** The tenant the examples are written for. */
  static final Set<String> TEAMS = Set.of("sales", "support", "residential", "commercial", "luxury", "concierge",
      "english", "spanish", "day", "night", "onboarding", "vip", "sales-en", "support-es", "triage", "billing",
      "supervisors");
  static final Set<String> AGENTS = Set.of("manager");

  static final List<String> EXPECTED = List.of("01-round-robin.json", "02-skill-menu.json", "03-cherry-pick-pool.json",
      "04-function-menu.json", "05-language.json", "06-shifts.json", "07-new-vs-returning.json", "08-vip-crm.json",
      "09-multi-condition.json", "10-else-supervisor.json", "priority.json", "keyword-filter.json");

  static List<Path> files() {
    try (Stream<Path> s = Files.list(DIR)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static RoutingRules load(String name) {
    try {
      return JSON.readValue(DIR.resolve(name).toFile(), RoutingRules.class);
    } catch (IOException e) {
      throw new UncheckedIOException(name, e);
    }
  }

  static Decision decide(String file, Fixtures.Ctx ctx) {
    return RulesEngine.decide(load(file), ctx.build());
  }

  static Decision.Route route(Decision d) {
    return assertInstanceOf(Decision.Route.class, d, () -> "expected a route, got " + d);
  }

  static Decision.Route route(String file, Fixtures.Ctx ctx) {
    return route(decide(file, ctx));
  }

  // ---- every file -------------------------------------------------------------------------------

  @Test
  void everyExampleIsThereDescribedAndValid() throws IOException {
    Set<String> names = files().stream().map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    assertTrue(names.containsAll(EXPECTED), () -> "missing examples: " + EXPECTED + " vs " + names);
    for (Path file : files()) {
      JsonNode tree = JSON.readTree(file.toFile());
      assertEquals("description", tree.fieldNames().next(), file + ": the description comes first");
      RoutingRules rules = JSON.readValue(file.toFile(), RoutingRules.class);
      assertFalse(rules.description() == null || rules.description().isBlank(), file + " has a description");
      assertEquals(List.of(), RulesValidator.validate(rules, TEAMS, AGENTS), file.toString());
    }
  }

  // ---- the scenarios ----------------------------------------------------------------------------

  @Test
  void s01RoundRobinSendsEverythingToSales() {
    Decision.Route r = route("01-round-robin.json", ctx("hello"));
    assertEquals(new ToTeam("sales"), r.action());
    assertEquals("rule 'else': no other rule matched", r.reason());
    assertEquals(new ToTeam("sales"), route("01-round-robin.json", ctx("").channel("webchat").returning(true)).action());
  }

  @Test
  void s02SkillMenuAsksThenRoutesToTheMatchingTeam() {
    Decision.Ask ask = assertInstanceOf(Decision.Ask.class, decide("02-skill-menu.json", ctx("Hi, I'm looking for a flat")));
    Question q = ask.question();
    assertEquals("Welcome to Acme Real Estate! Are you looking for Residential, Commercial or Luxury property?", q.text());
    assertEquals(List.of("residential", "commercial", "luxury"),
        q.options().stream().map(Question.Option::id).collect(Collectors.toList()));
    // a timeout asks again, up to three times, then team sales
    assertEquals(2, assertInstanceOf(Answers.Retry.class, Answers.timedOut(q, 1)).nextAttempt());
    assertEquals(new ToTeam("sales"), assertInstanceOf(Answers.GiveUp.class, Answers.timedOut(q, 3)).fallback());
    // "luxury" by title
    String luxury = assertInstanceOf(Answers.Accepted.class, Answers.check(q, "Luxury", 1)).value();
    RulesEngine.Context next = ctx("Luxury").build().after(q.id(), Map.of(q.field(), luxury));
    Decision.Route r = route(RulesEngine.decide(load("02-skill-menu.json"), next));
    assertEquals(new ToTeam("luxury"), r.action());
    assertEquals(20, r.priority());
    // "2" by number after a wrong answer
    assertInstanceOf(Answers.Retry.class, Answers.check(q, "a house", 1));
    String commercial = assertInstanceOf(Answers.Accepted.class, Answers.check(q, "2", 2)).value();
    assertEquals(new ToTeam("commercial"),
        route("02-skill-menu.json", ctx("2").field("segment", commercial).done(q.id())).action());
    // a returning contact whose segment is known is not asked again
    assertEquals(new ToTeam("residential"),
        route("02-skill-menu.json", ctx("hi again").returning(true).field("segment", "residential")).action());
  }

  @Test
  void s03CherryPickLeavesEverythingInTheConciergePool() {
    assertEquals(new Action.Pool("concierge"), route("03-cherry-pick-pool.json", ctx("hello")).action());
  }

  @Test
  void s04FunctionMenuSalesOrSupport() {
    Decision.Route direct = route("04-function-menu.json", ctx("What is the PRICE of the pro plan?"));
    assertEquals(new ToTeam("sales"), direct.action());
    assertEquals(Map.of("function", "sales"), direct.setFields(), "remembered for next time");
    Decision.Ask ask = assertInstanceOf(Decision.Ask.class, decide("04-function-menu.json", ctx("hello")));
    String answer = assertInstanceOf(Answers.Accepted.class, Answers.check(ask.question(), "support", 1)).value();
    assertEquals(new ToTeam("support"),
        route("04-function-menu.json", ctx("support").field("function", answer).done("function-menu")).action());
    assertEquals(new ToTeam("sales"), route("04-function-menu.json", ctx("hi").field("function", "sales")).action());
  }

  @Test
  void s05LanguageRoutingRemembersTheLanguage() {
    Decision.Route en = route("05-language.json", ctx("hello").hint("en"));
    assertEquals(new ToTeam("english"), en.action());
    assertEquals(Map.of("language", "en"), en.setFields());
    Decision.Route es = route("05-language.json", ctx("hola").hint("es-MX"));
    assertEquals(new ToTeam("spanish"), es.action());
    assertEquals(Map.of("language", "es"), es.setFields());
    // remembered: the field wins over a later hint
    assertEquals(new ToTeam("spanish"), route("05-language.json", ctx("ok").field("language", "es").hint("en")).action());
    // unknown: the contact picks
    Decision.Ask ask = assertInstanceOf(Decision.Ask.class, decide("05-language.json", ctx("👍")));
    String picked = assertInstanceOf(Answers.Accepted.class, Answers.check(ask.question(), "español", 1)).value();
    assertEquals(new ToTeam("spanish"),
        route("05-language.json", ctx("español").field("language", picked).done("language-menu")).action());
    // a remembered language without a team of its own goes to the else team
    assertEquals(new ToTeam("english"), route("05-language.json", ctx("olá").field("language", "pt")).action());
  }

  @Test
  void s06ShiftsFollowSaoPauloTime() {
    // Sao Paulo is UTC-3 all year
    String f = "06-shifts.json";
    assertEquals(new ToTeam("day"), route(f, ctx("hi").now("2024-06-12T14:00:00Z")).action(), "11:00 local");
    assertEquals(new ToTeam("day"), route(f, ctx("hi").now("2024-06-12T11:00:00Z")).action(), "08:00 local");
    assertEquals(new ToTeam("day"), route(f, ctx("hi").now("2024-06-12T22:59:59Z")).action(), "19:59:59 local");
    assertEquals(new ToTeam("night"), route(f, ctx("hi").now("2024-06-12T23:00:00Z")).action(), "20:00 local");
    assertEquals(new ToTeam("night"), route(f, ctx("hi").now("2024-06-13T03:30:00Z")).action(), "00:30 local");
    assertEquals(new ToTeam("night"), route(f, ctx("hi").now("2024-06-13T10:59:59Z")).action(), "07:59:59 local");
    assertEquals("night-shift", route(f, ctx("hi").now("2024-06-16T02:00:00Z")).rule(), "Saturday 23:00 local");
  }

  @Test
  void s07ReturningContactsGoBackToTheirAgent() {
    Decision.Route back = route("07-new-vs-returning.json", ctx("hi again").returning(true));
    assertEquals(new PreviousAgent("support"), back.action());
    Decision.Route fresh = route("07-new-vs-returning.json", ctx("hi").returning(false));
    assertEquals(new ToTeam("onboarding"), fresh.action());
    assertEquals(Set.of("new-contact"), fresh.tags());
  }

  @Test
  void s08VipThroughTheCrm() {
    String f = "08-vip-crm.json";
    // no email: ask for it
    Decision.Ask ask = assertInstanceOf(Decision.Ask.class, decide(f, ctx("hello")));
    Question q = ask.question();
    assertEquals(Question.ValidatorKind.EMAIL, q.validator().kind());
    assertEquals(4, q.maxAttempts());
    // invalid answers are retried three times; the fourth: agent manager
    assertInstanceOf(Answers.Retry.class, Answers.check(q, "my email?", 1));
    assertInstanceOf(Answers.Retry.class, Answers.check(q, "ana at example", 2));
    assertInstanceOf(Answers.Retry.class, Answers.check(q, "ana@", 3));
    Answers.GiveUp giveUp = assertInstanceOf(Answers.GiveUp.class, Answers.check(q, "no", 4));
    assertEquals(new ToAgent("manager", "support"), giveUp.fallback());
    // a valid answer: look the contact up
    String email = assertInstanceOf(Answers.Accepted.class, Answers.check(q, "ana@example.com", 1)).value();
    RulesEngine.Context afterAsk = ctx("ana@example.com").build().after(q.id(), Map.of("email", email));
    Decision.Lookup lookup = assertInstanceOf(Decision.Lookup.class, RulesEngine.decide(load(f), afterAsk));
    CrmLookup l = lookup.lookup();
    assertEquals("https://crm.example.com/api/contacts?email=ana%40example.com",
        Templates.render(l.url(), afterAsk.fields()).text());
    assertEquals(new ToTeam("support"), l.fallback(), "CRM slow or down: support");
    // the CRM says VIP
    JsonMapping.Result mapped = JsonMapping.apply(l.map(), "{\"id\": \"c-17\", \"customerType\": \"VIP\", \"name\": \"Ana\"}");
    assertEquals(Map.of("customerType", "VIP", "crmId", "c-17"), mapped.fields());
    Decision.Route vip = route(RulesEngine.decide(load(f), afterAsk.after(l.id(), mapped.fields())));
    assertEquals(new ToTeam("vip"), vip.action());
    assertEquals(50, vip.priority());
    assertEquals(Set.of("vip"), vip.tags());
    assertEquals("rule 'vip': matched customerType equals 'VIP'", vip.reason());
    // a regular customer, or one the CRM does not know: support
    assertEquals(new ToTeam("support"), route(RulesEngine.decide(load(f),
        afterAsk.after(l.id(), JsonMapping.apply(l.map(), "{\"customerType\": \"regular\"}").fields()))).action());
    Decision.Route unknown = route(RulesEngine.decide(load(f),
        afterAsk.after(l.id(), JsonMapping.apply(l.map(), "{\"id\": \"c-18\"}").fields())));
    assertEquals(new ToTeam("support"), unknown.action());
    assertTrue(unknown.reason().contains("steps already done: crm-customer"), unknown.reason());
    // an email known from the start: straight to the lookup
    assertInstanceOf(Decision.Lookup.class, decide(f, ctx("hi").field("email", "bo@example.com")));
    // a VIP known from the start: straight to vip
    assertEquals(new ToTeam("vip"),
        route(f, ctx("hi").field("email", "bo@example.com").field("customerType", "vip")).action());
  }

  @Test
  void s09EnglishSalesAndSpanishSupport() {
    String f = "09-multi-condition.json";
    assertEquals(new ToTeam("sales-en"), route(f, ctx("What's the price of it?").hint("en")).action());
    assertEquals(new ToTeam("support-es"), route(f, ctx("Mi teléfono NO  funciona").hint("es")).action());
    assertEquals(new ToTeam("support-es"), route(f, ctx("necesito ayuda").field("language", "es")).action());
    assertEquals(new ToTeam("triage"), route(f, ctx("help").hint("en")).action(), "English, not buying");
    assertEquals(new ToTeam("triage"), route(f, ctx("quiero comprar").hint("es")).action(), "Spanish, not a problem");
    assertEquals(new ToTeam("triage"), route(f, ctx("price").hint("es")).action(), "buying, but in Spanish");
  }

  @Test
  void s10TheRestLandsWithSupervisorsWithAReason() {
    String f = "10-else-supervisor.json";
    assertEquals(new ToTeam("billing"), route(f, ctx("My INVOICE is wrong")).action());
    Decision.Route r = route(f, ctx("??"));
    assertEquals(new ToTeam("supervisors"), r.action());
    assertEquals("else", r.rule());
    assertEquals("rule 'else': no other rule matched", r.reason());
    assertEquals(Set.of("unmatched"), r.tags());
  }

  @Test
  void priorityGoesAheadForUrgentAndVip() {
    Decision.Route urgent = route("priority.json", ctx("URGENT: nothing works").priority(0));
    assertEquals(90, urgent.priority());
    assertEquals(Set.of("urgent"), urgent.tags());
    assertEquals(new ToTeam("support"), urgent.action());
    assertEquals(90, route("priority.json", ctx("hi").field("customerType", "VIP")).priority());
    Decision.Route normal = route("priority.json", ctx("hi").priority(10));
    assertEquals(10, normal.priority(), "others keep their priority");
    assertEquals(Set.of(), normal.tags());
  }

  @Test
  void keywordFilterLetsOnlyKeywordsIntoTheFlow() {
    String f = "keyword-filter.json";
    assertEquals(new ToTeam("support"), route(f, ctx("hello")).action());
    Decision.Ask ask = assertInstanceOf(Decision.Ask.class, decide(f, ctx("Can I get a DEMO?")));
    assertEquals(Map.of("flow", "demo"), ask.setFields(), "the contact is in the flow from now on");
    // the answer itself has no keyword: the flow field carries the contact through
    String email = assertInstanceOf(Answers.Accepted.class, Answers.check(ask.question(), "ana@example.com", 1)).value();
    Decision.Route r = route(f, ctx("ana@example.com").field("flow", "demo").field("email", email).done("demo-email"));
    assertEquals(new ToTeam("sales"), r.action());
    assertEquals(Set.of("demo"), r.tags());
    assertEquals(new ToTeam("sales"), route(f, ctx("free trial please").field("email", "bo@example.com")).action());
    assertEquals(new ToTeam("sales"), route(f, ctx("hi again").field("flow", "demo").field("email", "bo@example.com")).action());
  }

  // ---- random contexts --------------------------------------------------------------------------

  static final List<String> TEXTS = List.of("", "hello", "buy now", "price?", "DEMO", "free trial", "urgent!!",
      "necesito ayuda", "mi app no funciona", "invoice 42", "Luxury", "2", "ana@example.com", "🙂", "x".repeat(5000),
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!");
  static final List<String> CHANNELS = java.util.Arrays.asList("whatsapp", "webchat", "sms", null);
  static final List<String> HINTS = java.util.Arrays.asList(null, "", "en", "es", "es-MX", "pt", "EN");
  static final Map<String, List<String>> FIELD_VALUES = Map.of(
      "email", List.of("ana@example.com", "", "not-an-email"),
      "customerType", List.of("VIP", "vip", "regular", ""),
      "segment", List.of("residential", "commercial", "luxury", "farm"),
      "function", List.of("sales", "support", "other"),
      "language", List.of("en", "es", "pt", " "),
      "flow", List.of("demo", "other"),
      "crmId", List.of("c-1"));

  /**
   * For random messages and contacts, every example decides (never throws, never null, never
   * unrouted), never repeats a done step, and a whole flow (answering or failing each step, the
   * CRM answering or not) ends in a route within one decision per step plus one.
   */
  @Test
  void randomContextsAlwaysGetADecisionAndFlowsEnd() {
    long seed = System.nanoTime();
    java.util.Random random = new java.util.Random(seed);
    for (Path file : files()) {
      RoutingRules rules = load(file.getFileName().toString());
      List<String> stepIds = rules.rules().stream().map(Rule::decisive).filter(a -> a instanceof Action.Step)
          .map(a -> ((Action.Step) a).id()).collect(Collectors.toList());
      for (int i = 0; i < 500; i++) {
        RulesEngine.Context c = randomContext(random, stepIds);
        String where = file.getFileName() + " seed " + seed + " context " + c;
        int decisions = 0;
        while (true) {
          Decision d = RulesEngine.decide(rules, c);
          decisions++;
          assertNotNull(d, where);
          assertFalse(d instanceof Decision.Unrouted, where);
          assertFalse(d.reason() == null || d.reason().isBlank(), where);
          assertTrue(decisions <= stepIds.size() + 1, () -> where + ": a loop");
          if (d instanceof Decision.Route r) {
            assertTrue(TEAMS.contains(r.action().team()), where);
            break;
          }
          Action.Step step = d instanceof Decision.Ask a ? a.question() : ((Decision.Lookup) d).lookup();
          assertFalse(c.stepsDone().contains(step.id()), where);
          if (random.nextInt(4) == 0) {
            assertTrue(TEAMS.contains(step.fallback().team()), where);
            break;
          }
          c = c.after(step.id(), stepResult(random, step));
        }
      }
    }
  }

  private static Map<String, String> stepResult(java.util.Random random, Action.Step step) {
    Map<String, String> fields = new HashMap<>();
    if (step instanceof Question q) {
      String answer = q.hasOptions() ? q.options().get(random.nextInt(q.options().size())).title() : "ana@example.com";
      if (Answers.check(q, answer, 1) instanceof Answers.Accepted a) {
        fields.put(q.field(), a.value());
      }
    } else if (step instanceof CrmLookup l) {
      for (String field : l.map().keySet()) {
        if (random.nextBoolean()) {
          List<String> values = FIELD_VALUES.getOrDefault(field, List.of("x"));
          fields.put(field, values.get(random.nextInt(values.size())));
        }
      }
    }
    return fields;
  }

  private static RulesEngine.Context randomContext(java.util.Random random, List<String> stepIds) {
    Map<String, String> fields = new HashMap<>();
    FIELD_VALUES.forEach((field, values) -> {
      if (random.nextInt(3) == 0) {
        fields.put(field, values.get(random.nextInt(values.size())));
      }
    });
    Set<String> done = new HashSet<>();
    for (String id : stepIds) {
      if (random.nextInt(3) == 0) {
        done.add(id);
      }
    }
    Instant now = random.nextInt(20) == 0 ? null
        : Instant.parse("2024-01-01T00:00:00Z").plusSeconds(random.nextInt(366 * 24 * 3600));
    return new RulesEngine.Context(TEXTS.get(random.nextInt(TEXTS.size())), CHANNELS.get(random.nextInt(CHANNELS.size())),
        fields, HINTS.get(random.nextInt(HINTS.size())), random.nextBoolean(), random.nextInt(101), now,
        done);
  }
}

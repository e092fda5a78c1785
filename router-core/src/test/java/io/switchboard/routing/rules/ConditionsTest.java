package io.switchboard.routing.rules;

import static io.switchboard.routing.rules.Fixtures.ctx;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.routing.rules.Condition.All;
import io.switchboard.routing.rules.Condition.Always;
import io.switchboard.routing.rules.Condition.Any;
import io.switchboard.routing.rules.Condition.Channel;
import io.switchboard.routing.rules.Condition.Contact;
import io.switchboard.routing.rules.Condition.ContactKind;
import io.switchboard.routing.rules.Condition.Field;
import io.switchboard.routing.rules.Condition.FieldOp;
import io.switchboard.routing.rules.Condition.Keyword;
import io.switchboard.routing.rules.Condition.Language;
import io.switchboard.routing.rules.Condition.Not;
import io.switchboard.routing.rules.Condition.Priority;
import io.switchboard.routing.rules.Condition.Regex;
import io.switchboard.routing.rules.Condition.Time;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {

  private static boolean holds(Condition c, Fixtures.Ctx ctx) {
    return RulesEngine.holds(c, ctx.build(), "UTC");
  }

  private static boolean holdsIn(String zone, Condition c, Fixtures.Ctx ctx) {
    return RulesEngine.holds(c, ctx.build(), zone);
  }

  @Test
  void alwaysHolds() {
    assertTrue(holds(new Always(), ctx("")));
  }

  @Test
  void keywordIsAnyWordAnywhereIgnoringCase() {
    Keyword k = new Keyword(List.of("price", "Comprar"));
    assertTrue(holds(k, ctx("What is the PRICE?")));
    assertTrue(holds(k, ctx("quiero comprar una casa")));
    assertTrue(holds(k, ctx("prices please")), "a substring, not a whole word");
    assertFalse(holds(k, ctx("hello")));
    assertFalse(holds(k, ctx("")));
    assertFalse(holds(new Keyword(List.of(" ")), ctx("anything")), "a blank word matches nothing");
  }

  @Test
  void regexIsFoundInTheText() {
    assertTrue(holds(new Regex("order #?\\d{5}"), ctx("about order #12345 please")));
    assertFalse(holds(new Regex("order #?\\d{5}"), ctx("about ORDER 12345")), "case-sensitive unless (?i)");
    assertTrue(holds(new Regex("(?i)order #?\\d{5}"), ctx("about ORDER 12345")));
    assertFalse(holds(new Regex("(unclosed"), ctx("(unclosed")), "a bad pattern matches nothing");
  }

  @Test
  void aCatastrophicRegexGivesNoMatchInsteadOfHanging() {
    String text = "a".repeat(40) + "!";
    long start = System.nanoTime();
    assertFalse(holds(new Regex("^(a+)+$"), ctx(text)));
    assertTrue(System.nanoTime() - start < 5_000_000_000L, "bounded by the character budget");
  }

  @Test
  void channelIsOneOf() {
    Channel c = new Channel(List.of("whatsapp", "webchat"));
    assertTrue(holds(c, ctx("").channel("WhatsApp")));
    assertTrue(holds(c, ctx("").channel("webchat")));
    assertFalse(holds(c, ctx("").channel("sms")));
    assertFalse(holds(c, ctx("").channel(null)));
  }

  @Test
  void fieldEqualsIgnoresCaseAndSpaces() {
    Field vip = Field.equalTo("customerType", "VIP");
    assertTrue(holds(vip, ctx("").field("customerType", " vip ")));
    assertFalse(holds(vip, ctx("").field("customerType", "regular")));
    assertFalse(holds(vip, ctx("")), "false when missing");
  }

  @Test
  void fieldOneOf() {
    Field f = new Field("plan", FieldOp.ONE_OF, List.of("gold", "platinum"));
    assertTrue(holds(f, ctx("").field("plan", "Gold")));
    assertTrue(holds(f, ctx("").field("plan", "platinum")));
    assertFalse(holds(f, ctx("").field("plan", "silver")));
    assertFalse(holds(f, ctx("")));
  }

  @Test
  void fieldPresentAndMissingTreatBlankAsMissing() {
    assertTrue(holds(Field.present("email"), ctx("").field("email", "a@b.co")));
    assertFalse(holds(Field.present("email"), ctx("").field("email", "  ")));
    assertFalse(holds(Field.present("email"), ctx("")));
    assertTrue(holds(Field.missing("email"), ctx("")));
    assertTrue(holds(Field.missing("email"), ctx("").field("email", "")));
    assertFalse(holds(Field.missing("email"), ctx("").field("email", "a@b.co")));
  }

  @Test
  void languageFieldWinsOverTheHint() {
    Language es = new Language(List.of("es"));
    assertTrue(holds(es, ctx("").hint("es")));
    assertTrue(holds(es, ctx("").hint("es-MX")), "a regional variant matches its language");
    assertTrue(holds(es, ctx("").hint("ES_ar")));
    assertFalse(holds(es, ctx("").hint("est")), "a prefix is not a language");
    assertTrue(holds(es, ctx("").field("language", "es").hint("en")), "the remembered language wins");
    assertFalse(holds(es, ctx("").field("language", "en").hint("es")));
    assertFalse(holds(es, ctx("")), "unknown language");
  }

  @Test
  void contactNewOrReturning() {
    assertTrue(holds(new Contact(ContactKind.NEW), ctx("").returning(false)));
    assertFalse(holds(new Contact(ContactKind.NEW), ctx("").returning(true)));
    assertTrue(holds(new Contact(ContactKind.RETURNING), ctx("").returning(true)));
    assertFalse(holds(new Contact(ContactKind.RETURNING), ctx("").returning(false)));
    assertFalse(holds(new Contact(null), ctx("")));
  }

  @Test
  void timeIsLocalToTheRulesZone() {
    Time office = new Time(List.of("MON", "tuesday", "Wed", "THU", "FRI"), "09:00", "18:00");
    // Wednesday 2024-06-12; Sao Paulo is UTC-3
    assertFalse(holdsIn("America/Sao_Paulo", office, ctx("").now("2024-06-12T11:59:59Z")), "08:59 local");
    assertTrue(holdsIn("America/Sao_Paulo", office, ctx("").now("2024-06-12T12:00:00Z")), "09:00 local");
    assertTrue(holdsIn("America/Sao_Paulo", office, ctx("").now("2024-06-12T20:59:59Z")), "17:59 local");
    assertFalse(holdsIn("America/Sao_Paulo", office, ctx("").now("2024-06-12T21:00:00Z")), "18:00, end exclusive");
    assertTrue(holdsIn("UTC", office, ctx("").now("2024-06-12T17:30:00Z")));
    assertFalse(holdsIn("America/Sao_Paulo", office, ctx("").now("2024-06-15T14:00:00Z")), "Saturday");
  }

  @Test
  void timeFollowsDaylightSaving() {
    Time morning = new Time(List.of(), "09:00", "10:00");
    // Berlin: UTC+1 in winter, UTC+2 in summer
    assertTrue(holdsIn("Europe/Berlin", morning, ctx("").now("2024-01-10T08:30:00Z")));
    assertFalse(holdsIn("Europe/Berlin", morning, ctx("").now("2024-07-10T08:30:00Z")));
    assertTrue(holdsIn("Europe/Berlin", morning, ctx("").now("2024-07-10T07:30:00Z")));
  }

  @Test
  void aShiftCanEndAtMidnight() {
    Time late = new Time(List.of("WED"), "18:00", "00:00");
    assertTrue(holds(late, ctx("").now("2024-06-12T23:59:59Z")));
    assertFalse(holds(late, ctx("").now("2024-06-13T00:00:00Z")), "Thursday 00:00 is past the shift");
    assertTrue(holds(new Time(List.of(), "00:00", "00:00"), ctx("").now("2024-06-13T00:00:00Z")), "all day");
    assertTrue(holds(new Time(List.of("WED"), "18:00", "24:00"), ctx("").now("2024-06-12T23:00:00Z")));
  }

  @Test
  void aShiftOverMidnightRunsIntoTheNextDay() {
    Time night = new Time(List.of("FRI"), "22:00", "06:00");
    assertTrue(holds(night, ctx("").now("2024-06-14T23:00:00Z")), "Friday 23:00");
    assertTrue(holds(night, ctx("").now("2024-06-15T05:59:00Z")), "Saturday 05:59, the same shift");
    assertFalse(holds(night, ctx("").now("2024-06-15T06:00:00Z")), "Saturday 06:00");
    assertFalse(holds(night, ctx("").now("2024-06-14T05:00:00Z")), "Friday 05:00 belongs to Thursday's shift");
  }

  @Test
  void timeIsFalseWithoutAClockOrWithABadConfiguration() {
    assertFalse(holds(new Time(List.of(), "00:00", "00:00"), ctx("").now((java.time.Instant) null)));
    assertFalse(holds(new Time(List.of("FUNDAY"), "09:00", "18:00"), ctx("")));
    assertFalse(holds(new Time(List.of(), "9am", "18:00"), ctx("")));
    assertFalse(holds(new Time(List.of(), "12:00", "12:00"), ctx("")));
    assertFalse(holdsIn("Mars/Olympus", new Time(List.of(), "00:00", "00:00"), ctx("")));
  }

  @Test
  void priorityWithinBounds() {
    assertTrue(holds(new Priority(5, null), ctx("").priority(5)));
    assertFalse(holds(new Priority(5, null), ctx("").priority(4)));
    assertTrue(holds(new Priority(null, 10), ctx("").priority(0)));
    assertFalse(holds(new Priority(null, 10), ctx("").priority(11)));
    assertTrue(holds(new Priority(3, 3), ctx("").priority(3)));
  }

  @Test
  void allAnyAndNotCombine() {
    Condition buy = new Keyword(List.of("buy"));
    Condition wa = new Channel(List.of("whatsapp"));
    assertTrue(holds(new All(List.of(buy, wa)), ctx("buy now")));
    assertFalse(holds(new All(List.of(buy, wa)), ctx("buy now").channel("sms")));
    assertFalse(holds(new All(List.of()), ctx("")), "all of nothing is refused, and false");
    assertTrue(holds(new Any(List.of(buy, wa)), ctx("hello")));
    assertFalse(holds(new Any(List.of(buy, wa)), ctx("hello").channel("sms")));
    assertFalse(holds(new Any(List.of()), ctx("")));
    assertTrue(holds(new Not(buy), ctx("hello")));
    assertFalse(holds(new Not(buy), ctx("buy")));
    assertFalse(holds(new Not(null), ctx("")));
    assertTrue(holds(new All(List.of(new Any(List.of(buy, new Keyword(List.of("sell")))), new Not(new Channel(List.of("sms"))))),
        ctx("I want to sell")));
  }

  @Test
  void absurdlyDeepConditionsAreFalseNotAStackOverflow() {
    Condition c = new Always();
    for (int i = 0; i < 10_000; i++) {
      c = new Not(new Not(c));
    }
    assertFalse(holds(c, ctx("")));
  }
}

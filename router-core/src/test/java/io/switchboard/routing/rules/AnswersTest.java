package io.switchboard.routing.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.routing.rules.Action.ToAgent;
import io.switchboard.routing.rules.Action.ToTeam;
import io.switchboard.routing.rules.Question.Option;
import io.switchboard.routing.rules.Question.Validator;
import io.switchboard.routing.rules.Question.ValidatorKind;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswersTest {

  static final Question MENU = new Question("segment", "segment", "Residential, Commercial or Luxury?",
      List.of(new Option("res", "Residential"), new Option("com", "Commercial"), new Option("lux", "Luxury")),
      null, 3, Duration.ofMinutes(10), null, new ToTeam("sales"));

  private static Question free(Validator v, String retryText) {
    return new Question("q", "f", "?", null, v, 3, Duration.ofMinutes(5), retryText, new ToAgent("manager", "support"));
  }

  private static String accepted(Question q, String answer) {
    return assertInstanceOf(Answers.Accepted.class, Answers.check(q, answer, 1), answer).value();
  }

  private static Answers.Retry retried(Question q, String answer) {
    return assertInstanceOf(Answers.Retry.class, Answers.check(q, answer, 1), answer);
  }

  @Test
  void anOptionIsMatchedByIdTitleOrNumberAndSavedAsItsId() {
    assertEquals("com", accepted(MENU, "com"), "the id an interactive reply carries");
    assertEquals("com", accepted(MENU, "COM"));
    assertEquals("lux", accepted(MENU, "  luxury "), "the title, any case");
    assertEquals("res", accepted(MENU, "1"));
    assertEquals("com", accepted(MENU, "2."));
    assertEquals("lux", accepted(MENU, "3)"));
    assertEquals("lux", accepted(MENU, "#3"));
  }

  @Test
  void anythingElseIsRejectedWithTheChoices() {
    Answers.Retry r = retried(MENU, "4");
    assertEquals("Please reply with one of: 1. Residential, 2. Commercial, 3. Luxury", r.message());
    assertEquals(2, r.nextAttempt());
    retried(MENU, "0");
    retried(MENU, "lux ury");
    retried(MENU, "");
    retried(MENU, null);
  }

  @Test
  void afterTheLastAttemptTheFallbackIsTaken() {
    assertInstanceOf(Answers.Retry.class, Answers.check(MENU, "nope", 2));
    Answers.GiveUp g = assertInstanceOf(Answers.GiveUp.class, Answers.check(MENU, "nope", 3));
    assertEquals(new ToTeam("sales"), g.fallback());
    assertTrue(g.reason().contains("after 3 attempts"), g.reason());
    assertEquals("res", ((Answers.Accepted) Answers.check(MENU, "1", 3)).value(), "a good last answer still counts");
  }

  @Test
  void aTimeoutUsesAnAttempt() {
    Answers.Retry r = assertInstanceOf(Answers.Retry.class, Answers.timedOut(MENU, 1));
    assertEquals(2, r.nextAttempt());
    assertTrue(r.message().startsWith("We did not get your answer."), r.message());
    assertInstanceOf(Answers.GiveUp.class, Answers.timedOut(MENU, 3));
  }

  @Test
  void emailValidator() {
    Question q = free(new Validator(ValidatorKind.EMAIL, null), null);
    assertEquals("ana@example.com", accepted(q, " ana@example.com "));
    assertEquals("ana.maria+vip@mail.example.com.br", accepted(q, "ana.maria+vip@mail.example.com.br"));
    for (String bad : List.of("ana", "ana@", "@example.com", "ana@example", "ana @example.com", "ana@exa mple.com",
        "ana@@example.com", "a".repeat(250) + "@example.com")) {
      assertTrue(retried(q, bad).message().contains("email address"), bad);
    }
  }

  @Test
  void phoneValidatorIsE164ish() {
    Question q = free(new Validator(ValidatorKind.PHONE, null), null);
    assertEquals("+5511987654321", accepted(q, "+55 (11) 98765-4321"));
    assertEquals("+5511987654321", accepted(q, "0055 11 98765 4321"));
    assertEquals("11987654321", accepted(q, "11 98765.4321"), "without country code: digits as given");
    for (String bad : List.of("12345", "+0123456789", "call me", "+55 11 98765 4321 0000 00", "+55-11-9876x")) {
      retried(q, bad);
    }
  }

  @Test
  void regexValidatorMatchesTheWholeAnswer() {
    Question q = free(new Validator(ValidatorKind.REGEX, "[A-Z]{3}-\\d{4}"), null);
    assertEquals("ABC-1234", accepted(q, "ABC-1234"));
    retried(q, "xABC-1234");
    retried(q, "abc-1234");
    assertEquals("That answer is not in the expected format. Please try again.", retried(q, "nope").message());
  }

  @Test
  void freeTextWithoutValidatorTakesAnyNonBlankAnswer() {
    Question q = free(null, null);
    assertEquals("Rua Augusta 100", accepted(q, " Rua Augusta 100 "));
    retried(q, "   ");
    retried(q, "x".repeat(Answers.MAX_ANSWER_LENGTH + 1));
  }

  @Test
  void aConfiguredRetryTextIsUsed() {
    Question q = free(new Validator(ValidatorKind.EMAIL, null), "Hmm, that is not an email. Try again?");
    assertEquals("Hmm, that is not an email. Try again?", retried(q, "nope").message());
  }

  @Test
  void threeRejectedEmailsGoToTheFallbackAgent() {
    Question q = free(new Validator(ValidatorKind.EMAIL, null), null);
    Answers.Verdict v = null;
    for (int attempt = 1; attempt <= 3; attempt++) {
      v = Answers.check(q, "not an email " + attempt, attempt);
    }
    assertEquals(new ToAgent("manager", "support"), assertInstanceOf(Answers.GiveUp.class, v).fallback());
  }
}

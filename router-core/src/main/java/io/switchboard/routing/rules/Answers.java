package io.switchboard.routing.rules;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Judges a contact's answer to a {@link Question}: accept it (with the value to save), ask again,
 * or give up and take the question's fallback once {@code maxAttempts} answers (or timeouts) failed.
 */
public final class Answers {

  /** Longest answer considered: an answer is a choice or an address, not a letter. */
  public static final int MAX_ANSWER_LENGTH = 1000;

  private static final Pattern EMAIL = Pattern.compile(
      "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
          + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.[A-Za-z]{2,63}");
  private static final Pattern PHONE_SEPARATORS = Pattern.compile("[\\s().\\-]");
  private static final Pattern PHONE = Pattern.compile("\\+?[1-9][0-9]{6,14}");
  /** "2", "2.", "2)" or "#2": how people type a menu number. */
  private static final Pattern NUMBER = Pattern.compile("#?([0-9]{1,2})[.)]?");

  private Answers() {
  }

  /** What to do with an answer. */
  public sealed interface Verdict {
  }

  /** Save {@code value} as the question's field, mark the step done and decide again. */
  public record Accepted(String value) implements Verdict {
  }

  /** Say {@code message}, then ask the question again; the next answer is attempt {@code nextAttempt}. */
  public record Retry(String message, int nextAttempt) implements Verdict {
  }

  /** No valid answer after the last attempt: route by {@code fallback}, without deciding again. */
  public record GiveUp(String reason, Action.Terminal fallback) implements Verdict {
  }

  /**
   * Judges answer number {@code attempt} (1 for the first). An option is matched by its id, by its
   * title ignoring case, or by its number in the list (1 for the first); free text by the validator
   * (email, phone, regex on the whole answer), or accepted when non-blank without one.
   */
  public static Verdict check(Question q, String answerText, int attempt) {
    String answer = answerText == null ? "" : answerText.strip();
    String rejection;
    if (answer.isEmpty()) {
      rejection = expected(q);
    } else if (answer.length() > MAX_ANSWER_LENGTH) {
      rejection = "That answer is too long. " + expected(q);
    } else if (q.hasOptions()) {
      String option = option(q.options(), answer);
      if (option != null) {
        return new Accepted(option);
      }
      rejection = expected(q);
    } else if (q.validator() == null) {
      return new Accepted(answer);
    } else {
      String value = validated(q.validator(), answer);
      if (value != null) {
        return new Accepted(value);
      }
      rejection = expected(q);
    }
    return failed(q, attempt, q.retryText() != null && !q.retryText().isBlank() ? q.retryText() : rejection,
        "no valid answer to '" + q.id() + "' after " + attempt + " attempts");
  }

  /** The wait for answer number {@code attempt} ran out: ask again, or give up after the last attempt. */
  public static Verdict timedOut(Question q, int attempt) {
    return failed(q, attempt, "We did not get your answer. " + expected(q),
        "no answer to '" + q.id() + "' after " + attempt + " attempts (timed out)");
  }

  private static Verdict failed(Question q, int attempt, String message, String reason) {
    if (attempt >= q.maxAttempts()) {
      return new GiveUp(reason, q.fallback());
    }
    return new Retry(message, attempt + 1);
  }

  /** The id of the option the answer picks, or null. */
  private static String option(List<Question.Option> options, String answer) {
    for (Question.Option o : options) {
      if (o.id() != null && o.id().equalsIgnoreCase(answer)) {
        return o.id();
      }
    }
    for (Question.Option o : options) {
      if (o.title() != null && o.title().strip().equalsIgnoreCase(answer)) {
        return o.id();
      }
    }
    var number = NUMBER.matcher(answer);
    if (number.matches()) {
      int n = Integer.parseInt(number.group(1));
      if (n >= 1 && n <= options.size()) {
        return options.get(n - 1).id();
      }
    }
    return null;
  }

  /** The value to save, or null if the answer does not pass. */
  private static String validated(Question.Validator v, String answer) {
    if (v.kind() == null) {
      return null;
    }
    return switch (v.kind()) {
      case EMAIL -> answer.length() <= 254 && EMAIL.matcher(answer).matches() ? answer : null;
      case PHONE -> phone(answer);
      case REGEX -> Regexes.matches(v.pattern(), answer) ? answer : null;
    };
  }

  /** Separators dropped and a 00 prefix written as +, so that the saved number is comparable. */
  private static String phone(String answer) {
    String compact = PHONE_SEPARATORS.matcher(answer).replaceAll("");
    if (compact.startsWith("00")) {
      compact = "+" + compact.substring(2);
    }
    return PHONE.matcher(compact).matches() ? compact : null;
  }

  /** What the question expects, said when an answer does not fit. */
  static String expected(Question q) {
    if (q.hasOptions()) {
      return "Please reply with one of: " + IntStream.range(0, q.options().size())
          .mapToObj(i -> (i + 1) + ". " + q.options().get(i).title())
          .collect(Collectors.joining(", "));
    }
    if (q.validator() == null || q.validator().kind() == null) {
      return "Please reply with a text.";
    }
    return switch (q.validator().kind()) {
      case EMAIL -> "Please send a valid email address, like name@example.com.";
      case PHONE -> "Please send a phone number with its country code, like +5511987654321.";
      case REGEX -> "That answer is not in the expected format. Please try again.";
    };
  }
}

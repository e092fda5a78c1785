package io.switchboard.routing.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.switchboard.CborSerializable;
import java.time.Duration;
import java.util.List;

/**
 * A question step: send the contact {@code text}, wait up to {@code timeout} for the answer, save the
 * accepted answer as contact field {@code field}, then decide again. The answer is either one of
 * {@code options} (sent as buttons or a list; the saved value is the option's id) or free text,
 * checked by {@code validator} when there is one. An invalid answer or a timeout uses an attempt; after
 * {@code maxAttempts} the conversation takes {@code fallback}. {@link Answers} judges each answer.
 *
 * @param retryText  said before asking again after an invalid answer; null for a default naming what is expected
 * @param maxAttempts how many answers (or timeouts) before giving up; 3 when absent
 */
@JsonTypeName("ask")
public record Question(String id, String field, String text, List<Option> options, Validator validator,
                       Integer maxAttempts, Duration timeout, String retryText, Action.Terminal fallback)
    implements Action.Step {

  /** Attempts when the configuration names none. */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;

  public Question {
    options = Copies.listOrNull(options);
    maxAttempts = maxAttempts == null ? DEFAULT_MAX_ATTEMPTS : maxAttempts;
  }

  /** Whether the answer must be one of the options (rather than free text). */
  public boolean hasOptions() {
    return options != null && !options.isEmpty();
  }

  /** A choice offered to the contact: {@code id} is saved and is what interactive replies carry. */
  public record Option(String id, String title) implements CborSerializable {
  }

  /** A check on a free-text answer; {@code pattern} only for {@link ValidatorKind#REGEX} (whole answer). */
  public record Validator(ValidatorKind kind, String pattern) implements CborSerializable {
  }

  /** The kinds of free-text check. */
  public enum ValidatorKind {
    /** Something@domain.tld. */
    @JsonProperty("email") EMAIL,
    /** A phone number, E.164-ish: optional +, 7 to 15 digits; spaces, dots, dashes, brackets ignored. */
    @JsonProperty("phone") PHONE,
    /** The whole answer matches the pattern. */
    @JsonProperty("regex") REGEX
  }
}

package io.switchboard.routing.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.switchboard.CborSerializable;
import java.util.List;

/**
 * When a {@link Rule} applies: a tree of tests on the inbound message and the contact, read from JSON
 * by its {@code "type"}. Evaluated by {@link RulesEngine}, checked by {@link RulesValidator}. Texts
 * are compared case-insensitively throughout: customers and CRMs do not agree on capitals.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(Condition.Always.class),
    @JsonSubTypes.Type(Condition.All.class),
    @JsonSubTypes.Type(Condition.Any.class),
    @JsonSubTypes.Type(Condition.Not.class),
    @JsonSubTypes.Type(Condition.Keyword.class),
    @JsonSubTypes.Type(Condition.Regex.class),
    @JsonSubTypes.Type(Condition.Channel.class),
    @JsonSubTypes.Type(Condition.Field.class),
    @JsonSubTypes.Type(Condition.Language.class),
    @JsonSubTypes.Type(Condition.Contact.class),
    @JsonSubTypes.Type(Condition.Time.class),
    @JsonSubTypes.Type(Condition.Priority.class)
})
public sealed interface Condition extends CborSerializable {

  /** True for every message: the condition of the final <em>else</em> rule (and only of it). */
  @JsonTypeName("always")
  record Always() implements Condition {
  }

  /** Every condition holds. */
  @JsonTypeName("all")
  record All(List<Condition> of) implements Condition {
    public All {
      of = Copies.list(of);
    }
  }

  /** At least one condition holds. */
  @JsonTypeName("any")
  record Any(List<Condition> of) implements Condition {
    public Any {
      of = Copies.list(of);
    }
  }

  /** The condition does not hold. */
  @JsonTypeName("not")
  record Not(Condition of) implements Condition {
  }

  /** The message text contains any of the words (a plain substring, case-insensitive). */
  @JsonTypeName("keyword")
  record Keyword(List<String> words) implements Condition {
    public Keyword {
      words = Copies.list(words);
    }
  }

  /**
   * The pattern is found somewhere in the message text (Java syntax; add {@code (?i)} for
   * case-insensitive). A pattern that backtracks too long counts as not found.
   */
  @JsonTypeName("regex")
  record Regex(String pattern) implements Condition {
  }

  /** The message came through one of these channels ({@code whatsapp}, {@code webchat}, ...). */
  @JsonTypeName("channel")
  record Channel(List<String> channels) implements Condition {
    public Channel {
      channels = Copies.list(channels);
    }
  }

  /**
   * A test on a contact field. A field is present when it has a non-blank value; {@code equals}
   * (one value) and {@code oneOf} compare trimmed values ignoring case and are false when missing.
   */
  @JsonTypeName("field")
  record Field(String name, FieldOp op, List<String> values) implements Condition {
    public Field {
      values = Copies.list(values);
    }

    public static Field missing(String name) {
      return new Field(name, FieldOp.MISSING, List.of());
    }

    public static Field present(String name) {
      return new Field(name, FieldOp.PRESENT, List.of());
    }

    public static Field equalTo(String name, String value) {
      return new Field(name, FieldOp.EQUALS, List.of(value));
    }
  }

  /** How a {@link Field} condition tests its field. */
  enum FieldOp {
    @JsonProperty("equals") EQUALS,
    @JsonProperty("oneOf") ONE_OF,
    @JsonProperty("present") PRESENT,
    @JsonProperty("missing") MISSING
  }

  /**
   * The contact's language is one of these: its {@code language} field if set, else the language
   * hinted with the message. {@code es} also matches {@code es-MX} and {@code es_AR}.
   */
  @JsonTypeName("language")
  record Language(List<String> languages) implements Condition {
    public Language {
      languages = Copies.list(languages);
    }
  }

  /** A new contact (first conversation) or a returning one. */
  @JsonTypeName("contact")
  record Contact(ContactKind is) implements Condition {
  }

  /** Whether the contact has written before. */
  enum ContactKind {
    @JsonProperty("new") NEW,
    @JsonProperty("returning") RETURNING
  }

  /**
   * A shift in the rules' time zone: on the listed weekdays ({@code "MON"} or {@code "monday"}; none
   * listed means every day), from {@code from} inclusive to {@code to} exclusive, as {@code "HH:mm"}.
   * A {@code to} of {@code "00:00"} is midnight at the end of the day; a shift with {@code to}
   * before {@code from} runs over midnight into the next day (a night shift starting Friday 22:00
   * ends Saturday morning). Wall-clock time: it follows the zone's daylight saving.
   */
  @JsonTypeName("time")
  record Time(List<String> days, String from, String to) implements Condition {
    public Time {
      days = Copies.list(days);
    }
  }

  /** The conversation's priority is within [min, max]; a missing bound is open. */
  @JsonTypeName("priority")
  record Priority(Integer min, Integer max) implements Condition {
  }
}

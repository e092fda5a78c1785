package io.switchboard.routing.rules;

import static io.switchboard.routing.rules.RulesValidator.MAX_CONDITIONS;
import static io.switchboard.routing.rules.RulesValidator.MAX_CONDITION_DEPTH;
import static io.switchboard.routing.rules.RulesValidator.MAX_LIST;
import static io.switchboard.routing.rules.RulesValidator.MAX_PATTERN_LENGTH;
import static io.switchboard.routing.rules.RulesValidator.MAX_PRIORITY;
import static io.switchboard.routing.rules.RulesValidator.MAX_VALUE_LENGTH;
import static io.switchboard.routing.rules.RulesValidator.MAX_WORD_LENGTH;

import java.time.LocalTime;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The checks of one rule's "when" for {@link RulesValidator}: each condition's shape (groups and
 * their depth and count, keywords, regexes, channels, fields, languages, contact, time, priority).
 */
final class ConditionChecks {

  private static final Pattern LANGUAGE = Pattern.compile("[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,3}");

  private ConditionChecks() {
  }

  static void condition(RulesCheck check, Condition c, int depth, int[] count) {
    if (c == null) {
      check.error("a condition is empty");
      return;
    }
    if (++count[0] == MAX_CONDITIONS + 1) {
      check.error("more than " + MAX_CONDITIONS + " conditions");
    }
    if (depth > MAX_CONDITION_DEPTH) {
      check.error("conditions nested deeper than " + MAX_CONDITION_DEPTH + " levels");
      return;
    }
    if (c instanceof Condition.All all) {
      group(check, "all", all.of(), depth, count);
    } else if (c instanceof Condition.Any any) {
      group(check, "any", any.of(), depth, count);
    } else if (c instanceof Condition.Not not) {
      if (not.of() == null) {
        check.error("'not' needs a condition in \"of\"");
      } else {
        condition(check, not.of(), depth + 1, count);
      }
    } else if (c instanceof Condition.Keyword k) {
      words(check, "keyword", "word", k.words(), MAX_WORD_LENGTH);
    } else if (c instanceof Condition.Regex r) {
      if (r.pattern() == null || r.pattern().isEmpty()) {
        check.error("regex needs a pattern");
      } else if (r.pattern().length() > MAX_PATTERN_LENGTH) {
        check.error("regex pattern is longer than " + MAX_PATTERN_LENGTH + " characters");
      } else {
        Regexes.problem(r.pattern()).ifPresent(p ->
            check.error("bad regex '" + Templates.clip(r.pattern()) + "': " + p));
      }
    } else if (c instanceof Condition.Channel ch) {
      words(check, "channel", "channel", ch.channels(), 32);
    } else if (c instanceof Condition.Field f) {
      field(check, f);
    } else if (c instanceof Condition.Language l) {
      words(check, "language", "language", l.languages(), 35);
      for (String language : l.languages()) {
        if (language != null && !language.isBlank() && !LANGUAGE.matcher(language.strip()).matches()) {
          check.error("language '" + Templates.clip(language) + "' is not a language code such as en or pt-BR");
        }
      }
    } else if (c instanceof Condition.Contact contact) {
      if (contact.is() == null) {
        check.error("contact condition needs \"is\": new or returning");
      }
    } else if (c instanceof Condition.Time t) {
      time(check, t);
    } else if (c instanceof Condition.Priority p) {
      if (p.min() == null && p.max() == null) {
        check.error("priority condition needs min or max");
      }
      if (p.min() != null && (p.min() < 0 || p.min() > MAX_PRIORITY)) {
        check.error("priority min " + p.min() + " is not within 0-" + MAX_PRIORITY);
      }
      if (p.max() != null && (p.max() < 0 || p.max() > MAX_PRIORITY)) {
        check.error("priority max " + p.max() + " is not within 0-" + MAX_PRIORITY);
      }
      if (p.min() != null && p.max() != null && p.min() > p.max()) {
        check.error("priority min " + p.min() + " is above max " + p.max());
      }
    }
  }

  private static void group(RulesCheck check, String type, List<Condition> of, int depth, int[] count) {
    if (of.isEmpty()) {
      check.error("'" + type + "' needs at least one condition in \"of\"");
    }
    if (of.size() > MAX_LIST) {
      check.error("'" + type + "' has more than " + MAX_LIST + " conditions");
      return;
    }
    for (Condition c : of) {
      condition(check, c, depth + 1, count);
    }
  }

  private static void field(RulesCheck check, Condition.Field f) {
    if (f.name() == null || f.name().isBlank()) {
      check.error("field condition needs a name");
      return;
    }
    if (!Templates.FIELD_NAME.matcher(f.name()).matches()) {
      check.error("field name '" + Templates.clip(f.name()) + "' must be 1-64 letters, digits, '.', '_' or '-'");
    }
    if (f.op() == null) {
      check.error("field '" + f.name() + "' needs an op: equals, oneOf, present or missing");
      return;
    }
    String op = opName(f.op());
    switch (f.op()) {
      case EQUALS -> {
        if (f.values().size() != 1) {
          check.error("field '" + f.name() + "' equals needs exactly one value, got " + f.values().size());
        }
      }
      case ONE_OF -> {
        if (f.values().isEmpty()) {
          check.error("field '" + f.name() + "' oneOf needs at least one value");
        }
      }
      case PRESENT, MISSING -> {
        if (!f.values().isEmpty()) {
          check.error("field '" + f.name() + "' " + op + " takes no values");
        }
      }
    }
    if (f.values().size() > MAX_LIST) {
      check.error("field '" + f.name() + "' has more than " + MAX_LIST + " values");
    }
    for (String v : f.values()) {
      if (v == null) {
        check.error("field '" + f.name() + "' " + op + " has a null value");
      } else if (v.length() > MAX_VALUE_LENGTH) {
        check.error("field '" + f.name() + "' has a value longer than " + MAX_VALUE_LENGTH + " characters");
      }
    }
  }

  private static void time(RulesCheck check, Condition.Time t) {
    for (String day : t.days()) {
      if (RulesEngine.day(day).isEmpty()) {
        check.error("time: unknown weekday '" + (day == null ? "null" : Templates.clip(day))
            + "' (use MON..SUN or MONDAY..SUNDAY)");
      }
    }
    Optional<LocalTime> from = RulesEngine.time(t.from());
    Optional<LocalTime> to = RulesEngine.time(t.to());
    if (from.isEmpty()) {
      check.error("time: from '" + t.from() + "' is not a time of day HH:mm");
    }
    if (to.isEmpty()) {
      check.error("time: to '" + t.to() + "' is not a time of day HH:mm (00:00 is midnight at the end of the day)");
    }
    if (from.isPresent() && to.isPresent() && from.get().equals(to.get()) && !from.get().equals(LocalTime.MIDNIGHT)) {
      check.error("time range " + t.from() + "-" + t.to() + " is empty (00:00-00:00 is the whole day)");
    }
  }

  static void words(RulesCheck check, String type, String what, List<String> words, int maxLength) {
    if (words.isEmpty()) {
      check.error(type + " needs at least one " + what);
    }
    if (words.size() > MAX_LIST) {
      check.error(type + " has more than " + MAX_LIST + " " + what + "s");
    }
    for (String w : words) {
      if (w == null || w.isBlank()) {
        check.error(type + " has an empty " + what);
      } else if (w.length() > maxLength) {
        check.error(type + " " + what + " '" + Templates.clip(w) + "' is longer than " + maxLength + " characters");
      }
    }
  }

  private static String opName(Condition.FieldOp op) {
    return switch (op) {
      case EQUALS -> "equals";
      case ONE_OF -> "oneOf";
      case PRESENT -> "present";
      case MISSING -> "missing";
    };
  }
}

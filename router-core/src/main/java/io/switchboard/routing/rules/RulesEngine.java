package io.switchboard.routing.rules;

import io.switchboard.Text;
import io.switchboard.routing.BusinessHours;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Applies a tenant's {@link RoutingRules} to one inbound message: the first rule whose condition
 * holds decides. A pure function of the rules and a {@link Context}, clock included, so the
 * conversation can call it inside its command handler and tests can call it with any instant.
 * Never throws: rules that {@link RulesValidator} would refuse at worst give {@link Decision.Unrouted}.
 */
public final class RulesEngine {

  /** Contact field holding the contact's language, read by {@link Condition.Language}. */
  public static final String LANGUAGE_FIELD = "language";

  /** Deeper conditions than this count as false: only invalid rules get here, and they must not overflow the stack. */
  private static final int MAX_DEPTH = 32;
  private static final int MAX_REASON = 300;

  private RulesEngine() {
  }

  /**
   * What the rules see of a message and its contact.
   *
   * @param text         the message text ("" for media without caption)
   * @param channel      the channel it came through ({@code whatsapp}, ...)
   * @param fields       the contact's fields, including those saved by earlier steps and decisions
   * @param hintLanguage the language detected or given with the message, null if unknown
   * @param returning    whether the contact had a conversation before
   * @param priority     the conversation's current priority
   * @param now          the instant of the decision, for time conditions (null: time conditions are false)
   * @param stepsDone    ids of the steps that already ran in this conversation (answered, looked up or
   *                     fallen back): their rules are skipped, so a step never runs twice
   */
  public record Context(String text, String channel, Map<String, String> fields, String hintLanguage,
                        boolean returning, int priority, Instant now, Set<String> stepsDone) {
    public Context {
      text = text == null ? "" : text;
      Map<String, String> copy = new HashMap<>();
      if (fields != null) {
        fields.forEach((k, v) -> {
          if (k != null && v != null) {
            copy.put(k, v);
          }
        });
      }
      fields = Collections.unmodifiableMap(copy);
      // a LinkedHashSet, unlike Set.of, answers contains(null) (a step without id in invalid rules)
      stepsDone = Collections.unmodifiableSet(new LinkedHashSet<>(stepsDone == null ? Set.of() : stepsDone));
    }

    /** The same context with more fields (later ones win) and a step marked done: the next round of a flow. */
    public Context after(String stepId, Map<String, String> newFields) {
      Map<String, String> merged = new HashMap<>(fields);
      if (newFields != null) {
        merged.putAll(newFields);
      }
      Set<String> done = new LinkedHashSet<>(stepsDone);
      if (stepId != null) {
        done.add(stepId);
      }
      return new Context(text, channel, merged, hintLanguage, returning, priority, now, done);
    }
  }

  /** The decision for this message: never null. */
  public static Decision decide(RoutingRules rules, Context ctx) {
    if (rules == null || rules.rules().isEmpty()) {
      return new Decision.Unrouted("no routing rules");
    }
    if (ctx == null) {
      return new Decision.Unrouted("no message to route");
    }
    ZoneId zone = zone(rules.timeZone());
    List<String> skipped = new ArrayList<>();
    for (Rule rule : rules.rules()) {
      if (rule == null) {
        continue;
      }
      Action decisive = rule.decisive();
      if (decisive instanceof Action.Step step && ctx.stepsDone().contains(step.id())) {
        // named in the reason only when the skip changed the outcome
        if (holdsAtTop(rule.when(), ctx, zone)) {
          skipped.add(step.id());
        }
        continue;
      }
      if (!(decisive instanceof Action.Terminal) && !(decisive instanceof Action.Step)) {
        continue;
      }
      if (holdsAtTop(rule.when(), ctx, zone)) {
        return decision(rule, ctx, reason(rule, skipped));
      }
    }
    return new Decision.Unrouted("no rule matched and there is no else rule");
  }

  /** Whether a condition holds for the context (exposed for tests and for a rules preview). */
  public static boolean holds(Condition c, Context ctx, String timeZone) {
    return holdsAtTop(c, ctx, zone(timeZone));
  }

  /** A condition too deep to evaluate is false as a whole (not negated by a {@code not} above the cut). */
  private static boolean holdsAtTop(Condition c, Context ctx, ZoneId zone) {
    try {
      return holds(c, ctx, zone, 0);
    } catch (TooDeep e) {
      return false;
    }
  }

  /** Unwinds an evaluation that went deeper than {@link #MAX_DEPTH}; no stack trace, it is not a bug. */
  private static final class TooDeep extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooDeep() {
      super("condition nested too deep", null, false, false);
    }
  }

  private static Decision decision(Rule rule, Context ctx, String reason) {
    int priority = ctx.priority();
    Map<String, String> setFields = new LinkedHashMap<>();
    Set<String> tags = new LinkedHashSet<>();
    List<Action> then = rule.then();
    for (int i = 0; i < then.size() - 1; i++) {
      Action a = then.get(i);
      if (a instanceof Action.SetPriority p && p.priority() != null) {
        priority = p.priority();
      } else if (a instanceof Action.SetFields f) {
        f.fields().forEach((k, v) -> {
          if (k != null && v != null) {
            setFields.put(k, v);
          }
        });
      } else if (a instanceof Action.Tag t) {
        t.tags().stream().filter(tag -> tag != null && !tag.isBlank()).forEach(tags::add);
      }
    }
    Action decisive = rule.decisive();
    if (decisive instanceof Question q) {
      return new Decision.Ask(rule.name(), q, priority, setFields, tags, reason);
    }
    if (decisive instanceof CrmLookup l) {
      return new Decision.Lookup(rule.name(), l, priority, setFields, tags, reason);
    }
    return new Decision.Route(rule.name(), (Action.Terminal) decisive, priority, setFields, tags, reason);
  }

  private static String reason(Rule rule, List<String> skipped) {
    String why = rule.isElse() ? "no other rule matched" : "matched " + describe(rule.when(), 0);
    if (!skipped.isEmpty()) {
      why += " (steps already done: " + String.join(", ", skipped) + ")";
    }
    return clip("rule '" + rule.name() + "': " + why);
  }

  // ---- evaluation -------------------------------------------------------------------------------

  private static boolean holds(Condition c, Context ctx, ZoneId zone, int depth) {
    if (depth > MAX_DEPTH) {
      throw new TooDeep();
    }
    if (c == null) {
      return false;
    }
    if (c instanceof Condition.Always) {
      return true;
    }
    if (c instanceof Condition.All all) {
      return !all.of().isEmpty() && all.of().stream().allMatch(x -> holds(x, ctx, zone, depth + 1));
    }
    if (c instanceof Condition.Any any) {
      return any.of().stream().anyMatch(x -> holds(x, ctx, zone, depth + 1));
    }
    if (c instanceof Condition.Not not) {
      return not.of() != null && !holds(not.of(), ctx, zone, depth + 1);
    }
    if (c instanceof Condition.Keyword k) {
      String text = lower(ctx.text());
      return k.words().stream().anyMatch(w -> w != null && !w.isBlank() && text.contains(lower(w.strip())));
    }
    if (c instanceof Condition.Regex r) {
      return Regexes.find(r.pattern(), ctx.text());
    }
    if (c instanceof Condition.Channel ch) {
      return ctx.channel() != null && ch.channels().stream().anyMatch(ctx.channel()::equalsIgnoreCase);
    }
    if (c instanceof Condition.Field f) {
      return field(f, ctx.fields());
    }
    if (c instanceof Condition.Language l) {
      String language = language(ctx);
      return language != null && l.languages().stream().anyMatch(want -> sameLanguage(want, language));
    }
    if (c instanceof Condition.Contact contact) {
      return contact.is() != null && (contact.is() == Condition.ContactKind.RETURNING) == ctx.returning();
    }
    if (c instanceof Condition.Time t) {
      return ctx.now() != null && zone != null && shifts(t, zone).map(h -> h.isOpen(ctx.now())).orElse(false);
    }
    if (c instanceof Condition.Priority p) {
      return (p.min() == null || ctx.priority() >= p.min()) && (p.max() == null || ctx.priority() <= p.max());
    }
    return false;
  }

  private static boolean field(Condition.Field f, Map<String, String> fields) {
    if (f.name() == null || f.op() == null) {
      return false;
    }
    String value = fields.get(f.name());
    boolean present = value != null && !value.isBlank();
    return switch (f.op()) {
      case PRESENT -> present;
      case MISSING -> !present;
      case EQUALS, ONE_OF -> present
          && f.values().stream().anyMatch(v -> v != null && v.strip().equalsIgnoreCase(value.strip()));
    };
  }

  /** The contact's remembered language wins over the hint: the contact chose it. */
  static String language(Context ctx) {
    String field = ctx.fields().get(LANGUAGE_FIELD);
    if (field != null && !field.isBlank()) {
      return field.strip();
    }
    return ctx.hintLanguage() == null || ctx.hintLanguage().isBlank() ? null : ctx.hintLanguage().strip();
  }

  /** {@code es} matches {@code es}, {@code ES}, {@code es-MX} and {@code es_AR}. */
  private static boolean sameLanguage(String wanted, String actual) {
    if (wanted == null || wanted.isBlank()) {
      return false;
    }
    String w = lower(wanted.strip());
    String a = lower(actual);
    return a.equals(w) || a.startsWith(w + "-") || a.startsWith(w + "_");
  }

  /**
   * The time condition as a weekly {@link BusinessHours} schedule, so daylight saving and the
   * midnight end are handled as for teams; a shift over midnight is split into its two days.
   */
  static Optional<BusinessHours> shifts(Condition.Time t, ZoneId zone) {
    Optional<LocalTime> from = time(t.from());
    Optional<LocalTime> to = time(t.to());
    Optional<Set<DayOfWeek>> days = days(t.days());
    if (from.isEmpty() || to.isEmpty() || days.isEmpty()) {
      return Optional.empty();
    }
    LocalTime f = from.get();
    LocalTime e = to.get();
    if (f.equals(e) && !f.equals(LocalTime.MIDNIGHT)) {
      return Optional.empty();
    }
    Map<DayOfWeek, List<BusinessHours.Shift>> week = new EnumMap<>(DayOfWeek.class);
    for (DayOfWeek day : days.get()) {
      if (f.isBefore(e) || e.equals(LocalTime.MIDNIGHT)) {
        week.computeIfAbsent(day, d -> new ArrayList<>()).add(new BusinessHours.Shift(f, e));
      } else {
        week.computeIfAbsent(day, d -> new ArrayList<>()).add(new BusinessHours.Shift(f, LocalTime.MIDNIGHT));
        week.computeIfAbsent(day.plus(1), d -> new ArrayList<>()).add(new BusinessHours.Shift(LocalTime.MIDNIGHT, e));
      }
    }
    return Optional.of(new BusinessHours(zone.getId(), week));
  }

  /** "HH:mm" (or "HH:mm:ss"); "24:00" is accepted as midnight at the end of the day. */
  static Optional<LocalTime> time(String s) {
    if (s == null) {
      return Optional.empty();
    }
    String t = s.strip();
    if (t.equals("24:00")) {
      return Optional.of(LocalTime.MIDNIGHT);
    }
    try {
      return Optional.of(LocalTime.parse(t));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /** Weekdays by full or three-letter English name, any case; none listed means every day. */
  static Optional<Set<DayOfWeek>> days(List<String> names) {
    Set<DayOfWeek> days = new LinkedHashSet<>();
    if (names.isEmpty()) {
      days.addAll(List.of(DayOfWeek.values()));
      return Optional.of(days);
    }
    for (String name : names) {
      Optional<DayOfWeek> day = day(name);
      if (day.isEmpty()) {
        return Optional.empty();
      }
      days.add(day.get());
    }
    return Optional.of(days);
  }

  static Optional<DayOfWeek> day(String name) {
    if (name == null) {
      return Optional.empty();
    }
    String n = name.strip().toUpperCase(Locale.ROOT);
    for (DayOfWeek d : DayOfWeek.values()) {
      if (d.name().equals(n) || (n.length() == 3 && d.name().startsWith(n))) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  /** The rules' zone; UTC when none is given, null when it is not a zone (time conditions then fail). */
  static ZoneId zone(String timeZone) {
    if (timeZone == null || timeZone.isBlank()) {
      return ZoneId.of("UTC");
    }
    try {
      return ZoneId.of(timeZone.strip());
    } catch (DateTimeException e) {
      return null;
    }
  }

  // ---- reasons ----------------------------------------------------------------------------------

  /** A condition in words, for reasons ("keyword 'urgent' or 'asap' and channel whatsapp"). */
  static String describe(Condition c, int depth) {
    if (c == null) {
      return "nothing";
    }
    if (depth > 4) {
      return "…";
    }
    if (c instanceof Condition.Always) {
      return "always";
    }
    if (c instanceof Condition.All all) {
      return group(all.of(), " and ", depth);
    }
    if (c instanceof Condition.Any any) {
      return group(any.of(), " or ", depth);
    }
    if (c instanceof Condition.Not not) {
      return "not " + describe(not.of(), depth + 1);
    }
    if (c instanceof Condition.Keyword k) {
      return "keyword " + quoted(k.words(), " or ");
    }
    if (c instanceof Condition.Regex r) {
      return "text matches /" + r.pattern() + "/";
    }
    if (c instanceof Condition.Channel ch) {
      return "channel " + String.join(" or ", nonNull(ch.channels()));
    }
    if (c instanceof Condition.Field f) {
      if (f.op() == null) {
        return f.name();
      }
      return switch (f.op()) {
        case PRESENT -> f.name() + " present";
        case MISSING -> f.name() + " missing";
        case EQUALS -> f.name() + " equals " + quoted(f.values(), " or ");
        case ONE_OF -> f.name() + " one of " + quoted(f.values(), ", ");
      };
    }
    if (c instanceof Condition.Language l) {
      return "language " + String.join(" or ", nonNull(l.languages()));
    }
    if (c instanceof Condition.Contact contact) {
      return (contact.is() == Condition.ContactKind.RETURNING ? "returning" : "new") + " contact";
    }
    if (c instanceof Condition.Time t) {
      return "time " + (t.days().isEmpty() ? "every day" : String.join(",", nonNull(t.days())))
          + " " + t.from() + "-" + t.to();
    }
    if (c instanceof Condition.Priority p) {
      return "priority " + (p.min() == null ? "" : ">= " + p.min()) + (p.min() != null && p.max() != null ? " and " : "")
          + (p.max() == null ? "" : "<= " + p.max());
    }
    return c.getClass().getSimpleName();
  }

  private static String group(List<Condition> parts, String joiner, int depth) {
    String inner = parts.stream().map(x -> describe(x, depth + 1)).collect(Collectors.joining(joiner));
    return depth == 0 ? inner : "(" + inner + ")";
  }

  private static String quoted(List<String> values, String joiner) {
    return nonNull(values).stream().map(v -> "'" + v + "'").collect(Collectors.joining(joiner));
  }

  private static List<String> nonNull(List<String> values) {
    return values.stream().filter(v -> v != null).collect(Collectors.toList());
  }

  private static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  /** At most {@link #MAX_REASON} chars in all, the "…" included. */
  private static String clip(String s) {
    return s.length() <= MAX_REASON ? s : Text.clip(s, MAX_REASON - 1);
  }
}

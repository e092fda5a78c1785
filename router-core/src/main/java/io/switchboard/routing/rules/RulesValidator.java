package io.switchboard.routing.rules;

import com.fasterxml.jackson.annotation.JsonTypeName;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks routing rules before they are accepted, so that a tenant never runs a half-valid
 * configuration: every error names its rule ({@code rule 'vip': unknown team 'vipp'}) and all
 * errors are reported at once. Beyond the shape of each condition and action it refuses what would
 * strand or loop a conversation: no final else rule, an else rule ending in a step, a step without
 * fallback, and a step whose rule would still match after the step saved its field.
 */
public final class RulesValidator {

  public static final int MAX_RULES = 200;
  public static final int MAX_NAME_LENGTH = 100;
  public static final int MAX_DESCRIPTION_LENGTH = 1000;
  public static final int MAX_ACTIONS = 20;
  public static final int MAX_CONDITION_DEPTH = 10;
  public static final int MAX_CONDITIONS = 100;
  public static final int MAX_LIST = 100;
  public static final int MAX_WORD_LENGTH = 100;
  public static final int MAX_PATTERN_LENGTH = 500;
  public static final int MAX_VALUE_LENGTH = 1024;
  /** WhatsApp's limit for an interactive message body. */
  public static final int MAX_TEXT_LENGTH = 1024;
  /** WhatsApp lists hold 10 rows; buttons 3. */
  public static final int MAX_OPTIONS = 10;
  /** WhatsApp's limit for a list row title (button titles: 20). */
  public static final int MAX_OPTION_TITLE_LENGTH = 24;
  public static final int MAX_OPTION_ID_LENGTH = 200;
  public static final int MAX_ATTEMPTS = 10;
  /** Beyond a day the WhatsApp service window has closed and the contact cannot be asked again. */
  public static final Duration MAX_QUESTION_TIMEOUT = Duration.ofHours(24);
  /** A lookup holds the conversation's routing; a slower CRM is a down CRM. */
  public static final Duration MAX_LOOKUP_TIMEOUT = Duration.ofSeconds(60);
  public static final int MAX_URL_LENGTH = 2048;
  public static final int MAX_HEADERS = 20;
  public static final int MAX_BODY_LENGTH = 10_000;
  public static final int MAX_PRIORITY = 100;
  public static final int MAX_ERRORS = 100;

  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}");
  private static final Pattern LANGUAGE = Pattern.compile("[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,3}");
  private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");

  private RulesValidator() {
  }

  /** Thrown by {@link #requireValid}: every error, each naming its rule. */
  public static final class InvalidRulesException extends IllegalArgumentException {
    private final List<String> errors;

    InvalidRulesException(List<String> errors) {
      super(String.join("; ", errors));
      this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
      return errors;
    }
  }

  /**
   * The rules if valid, otherwise an {@link InvalidRulesException} with every error: for loading a
   * file at start-up, where refusing to start beats routing by half a configuration.
   */
  public static RoutingRules requireValid(RoutingRules rules, Set<String> teams, Set<String> agents) {
    List<String> errors = validate(rules, teams, agents);
    if (!errors.isEmpty()) {
      throw new InvalidRulesException(errors);
    }
    return rules;
  }

  /**
   * Every error in the rules, empty when they can be used.
   *
   * @param teams  the tenant's team names; null skips the check (rules loaded before the teams)
   * @param agents the tenant's agent names; null skips the check
   */
  public static List<String> validate(RoutingRules rules, Set<String> teams, Set<String> agents) {
    Check check = new Check(teams, agents);
    if (rules == null) {
      check.error("routing rules are missing");
      return check.errors;
    }
    if (rules.description() != null && rules.description().length() > MAX_DESCRIPTION_LENGTH) {
      check.error("description is longer than " + MAX_DESCRIPTION_LENGTH + " characters");
    }
    if (rules.timeZone() != null && RulesEngine.zone(rules.timeZone()) == null) {
      check.error("time zone '" + Templates.clip(rules.timeZone()) + "' is not a known zone (use a name such as America/Sao_Paulo)");
    }
    List<Rule> list = rules.rules();
    if (list.isEmpty()) {
      check.error("no rules: there must be at least an else rule (\"when\": {\"type\": \"always\"}) that routes to a team");
      return check.errors;
    }
    if (list.size() > MAX_RULES) {
      check.error("too many rules: " + list.size() + " (at most " + MAX_RULES + ")");
      return check.errors;
    }
    Map<String, Integer> names = new HashMap<>();
    Map<String, String> stepIds = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      Rule rule = list.get(i);
      boolean last = i == list.size() - 1;
      check.at(null);
      if (rule == null) {
        check.error("rule #" + (i + 1) + " is empty");
        continue;
      }
      String label = label(rule, i);
      check.at(label);
      if (rule.name() == null || rule.name().isBlank()) {
        check.error("name is missing");
      } else if (rule.name().length() > MAX_NAME_LENGTH) {
        check.error("name is longer than " + MAX_NAME_LENGTH + " characters");
      } else if (CONTROL.matcher(rule.name()).find()) {
        check.error("name contains control characters");
      } else {
        Integer before = names.putIfAbsent(rule.name(), i + 1);
        if (before != null) {
          check.error("name is used twice (rules #" + before + " and #" + (i + 1) + ")");
        }
      }
      if (rule.when() == null) {
        check.error("'when' is missing (an else rule has \"when\": {\"type\": \"always\"})");
      } else {
        condition(check, rule.when(), 1, new int[] {0});
      }
      if (rule.isElse() && !last) {
        check.error("an else rule (\"when\": {\"type\": \"always\"}) must be the last rule: the rules after it would never run");
      }
      then(check, rule);
      if (last && !rule.isElse()) {
        check.error("the last rule must be an else rule (\"when\": {\"type\": \"always\"}) so that no conversation "
            + "is left unrouted: add one after it");
      }
      if (rule.isElse() && rule.decisive() instanceof Action.Step) {
        check.error("the else rule must end in a route (team, agent, pool or previousAgent), not a step: "
            + "once the step is done its rule is skipped, and nothing would be left to route the conversation");
      }
      if (rule.decisive() instanceof Action.Step step && step.id() != null && !step.id().isBlank()) {
        String other = stepIds.putIfAbsent(step.id(), label);
        if (other != null) {
          check.error("step id '" + step.id() + "' is also used by " + other + ": step ids must be unique");
        }
        if (!rule.isElse()) {
          loop(check, rule, step);
        }
      }
    }
    return check.errors;
  }

  private static String label(Rule rule, int index) {
    if (rule.name() == null || rule.name().isBlank()) {
      return "rule #" + (index + 1);
    }
    return "rule '" + Templates.clip(rule.name()) + "'";
  }

  // ---- conditions -------------------------------------------------------------------------------

  private static void condition(Check check, Condition c, int depth, int[] count) {
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

  private static void group(Check check, String type, List<Condition> of, int depth, int[] count) {
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

  private static void field(Check check, Condition.Field f) {
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

  private static void time(Check check, Condition.Time t) {
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

  private static void words(Check check, String type, String what, List<String> words, int maxLength) {
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

  // ---- actions ----------------------------------------------------------------------------------

  private static void then(Check check, Rule rule) {
    List<Action> then = rule.then();
    if (then.isEmpty()) {
      check.error("'then' is empty: it must end in a route (team, agent, pool, previousAgent) or a step (ask, lookup)");
      return;
    }
    if (then.size() > MAX_ACTIONS) {
      check.error("more than " + MAX_ACTIONS + " actions");
    }
    for (int k = 0; k < then.size(); k++) {
      Action a = then.get(k);
      boolean last = k == then.size() - 1;
      if (a == null) {
        check.error("action #" + (k + 1) + " is empty");
        continue;
      }
      if (!last && !(a instanceof Action.Modifier)) {
        check.error("action #" + (k + 1) + " (" + typeName(a) + ") must be the last action: only setPriority, "
            + "setFields and tag may come before the route or step");
      }
      if (last && a instanceof Action.Modifier) {
        check.error("the last action (" + typeName(a) + ") must be a route (team, agent, pool, previousAgent) "
            + "or a step (ask, lookup)");
      }
      action(check, a, "");
    }
  }

  private static void action(Check check, Action a, String where) {
    if (a instanceof Action.Terminal t) {
      terminal(check, t, where);
    } else if (a instanceof Action.SetPriority p) {
      if (p.priority() == null) {
        check.error(where + "setPriority needs a priority");
      } else if (p.priority() < 0 || p.priority() > MAX_PRIORITY) {
        check.error(where + "priority " + p.priority() + " is not within 0-" + MAX_PRIORITY);
      }
    } else if (a instanceof Action.SetFields f) {
      if (f.fields().isEmpty()) {
        check.error(where + "setFields needs at least one field");
      }
      if (f.fields().size() > 50) {
        check.error(where + "setFields sets more than 50 fields");
      }
      f.fields().forEach((name, value) -> {
        fieldName(check, where + "setFields", name);
        if (value == null) {
          check.error(where + "setFields '" + name + "' has no value");
        } else if (value.length() > MAX_VALUE_LENGTH) {
          check.error(where + "setFields '" + name + "' value is longer than " + MAX_VALUE_LENGTH + " characters");
        }
      });
    } else if (a instanceof Action.Tag t) {
      words(check, where + "tag", "tag", t.tags(), 64);
    } else if (a instanceof Question q) {
      question(check, q);
    } else if (a instanceof CrmLookup l) {
      lookup(check, l);
    }
  }

  private static void terminal(Check check, Action.Terminal t, String where) {
    if (t instanceof Action.ToAgent a) {
      if (blank(a.agent())) {
        check.error(where + "agent action needs an agent");
      } else if (check.agents != null && !check.agents.contains(a.agent())) {
        check.error(where + "unknown agent '" + Templates.clip(a.agent()) + "'");
      }
      if (blank(a.fallbackTeam())) {
        check.error(where + "agent action needs a fallbackTeam (used when agent '" + a.agent() + "' is not available)");
        return;
      }
    } else if (blank(t.team())) {
      check.error(where + typeName(t) + " action needs a team");
      return;
    }
    if (check.teams != null && !check.teams.contains(t.team())) {
      check.error(where + "unknown team '" + Templates.clip(t.team()) + "'");
    }
    if (t instanceof Action.ToTeam team) {
      if (team.skills().size() > 20) {
        check.error(where + "team action requires more than 20 skills");
      }
      team.skills().forEach((skill, level) -> {
        fieldName(check, where + "skill", skill);
        if (level == null || level < 0 || level > 100) {
          check.error(where + "skill '" + skill + "' level " + level + " is not within 0-100");
        }
      });
    }
  }

  private static void question(Check check, Question q) {
    String step = "ask '" + (q.id() == null ? "?" : Templates.clip(q.id())) + "': ";
    stepId(check, "ask", q.id());
    fieldName(check, step + "field", q.field());
    if (blank(q.text())) {
      check.error(step + "text is missing (what to ask the contact)");
    } else if (q.text().length() > MAX_TEXT_LENGTH) {
      check.error(step + "text is longer than " + MAX_TEXT_LENGTH + " characters");
    }
    if (q.retryText() != null && q.retryText().length() > MAX_TEXT_LENGTH) {
      check.error(step + "retryText is longer than " + MAX_TEXT_LENGTH + " characters");
    }
    if (q.options() != null && q.validator() != null) {
      check.error(step + "has both options and a validator: a question is either a menu or free text");
    }
    if (q.options() != null) {
      options(check, step, q.options());
    }
    if (q.validator() != null) {
      Question.Validator v = q.validator();
      if (v.kind() == null) {
        check.error(step + "validator needs a kind: email, phone or regex");
      } else if (v.kind() == Question.ValidatorKind.REGEX) {
        if (v.pattern() == null || v.pattern().isEmpty()) {
          check.error(step + "regex validator needs a pattern");
        } else if (v.pattern().length() > MAX_PATTERN_LENGTH) {
          check.error(step + "validator pattern is longer than " + MAX_PATTERN_LENGTH + " characters");
        } else {
          Regexes.problem(v.pattern()).ifPresent(p ->
              check.error(step + "bad validator regex '" + Templates.clip(v.pattern()) + "': " + p));
        }
      } else if (v.pattern() != null) {
        check.error(step + "a pattern is only for regex validators, not " + v.kind().name().toLowerCase(Locale.ROOT));
      }
    }
    if (q.maxAttempts() < 1 || q.maxAttempts() > MAX_ATTEMPTS) {
      check.error(step + "maxAttempts " + q.maxAttempts() + " is not within 1-" + MAX_ATTEMPTS);
    }
    timeout(check, step, q.timeout(), MAX_QUESTION_TIMEOUT, "PT5M");
    fallback(check, step, q.fallback());
  }

  private static void options(Check check, String step, List<Question.Option> options) {
    if (options.isEmpty()) {
      check.error(step + "options are empty: give at least one, or leave options out for a free-text answer");
      return;
    }
    if (options.size() > MAX_OPTIONS) {
      check.error(step + "more than " + MAX_OPTIONS + " options");
    }
    Set<String> ids = new HashSet<>();
    Set<String> titles = new HashSet<>();
    for (int k = 0; k < options.size(); k++) {
      Question.Option o = options.get(k);
      String which = step + "option #" + (k + 1) + " ";
      if (o == null) {
        check.error(which + "is empty");
        continue;
      }
      if (blank(o.id())) {
        check.error(which + "needs an id (the value saved)");
      } else if (o.id().length() > MAX_OPTION_ID_LENGTH) {
        check.error(which + "id is longer than " + MAX_OPTION_ID_LENGTH + " characters");
      } else if (!ids.add(o.id().toLowerCase(Locale.ROOT))) {
        check.error(which + "repeats id '" + Templates.clip(o.id()) + "'");
      }
      if (blank(o.title())) {
        check.error(which + "needs a title (what the contact sees)");
      } else if (o.title().length() > MAX_OPTION_TITLE_LENGTH) {
        check.error(which + "title '" + Templates.clip(o.title()) + "' is longer than " + MAX_OPTION_TITLE_LENGTH
            + " characters");
      } else if (!titles.add(o.title().strip().toLowerCase(Locale.ROOT))) {
        check.error(which + "repeats title '" + o.title() + "': answers could not tell them apart");
      }
    }
  }

  private static void lookup(Check check, CrmLookup l) {
    String step = "lookup '" + (l.id() == null ? "?" : Templates.clip(l.id())) + "': ";
    stepId(check, "lookup", l.id());
    if (l.method() == null) {
      check.error(step + "needs a method: GET or POST");
    }
    url(check, step, l.url());
    if (l.headers().size() > MAX_HEADERS) {
      check.error(step + "more than " + MAX_HEADERS + " headers");
    }
    l.headers().forEach((name, value) -> {
      if (name == null || !HEADER_NAME.matcher(name).matches()) {
        check.error(step + "header name '" + name + "' is not a valid HTTP header name");
      }
      if (value == null) {
        check.error(step + "header '" + name + "' has no value");
      } else if (value.length() > MAX_VALUE_LENGTH) {
        check.error(step + "header '" + name + "' is longer than " + MAX_VALUE_LENGTH + " characters");
      } else {
        Templates.problems(value).forEach(p -> check.error(step + "header '" + name + "': " + p));
      }
    });
    if (l.body() != null) {
      if (l.method() == CrmLookup.Method.GET) {
        check.error(step + "a GET request has no body: use POST or leave body out");
      }
      if (l.body().length() > MAX_BODY_LENGTH) {
        check.error(step + "body is longer than " + MAX_BODY_LENGTH + " characters");
      } else {
        Templates.problems(l.body()).forEach(p -> check.error(step + "body: " + p));
      }
    }
    timeout(check, step, l.timeout(), MAX_LOOKUP_TIMEOUT, "PT3S");
    if (l.map().isEmpty()) {
      check.error(step + "maps no fields: add \"map\": {\"customerType\": \"$.customerType\"}");
    }
    if (l.map().size() > 50) {
      check.error(step + "maps more than 50 fields");
    }
    l.map().forEach((field, path) -> {
      fieldName(check, step + "map", field);
      JsonMapping.problem(path).ifPresent(p -> check.error(step + "map '" + field + "': " + p));
    });
    fallback(check, step, l.fallback());
  }

  /**
   * A URL template must be http(s) with its scheme and host written out: contact fields may fill the
   * path and query, never choose the server the request goes to.
   */
  private static void url(Check check, String step, String url) {
    if (blank(url)) {
      check.error(step + "url is missing");
      return;
    }
    if (url.length() > MAX_URL_LENGTH) {
      check.error(step + "url is longer than " + MAX_URL_LENGTH + " characters");
      return;
    }
    List<String> problems = Templates.problems(url);
    problems.forEach(p -> check.error(step + "bad url template: " + p));
    String lower = url.toLowerCase(Locale.ROOT);
    int schemeEnd = lower.startsWith("https://") ? 8 : lower.startsWith("http://") ? 7 : -1;
    if (schemeEnd < 0) {
      check.error(step + "url '" + Templates.clip(url) + "' must start with https:// or http://");
      return;
    }
    int hostEnd = schemeEnd;
    while (hostEnd < url.length() && "/?#".indexOf(url.charAt(hostEnd)) < 0) {
      hostEnd++;
    }
    String host = url.substring(schemeEnd, hostEnd);
    if (host.isEmpty()) {
      check.error(step + "url '" + Templates.clip(url) + "' has no host");
    } else if (host.contains("{{") || host.contains("}}")) {
      check.error(step + "bad url template: the host '" + Templates.clip(host) + "' must be fixed text, not a placeholder");
    } else if (host.chars().anyMatch(ch -> ch <= ' ' || ch == '@')) {
      check.error(step + "url host '" + Templates.clip(host) + "' is not a host name");
    }
  }

  private static void timeout(Check check, String step, Duration timeout, Duration max, String example) {
    if (timeout == null) {
      check.error(step + "needs a timeout (an ISO-8601 duration such as \"" + example + "\")");
    } else if (timeout.isNegative() || timeout.isZero()) {
      check.error(step + "timeout " + timeout + " must be positive");
    } else if (timeout.compareTo(max) > 0) {
      check.error(step + "timeout " + timeout + " is longer than " + max);
    }
  }

  private static void fallback(Check check, String step, Action.Terminal fallback) {
    if (fallback == null) {
      check.error(step + "has no fallback: where the conversation goes when the step fails "
          + "(e.g. \"fallback\": {\"type\": \"team\", \"team\": \"support\"})");
    } else {
      terminal(check, fallback, step + "fallback: ");
    }
  }

  private static void stepId(Check check, String type, String id) {
    if (blank(id)) {
      check.error(type + " step needs an id (remembered as done once it ran)");
    } else if (!Templates.FIELD_NAME.matcher(id).matches()) {
      check.error(type + " step id '" + Templates.clip(id) + "' must be 1-64 letters, digits, '.', '_' or '-'");
    }
  }

  private static void fieldName(Check check, String where, String name) {
    if (blank(name)) {
      check.error(where + " needs a field name");
    } else if (!Templates.FIELD_NAME.matcher(name).matches()) {
      check.error(where + " name '" + Templates.clip(name) + "' must be 1-64 letters, digits, '.', '_' or '-'");
    }
  }

  // ---- loops ------------------------------------------------------------------------------------

  /**
   * A step saves fields and the conversation decides again; if the step's own rule still matched it
   * would run forever. So the rule must require one of the step's fields to be missing, where that
   * requirement cannot be bypassed: at the top of "when" or inside (nested) "all"s. The engine also
   * skips done steps, but a rule that relies on that alone re-asks nothing and hides a mistake.
   */
  private static void loop(Check check, Rule rule, Action.Step step) {
    Set<String> produced = new HashSet<>();
    if (step instanceof Question q && q.field() != null) {
      produced.add(q.field());
    } else if (step instanceof CrmLookup l) {
      produced.addAll(l.map().keySet());
    }
    if (produced.isEmpty() || rule.when() == null) {
      return;
    }
    Set<String> guards = new HashSet<>();
    guards(rule.when(), guards, 0);
    if (guards.stream().noneMatch(produced::contains)) {
      String field = step instanceof Question q ? q.field() : produced.stream().sorted().findFirst().orElse("?");
      check.error("step '" + step.id() + "' would loop: after it saves '" + field + "' its rule still matches; add "
          + "{\"type\": \"field\", \"name\": \"" + field + "\", \"op\": \"missing\"} to its \"when\" "
          + "(at the top or inside \"all\")");
    }
  }

  private static void guards(Condition c, Set<String> guards, int depth) {
    if (depth > MAX_CONDITION_DEPTH) {
      return;
    }
    if (c instanceof Condition.Field f && f.op() == Condition.FieldOp.MISSING && f.name() != null) {
      guards.add(f.name());
    } else if (c instanceof Condition.Not not && not.of() instanceof Condition.Field f
        && f.op() == Condition.FieldOp.PRESENT && f.name() != null) {
      guards.add(f.name());
    } else if (c instanceof Condition.All all) {
      for (Condition x : all.of()) {
        guards(x, guards, depth + 1);
      }
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** The JSON type name of a condition or action ("team", "setFields"), for messages. */
  static String typeName(Object o) {
    JsonTypeName name = o.getClass().getAnnotation(JsonTypeName.class);
    return name == null ? o.getClass().getSimpleName() : name.value();
  }

  private static String opName(Condition.FieldOp op) {
    return switch (op) {
      case EQUALS -> "equals";
      case ONE_OF -> "oneOf";
      case PRESENT -> "present";
      case MISSING -> "missing";
    };
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  /** Collects errors, each prefixed with the rule being checked; stops collecting at a bound. */
  private static final class Check {
    final Set<String> teams;
    final Set<String> agents;
    final List<String> errors = new ArrayList<>();
    private String rule;

    Check(Set<String> teams, Set<String> agents) {
      this.teams = teams;
      this.agents = agents;
    }

    void at(String ruleLabel) {
      this.rule = ruleLabel;
    }

    void error(String message) {
      if (errors.size() < MAX_ERRORS) {
        errors.add(rule == null ? message : rule + ": " + message);
      } else if (errors.size() == MAX_ERRORS) {
        errors.add("... more errors left out");
      }
    }
  }
}

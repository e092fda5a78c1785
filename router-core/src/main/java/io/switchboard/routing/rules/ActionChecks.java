package io.switchboard.routing.rules;

import static io.switchboard.routing.rules.RulesValidator.MAX_ACTIONS;
import static io.switchboard.routing.rules.RulesValidator.MAX_ATTEMPTS;
import static io.switchboard.routing.rules.RulesValidator.MAX_BODY_LENGTH;
import static io.switchboard.routing.rules.RulesValidator.MAX_HEADERS;
import static io.switchboard.routing.rules.RulesValidator.MAX_LOOKUP_TIMEOUT;
import static io.switchboard.routing.rules.RulesValidator.MAX_OPTIONS;
import static io.switchboard.routing.rules.RulesValidator.MAX_OPTION_ID_LENGTH;
import static io.switchboard.routing.rules.RulesValidator.MAX_OPTION_TITLE_LENGTH;
import static io.switchboard.routing.rules.RulesValidator.MAX_PATTERN_LENGTH;
import static io.switchboard.routing.rules.RulesValidator.MAX_PRIORITY;
import static io.switchboard.routing.rules.RulesValidator.MAX_QUESTION_TIMEOUT;
import static io.switchboard.routing.rules.RulesValidator.MAX_TEXT_LENGTH;
import static io.switchboard.routing.rules.RulesValidator.MAX_URL_LENGTH;
import static io.switchboard.routing.rules.RulesValidator.MAX_VALUE_LENGTH;

import com.fasterxml.jackson.annotation.JsonTypeName;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks of one rule's "then" for {@link RulesValidator}: the order of its actions, each action
 * (routes against the tenant's teams and agents, priority, fields, tags) and the steps, questions
 * and CRM lookups with their options, URL, headers, body, timeouts and fallbacks.
 */
final class ActionChecks {

  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}");

  private ActionChecks() {
  }

  static void then(RulesCheck check, Rule rule) {
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

  private static void action(RulesCheck check, Action a, String where) {
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
      ConditionChecks.words(check, where + "tag", "tag", t.tags(), 64);
    } else if (a instanceof Question q) {
      question(check, q);
    } else if (a instanceof CrmLookup l) {
      lookup(check, l);
    }
  }

  private static void terminal(RulesCheck check, Action.Terminal t, String where) {
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

  private static void question(RulesCheck check, Question q) {
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

  private static void options(RulesCheck check, String step, List<Question.Option> options) {
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

  private static void lookup(RulesCheck check, CrmLookup l) {
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
  private static void url(RulesCheck check, String step, String url) {
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

  private static void timeout(RulesCheck check, String step, Duration timeout, Duration max, String example) {
    if (timeout == null) {
      check.error(step + "needs a timeout (an ISO-8601 duration such as \"" + example + "\")");
    } else if (timeout.isNegative() || timeout.isZero()) {
      check.error(step + "timeout " + timeout + " must be positive");
    } else if (timeout.compareTo(max) > 0) {
      check.error(step + "timeout " + timeout + " is longer than " + max);
    }
  }

  private static void fallback(RulesCheck check, String step, Action.Terminal fallback) {
    if (fallback == null) {
      check.error(step + "has no fallback: where the conversation goes when the step fails "
          + "(e.g. \"fallback\": {\"type\": \"team\", \"team\": \"support\"})");
    } else {
      terminal(check, fallback, step + "fallback: ");
    }
  }

  private static void stepId(RulesCheck check, String type, String id) {
    if (blank(id)) {
      check.error(type + " step needs an id (remembered as done once it ran)");
    } else if (!Templates.FIELD_NAME.matcher(id).matches()) {
      check.error(type + " step id '" + Templates.clip(id) + "' must be 1-64 letters, digits, '.', '_' or '-'");
    }
  }

  private static void fieldName(RulesCheck check, String where, String name) {
    if (blank(name)) {
      check.error(where + " needs a field name");
    } else if (!Templates.FIELD_NAME.matcher(name).matches()) {
      check.error(where + " name '" + Templates.clip(name) + "' must be 1-64 letters, digits, '.', '_' or '-'");
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** The JSON type name of a condition or action ("team", "setFields"), for messages. */
  static String typeName(Object o) {
    JsonTypeName name = o.getClass().getAnnotation(JsonTypeName.class);
    return name == null ? o.getClass().getSimpleName() : name.value();
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}

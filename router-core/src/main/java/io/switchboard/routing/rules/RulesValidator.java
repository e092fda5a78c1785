package io.switchboard.routing.rules;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks routing rules before they are accepted, so that a tenant never runs a half-valid
 * configuration: every error names its rule ({@code rule 'vip': unknown team 'vipp'}) and all
 * errors are reported at once. Beyond the shape of each condition and action it refuses what would
 * strand or loop a conversation: no final else rule, an else rule ending in a step, a step without
 * fallback, and a step whose rule would still match after the step saved its field.
 *
 * <p>This class checks the list of rules (names, where the else rule is, step ids, loops) and holds
 * the limits; each rule's conditions are checked by {@link ConditionChecks}, its actions and steps
 * by {@link ActionChecks}, and the errors collected in a {@link RulesCheck}.
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
    RulesCheck check = new RulesCheck(teams, agents);
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
        ConditionChecks.condition(check, rule.when(), 1, new int[] {0});
      }
      if (rule.isElse() && !last) {
        check.error("an else rule (\"when\": {\"type\": \"always\"}) must be the last rule: the rules after it would never run");
      }
      ActionChecks.then(check, rule);
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

  // ---- loops ------------------------------------------------------------------------------------

  /**
   * A step saves fields and the conversation decides again; if the step's own rule still matched it
   * would run forever. So the rule must require one of the step's fields to be missing, where that
   * requirement cannot be bypassed: at the top of "when" or inside (nested) "all"s. The engine also
   * skips done steps, but a rule that relies on that alone re-asks nothing and hides a mistake.
   */
  private static void loop(RulesCheck check, Rule rule, Action.Step step) {
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
}

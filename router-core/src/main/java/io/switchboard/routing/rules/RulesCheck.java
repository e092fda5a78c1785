package io.switchboard.routing.rules;

import static io.switchboard.routing.rules.RulesValidator.MAX_ERRORS;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Collects errors, each prefixed with the rule being checked; stops collecting at a bound. */
final class RulesCheck {
  final Set<String> teams;
  final Set<String> agents;
  final List<String> errors = new ArrayList<>();
  private String rule;

  RulesCheck(Set<String> teams, Set<String> agents) {
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

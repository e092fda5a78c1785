package io.switchboard.routing.rules;

import io.switchboard.CborSerializable;
import java.util.List;

/**
 * A tenant's routing rules: tried in order, the first that matches decides, and the last is always
 * an <em>else</em> rule ({@code "when": {"type": "always"}}) ending in a route, so no conversation is
 * left unrouted. Loaded from JSON (a file or the API), checked by {@link RulesValidator} before it is
 * accepted, applied by {@link RulesEngine}.
 *
 * @param description what the configuration is for, for people (optional)
 * @param timeZone    the zone of {@link Condition.Time} shifts, such as {@code America/Sao_Paulo}; null is UTC
 */
public record RoutingRules(String description, String timeZone, List<Rule> rules) implements CborSerializable {

  public RoutingRules {
    rules = Copies.list(rules);
  }

  public RoutingRules(String timeZone, List<Rule> rules) {
    this(null, timeZone, rules);
  }
}

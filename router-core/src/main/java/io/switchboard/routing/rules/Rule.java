package io.switchboard.routing.rules;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.switchboard.CborSerializable;
import java.util.List;

/**
 * One routing rule: when {@code when} holds (and its step, if any, has not run yet), {@code then}
 * decides. {@code then} is zero or more {@link Action.Modifier}s, then one {@link Action.Terminal}
 * or {@link Action.Step}. The name appears in errors, decisions and reasons.
 */
public record Rule(String name, Condition when, List<Action> then) implements CborSerializable {
  public Rule {
    then = Copies.list(then);
  }

  /** The action that decides: the last one (null if there is none). */
  public Action decisive() {
    return then.isEmpty() ? null : then.get(then.size() - 1);
  }

  /** Whether this is an else rule: it holds for every message. Not a JSON property. */
  @JsonIgnore
  public boolean isElse() {
    return when instanceof Condition.Always;
  }
}

package io.switchboard.conversation.state;

import io.switchboard.conversation.Conversation.Pending;
import io.switchboard.conversation.Conversation.Routing;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The routing rules' work on this episode: {@link #EMPTY} (shared) until a rule starts a step.
 *
 * @param pending the step the rules wait for while ROUTING (a question or a lookup), else null
 * @param routing what the rules decide on while ROUTING (the rules and the opening message), else null
 * @param stepsDone the steps of this episode that ran (answered, looked up or fallen back)
 */
public record RuleFlow(Pending pending, Routing routing, Set<String> stepsDone) {

  public static final RuleFlow EMPTY = new RuleFlow(null, null, Set.of());

  public RuleFlow {
    stepsDone = stepsDone == null ? Set.of() : stepsDone;
  }

  public RuleFlow started(Pending step, Routing on) {
    return new RuleFlow(step, on, stepsDone);
  }

  /** The pending step ran (answered, or fell back): the rules decide again without it. */
  public RuleFlow stepDone(String stepId) {
    Set<String> d = new LinkedHashSet<>(stepsDone);
    d.add(stepId);
    return new RuleFlow(null, routing, Set.copyOf(d));
  }

  /** The question is asked again (attempt {@code attempt}, until {@code deadline}, prefixed with why). */
  public RuleFlow retried(int attempt, Instant deadline, String message) {
    if (pending == null) return this;
    Pending p = pending;
    return new RuleFlow(new Pending(p.stepId(), p.rule(), p.question(), p.lookup(), attempt, deadline,
        message + "\n\n" + p.question().text()), routing, stepsDone);
  }

  /** The rules decided the route: nothing pending; the steps done stay for the episode. */
  public RuleFlow decided() {
    if (pending == null && routing == null) return this;
    return stepsDone.isEmpty() ? EMPTY : new RuleFlow(null, null, stepsDone);
  }
}

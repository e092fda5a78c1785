package io.switchboard.conversation;

import io.switchboard.conversation.Conversation.ClockDue;
import io.switchboard.conversation.Conversation.Event;
import io.switchboard.conversation.Conversation.Redeliver;
import io.switchboard.conversation.Conversation.ServiceWindowClosed;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.Status;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.persistence.typed.javadsl.Effect;

/**
 * The conversation's clocks: the reply window (and its warning), idle auto-resolve, the 24 h service
 * window and a rule step's deadline, each persisted as an instant; and the redelivery timer of the
 * at-least-once layer.
 *
 * <p>One timer ({@link ClockDue}) runs for all the clocks, armed from the state for the earliest running
 * deadline (a timer per clock cost about 160 bytes of heap each, three in a typical assigned conversation;
 * docs/PERFORMANCE.md, "Heap"). When it fires, the earliest deadline due is handled by its own handler,
 * which persists what follows and re-arms from the new state ({@link #armTimers}, also called after every
 * other write and on recovery); a deadline already due when the timer is armed (it passed while the
 * conversation was down) is told to the conversation at once, one message per due deadline. Every handler
 * checks the deadline against the state, so a message that finds nothing due only re-arms.
 *
 * <p>Stateless: every method takes the conversation's entity {@code e} (its fields and soft state) and
 * the current state {@code s}; {@link ConversationEntity} dispatches the commands here.
 */
final class Deadlines {

  private Deadlines() {}

  /** The clock timer fired, or a due deadline was told at once: handle what is due, re-arm for the next. */
  static Effect<Event, State> onClockDue(ConversationEntity e, State s, ClockDue c) {
    Instant now = e.clock.instant();
    Instant warnAt = warningAt(e, s);
    // the warning: only from the timer armed for it (one per reply deadline), a courtesy that is never persisted
    if (warnAt != null && c == ClockDue.TIMER && e.clockArmedFor == nanos(warnAt) && !now.isBefore(warnAt)) {
      e.observer.replyWindowClosing(e.conversationId, s.agentId(), s.runningReplyDeadline());
    }
    Instant step = s.runningStepDeadline();
    Instant reply = s.runningReplyDeadline();
    Instant idle = s.runningIdleDeadline();
    Instant service = s.runningServiceWindow();
    Instant due = earliestDue(now, step, reply, idle, service);
    if (due == null) {
      armTimers(e, s);
      return e.Effect().none();
    }
    // ties: a rule step, the reply window, idle auto-resolve, the service window; the next one is due at once
    if (due.equals(step)) return RuleSteps.onStepDeadline(e, s, step);
    if (due.equals(reply)) return onReplyWindowEnded(e, s);
    if (due.equals(idle)) return AgentActions.resolve(e, s, "idle: no message for " + e.policyOf(s).idleAutoResolve());
    return e.Effect().persist(new ServiceWindowClosed(now)).thenRun(ns -> armTimers(e, ns));
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  private static Instant earliestDue(Instant now, Instant... deadlines) {
    Instant due = null;
    for (Instant d : deadlines) {
      if (d != null && !d.isAfter(now) && (due == null || d.isBefore(due))) due = d;
    }
    return due;
  }

  /** The running reply window ended: re-route, or escalate after too many re-routes. */
  private static Effect<Event, State> onReplyWindowEnded(ConversationEntity e, State s) {
    if (s.round().reroutes() >= e.policyOf(s).maxReroutes()) {
      return Assignments.escalate(e, s, RerouteCause.REPLY_WINDOW_LAPSED.reason(s.agentId()
          + " did not answer within " + e.policyOf(s).replyWindow() + " after " + s.round().reroutes() + " re-routes"),
          e.clock.instant());
    }
    return AgentActions.reroute(e, s, RerouteCause.REPLY_WINDOW_LAPSED, true);
  }

  /**
   * Arms the one clock timer for the earliest running deadline still ahead (the reply window's warning
   * included), cancels it when none runs, and tells the conversation at once of each deadline already
   * due; then the redelivery timer.
   */
  static void armTimers(ConversationEntity e, State s) {
    Instant now = e.clock.instant();
    Instant warnAt = warningAt(e, s);
    Instant next = warnAt != null && warnAt.isAfter(now) ? warnAt : null;
    int due = 0;
    for (Instant d : new Instant[] {s.runningStepDeadline(), s.runningReplyDeadline(), s.runningIdleDeadline(),
        s.runningServiceWindow()}) {
      if (d == null) continue;
      if (!d.isAfter(now)) {
        due++;
      } else if (next == null || d.isBefore(next)) {
        next = d;
      }
    }
    if (next == null) {
      e.timers.cancel(ClockDue.class);
    } else if (e.clockArmedFor != nanos(next) || !e.timers.isTimerActive(ClockDue.class)) { // else: armed already
      e.clockArmedFor = nanos(next);
      // measured again right before scheduling: the instant the scheduler counts from (see DeadlineTimers)
      e.timers.startSingleTimer(ClockDue.class, ClockDue.TIMER, Duration.between(e.clock.instant(), next));
    }
    for (int i = 0; i < due; i++) e.context.getSelf().tell(new ClockDue(now));
    scheduleRedelivery(e, s);
  }

  /**
   * The warning comes {@code reply-window-warning} before the running reply deadline (at most half the
   * window); derived from the persisted deadline, so it is re-armed after recovery, and skipped once its
   * moment has passed (a warning is a courtesy, the deadline itself is what must not be missed).
   * Null when no reply window runs.
   */
  private static Instant warningAt(ConversationEntity e, State s) {
    Instant deadline = s.runningReplyDeadline();
    if (deadline == null || !e.policyOf(s).hasReplyWindow()) return null;
    Duration half = e.policyOf(s).replyWindow().dividedBy(2);
    Duration lead = e.settings.replyWindowWarning().compareTo(half) < 0 ? e.settings.replyWindowWarning() : half;
    return deadline.minus(lead);
  }

  /**
   * Something unacknowledged (this round's request, a release) is re-sent every redelivery
   * interval; a conversation its team has queued only re-announces itself, far less often, so a
   * queue entry lost with a team's crash is rebuilt. Nothing pending: no timer at all.
   */
  static void scheduleRedelivery(ConversationEntity e, State s) {
    boolean waiting = s.status() == Status.WAITING;
    Duration d;
    if ((waiting && e.queuedAckAttempt != s.attempt()) || !Redelivery.unackedReleases(e, s).isEmpty()) {
      d = e.settings.redeliveryInterval();
    } else if (waiting) {
      d = e.settings.queueCheckInterval();
    } else {
      e.timers.cancel(Redeliver.class);
      e.redeliveryDue = null;
      return;
    }
    Instant due = e.clock.instant().plus(d);
    if (e.redeliveryDue == null || !e.timers.isTimerActive(Redeliver.class) || e.redeliveryDue.isAfter(due)) {
      e.timers.startSingleTimer(Redeliver.class, new Redeliver(), d);
      e.redeliveryDue = due;
    }
  }
}

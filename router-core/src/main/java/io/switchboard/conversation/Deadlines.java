package io.switchboard.conversation;

import io.switchboard.conversation.Conversation.Command;
import io.switchboard.conversation.Conversation.Event;
import io.switchboard.conversation.Conversation.IdleTimeout;
import io.switchboard.conversation.Conversation.Redeliver;
import io.switchboard.conversation.Conversation.ReplyWindowClosing;
import io.switchboard.conversation.Conversation.ReplyWindowEnded;
import io.switchboard.conversation.Conversation.ServiceWindowClosed;
import io.switchboard.conversation.Conversation.ServiceWindowEnds;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.conversation.Conversation.StepDeadline;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import org.apache.pekko.persistence.typed.javadsl.Effect;

/**
 * The conversation's clocks: the reply window (and its warning), idle auto-resolve, the 24 h service
 * window and a rule step's deadline, each persisted as an instant and armed from the state; and the
 * redelivery timer of the at-least-once layer.
 *
 * <p>Stateless: every method takes the conversation's entity {@code e} (its fields and soft state) and
 * the current state {@code s}; {@link ConversationEntity} dispatches the commands here.
 */
final class Deadlines {

  private Deadlines() {}

  static Effect<Event, State> onReplyWindowEnded(ConversationEntity e, State s, ReplyWindowEnded c) {
    if (s.status() != Status.ASSIGNED || !c.deadline().equals(s.replyDeadline())) return e.Effect().none();
    Instant now = e.clock.instant();
    if (now.isBefore(c.deadline())) {
      armTimers(e, s);
      return e.Effect().none();
    }
    if (s.round().reroutes() >= e.policyOf(s).maxReroutes()) {
      return Assignments.escalate(e, s, RerouteCause.REPLY_WINDOW_LAPSED.reason(s.agentId()
          + " did not answer within " + e.policyOf(s).replyWindow() + " after " + s.round().reroutes() + " re-routes"), now);
    }
    return AgentActions.reroute(e, s, RerouteCause.REPLY_WINDOW_LAPSED, true);
  }

  static Effect<Event, State> onReplyWindowClosing(ConversationEntity e, State s, ReplyWindowClosing c) {
    if (s.status() == Status.ASSIGNED && c.deadline().equals(s.replyDeadline())) {
      e.observer.replyWindowClosing(e.conversationId, s.agentId(), c.deadline());
    }
    return e.Effect().none();
  }

  static Effect<Event, State> onIdleTimeout(ConversationEntity e, State s, IdleTimeout c) {
    if (s.status() != Status.ASSIGNED || !c.deadline().equals(s.clocks().idleDeadline())) return e.Effect().none();
    if (e.clock.instant().isBefore(c.deadline())) {
      armTimers(e, s);
      return e.Effect().none();
    }
    return AgentActions.resolve(e, s, "idle: no message for " + e.policyOf(s).idleAutoResolve());
  }

  static Effect<Event, State> onServiceWindowEnds(ConversationEntity e, State s, ServiceWindowEnds c) {
    if (s.clocks().serviceWindowClosed() || !c.deadline().equals(s.clocks().serviceWindowClosesAt())) {
      return e.Effect().none();
    }
    Instant now = e.clock.instant();
    if (now.isBefore(c.deadline())) {
      armTimers(e, s);
      return e.Effect().none();
    }
    return e.Effect().persist(new ServiceWindowClosed(now));
  }

  static void armTimers(ConversationEntity e, State s) {
    Instant now = e.clock.instant();
    arm(e, ReplyWindowEnded.class, s.runningReplyDeadline(), now, ReplyWindowEnded::new);
    arm(e, IdleTimeout.class, s.runningIdleDeadline(), now, IdleTimeout::new);
    armReplyWindowWarning(e, s, now);
    arm(e, StepDeadline.class, s.runningStepDeadline(), now, StepDeadline::new);
    arm(e, ServiceWindowEnds.class, s.runningServiceWindow(), now, ServiceWindowEnds::new);
    scheduleRedelivery(e, s);
  }

  /**
   * The warning comes {@code reply-window-warning} before the deadline (at most half the window);
   * derived from the persisted deadline, so it is re-armed after recovery, and skipped once its
   * moment has passed (a warning is a courtesy, the deadline itself is what must not be missed).
   */
  private static void armReplyWindowWarning(ConversationEntity e, State s, Instant now) {
    Instant deadline = s.runningReplyDeadline();
    if (deadline == null || !e.policyOf(s).hasReplyWindow()) {
      e.timers.cancel(ReplyWindowClosing.class);
      return;
    }
    Duration half = e.policyOf(s).replyWindow().dividedBy(2);
    Duration lead = e.settings.replyWindowWarning().compareTo(half) < 0 ? e.settings.replyWindowWarning() : half;
    Instant warnAt = deadline.minus(lead);
    if (warnAt.isAfter(now)) {
      e.timers.startSingleTimer(ReplyWindowClosing.class, new ReplyWindowClosing(deadline),
          Duration.between(now, warnAt));
    } else {
      e.timers.cancel(ReplyWindowClosing.class);
    }
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

  private static void arm(ConversationEntity e, Class<?> key, Instant deadline, Instant now,
      Function<Instant, Command> msg) {
    e.deadlines.at(key, deadline, now, deadline == null ? null : msg.apply(deadline));
  }
}

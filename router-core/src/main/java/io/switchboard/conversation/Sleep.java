package io.switchboard.conversation;

import io.switchboard.conversation.Conversation.Event;
import io.switchboard.conversation.Conversation.IdleCheck;
import io.switchboard.conversation.Conversation.SettleWake;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.conversation.Conversation.WakeUp;
import io.switchboard.conversation.Conversation.Woken;
import java.time.Instant;
import org.apache.pekko.persistence.typed.javadsl.Effect;

/**
 * Sleeping and waking: when a conversation may stop (settled, idle, no deadline soon) and how it answers
 * the wake-up keeper once whatever was due has fired ({@link Conversation.WakeUp}, docs/ARCHITECTURE.md
 * "Recovery on demand").
 *
 * <p>Stateless: every method takes the conversation's entity {@code e} (its fields and soft state) and
 * the current state {@code s}; {@link ConversationEntity} dispatches the commands here.
 */
final class Sleep {

  private Sleep() {}

  /**
   * Nothing this incarnation holds in memory is needed any more: no release or team request waits for
   * an acknowledgement (a queued request is durable in its team) and no CRM lookup is running.
   */
  private static boolean settled(ConversationEntity e, State s) {
    if (!Redelivery.unackedReleases(e, s).isEmpty()) return false;
    if (s.status() == Status.WAITING && e.queuedAckAttempt != s.attempt()) return false;
    return !(s.status() == Status.ROUTING && s.pending() != null && s.pending().lookup() != null);
  }

  static Effect<Event, State> onSettleWake(ConversationEntity e, State s, SettleWake c) {
    Instant next = s.nextDeadline();
    if (settled(e, s) && (next == null || next.isAfter(e.clock.instant()))) {
      c.replyTo().tell(new Woken(e.conversationId, e.lastSequenceNumber(e.context), next));
      e.wakeWaiter = null;
      e.timers.cancel(SettleWake.class);
    } else {
      // checked again when an acknowledgement arrives, and at the latest after a redelivery interval
      e.wakeWaiter = c.replyTo();
      e.timers.startSingleTimer(SettleWake.class, c, e.settings.redeliveryInterval());
    }
    return e.Effect().none();
  }

  /** An acknowledgement arrived: a wake-up waiting for it may be answered now. */
  static void settleWakeAgain(ConversationEntity e) {
    if (e.wakeWaiter != null) e.context.getSelf().tell(new SettleWake(e.wakeWaiter));
  }

  /**
   * Stops (through the shard, which buffers what arrives meanwhile) when idle for {@code passivate-after}
   * and settled, unless a deadline is within {@code min-sleep}. A waiting conversation stays: its team
   * checks it every queue-check interval anyway.
   */
  static Effect<Event, State> onIdleCheck(ConversationEntity e, State s, IdleCheck c) {
    if (e.pre != null) return e.Effect().none();
    Instant now = e.clock.instant();
    Instant next = s.nextDeadline();
    if (e.passivation != null && e.idleLongEnough() && settled(e, s)
        && s.status() != Status.WAITING && (next == null || !next.isBefore(now.plus(e.settings.minSleep())))) {
      e.passivation.accept(e.context.getSelf());
    }
    return e.Effect().none();
  }

  /** The wake-up keeper: a deadline is due. Answered with {@link Conversation.Woken} once settled. */
  static Effect<Event, State> onWakeUp(ConversationEntity e, WakeUp c) {
    // Due deadlines were re-armed (at once) when this incarnation recovered: settle after them.
    e.context.getSelf().tell(new SettleWake(c.replyTo()));
    return e.Effect().none();
  }
}

package io.switchboard.conversation;

import io.switchboard.conversation.Conversation.Command;
import io.switchboard.conversation.Conversation.TimerFired;
import java.time.Duration;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * A conversation's timers, without Pekko's {@code TimerScheduler}: the same few calls (one timer per key,
 * a new one replacing the old, a cancelled or replaced timer's message never handled), on the actor
 * system's scheduler directly. Pekko's costs a behavior interceptor, a scheduler object, its map and
 * generation counter per entity and two objects per timer: about 250 bytes of every running conversation
 * (docs/PERFORMANCE.md, "Heap"). Here a running timer is one {@link TimerFired} (the message it delivers,
 * linked into this incarnation's list) and its scheduler task.
 *
 * <p>The entity hands every {@link TimerFired} it receives to {@link #fired} first: that answers the
 * message to handle, or null for a stale one (cancelled, replaced, or of an earlier incarnation). Cancelled
 * all at once when the conversation stops ({@link #cancelAll}, on its stop message). Used inside the actor only.
 */
final class ConversationTimers {
  private final ActorContext<Command> context;
  /** The running timers, most recent first; a conversation has at most a handful. */
  private TimerFired running;

  ConversationTimers(ActorContext<Command> context) {
    this.context = context;
  }

  void startSingleTimer(Object key, Command message, Duration delay) {
    cancel(key);
    TimerFired t = new TimerFired(key, message, null, running);
    t.cancellable = context.scheduleOnce(delay, context.getSelf(), t);
    running = t;
  }

  /**
   * {@code message} every {@code delay}, counted from the moment the previous one was handled: each is
   * scheduled once when the one before is handled, so no task outlives an incarnation by more than one.
   */
  void startTimerWithFixedDelay(Object key, Command message, Duration delay) {
    cancel(key);
    TimerFired t = new TimerFired(key, message, delay, running);
    t.cancellable = context.scheduleOnce(delay, context.getSelf(), t);
    running = t;
  }

  boolean isTimerActive(Object key) {
    for (TimerFired t = running; t != null; t = t.next) {
      if (t.key.equals(key)) return true;
    }
    return false;
  }

  void cancel(Object key) {
    TimerFired t = unlink(key);
    if (t != null) t.cancellable.cancel();
  }

  void cancelAll() {
    for (TimerFired t = running; t != null; t = t.next) t.cancellable.cancel();
    running = null;
  }

  /** The message of a timer that fired, or null when that timer was cancelled or replaced since (stale). */
  Command fired(TimerFired t) {
    TimerFired live = null;
    for (TimerFired r = running; r != null; r = r.next) {
      if (r.key.equals(t.key)) {
        live = r;
        break;
      }
    }
    if (live != t) return null;
    if (t.every == null) unlink(t.key);
    else t.cancellable = context.scheduleOnce(t.every, context.getSelf(), t);
    return t.message;
  }

  private TimerFired unlink(Object key) {
    TimerFired prev = null;
    for (TimerFired t = running; t != null; prev = t, t = t.next) {
      if (t.key.equals(key)) {
        if (prev == null) running = t.next;
        else prev.next = t.next;
        t.next = null;
        return t;
      }
    }
    return null;
  }
}

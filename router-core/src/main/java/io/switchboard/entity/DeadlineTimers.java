package io.switchboard.entity;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Arms an entity's timers from persisted deadlines. A deadline already due (it passed while the
 * entity was down, or the timer's message was superseded by a re-arm at the very moment it fired)
 * is delivered to the entity at once, without a round trip through the scheduler. Handlers check
 * the deadline against their state, so a duplicate delivery does nothing.
 *
 * <p>The delay is measured on the entity's clock right before the timer is scheduled, so the instant
 * the scheduler counts from is the one the delay was computed from (in tests the manual clock moves
 * while an advance runs; see the test kit's {@code ManualTimeScheduler}).
 */
public final class DeadlineTimers<T> {
  private final TimerScheduler<T> timers;
  private final ActorRef<T> self;

  public DeadlineTimers(TimerScheduler<T> timers, ActorRef<T> self) {
    this.timers = timers;
    this.self = self;
  }

  /** Delivers {@code message} at {@code deadline}; a null deadline cancels the timer {@code key}. */
  public void at(Object key, Instant deadline, Clock clock, T message) {
    if (deadline == null) {
      timers.cancel(key);
      return;
    }
    Instant now = clock.instant();
    if (!deadline.isAfter(now)) {
      timers.cancel(key);
      self.tell(message);
    } else {
      timers.startSingleTimer(key, message, Duration.between(now, deadline));
    }
  }
}

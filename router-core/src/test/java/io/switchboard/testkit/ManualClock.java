package io.switchboard.testkit;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.apache.pekko.testkit.ExplicitlyTriggeredScheduler;

/**
 * The entities' clock in tests: reads ManualTime's scheduler, so while {@code timePasses} walks
 * through an advance, each timer's actor sees the instant the timer was due, and timers armed on
 * the way are placed on the same time line. (A clock moved separately would jump to the end of the
 * advance first, and an entity re-arming for a deadline just after it would step through the rest
 * of the advance in tiny increments.)
 */
public final class ManualClock extends Clock {
  private final Instant start;
  private final ExplicitlyTriggeredScheduler scheduler;
  /** The scheduler's time can step back while a task runs on another thread; entities never see that. */
  private final java.util.concurrent.atomic.AtomicLong highWater = new java.util.concurrent.atomic.AtomicLong();

  public ManualClock(Instant start, ExplicitlyTriggeredScheduler scheduler) {
    this.start = start;
    this.scheduler = scheduler;
  }

  @Override
  public Instant instant() {
    long millis = highWater.accumulateAndGet(scheduler.currentTimeMs(), Math::max);
    if (scheduler instanceof ManualTimeScheduler s) s.read(millis);
    return start.plusMillis(millis);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("the test clock is UTC");
  }
}

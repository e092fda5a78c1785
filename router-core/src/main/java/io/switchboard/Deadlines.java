package io.switchboard;

import java.time.Duration;
import java.time.Instant;

/** Turning persisted deadlines into timer delays. */
public final class Deadlines {
  private static final Duration SOON = Duration.ofMillis(1);

  private Deadlines() {}

  /**
   * The delay from {@code now} until {@code deadline}; a deadline already passed (for example while
   * the entity was down) fires on the scheduler's next tick. Never zero: a zero delay makes some
   * schedulers run the task on the calling thread.
   */
  public static Duration delayUntil(Instant now, Instant deadline) {
    Duration d = Duration.between(now, deadline);
    return d.compareTo(SOON) < 0 ? SOON : d;
  }
}

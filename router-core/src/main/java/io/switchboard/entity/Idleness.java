package io.switchboard.entity;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;

/**
 * When an entity last received a command other than its own periodic idle check: what passivation
 * decides on. One per entity incarnation, used only inside that actor.
 */
public final class Idleness {
  private final Clock clock;
  private final Duration after;
  /** Epoch milliseconds (a long, not an {@code Instant}: one object less per entity, none per command). */
  private long last;

  /** @param after {@code passivate-after} (null: passivation off) */
  public Idleness(Clock clock, Duration after) {
    this.clock = clock;
    this.after = after;
    this.last = clock.millis();
  }

  /** {@code handler}, noting the time of every command that is not an {@code idleCheck}. */
  public <C, E, S> CommandHandler<C, E, S> tracking(CommandHandler<C, E, S> handler, Class<? extends C> idleCheck) {
    return (state, command) -> {
      if (!idleCheck.isInstance(command)) last = clock.millis();
      return handler.apply(state, command);
    };
  }

  /** No command for {@code passivate-after}. */
  public boolean idleLongEnough() {
    return after != null && last + after.toMillis() <= clock.millis();
  }

  /** Starts the periodic idle check (the timer key is the check's class). */
  public <T> void startChecks(TimerScheduler<T> timers, T check) {
    timers.startTimerWithFixedDelay(check.getClass(), check, after);
  }

  /**
   * The idle check of an entity that is meant to run for good once configured (agents, teams): one
   * that never persisted an event stops when idle, so reading random names grows nothing; a configured
   * one stops checking.
   */
  public <T> void checkUnconfigured(long lastSequenceNr, TimerScheduler<T> timers, Class<?> checkKey,
      Runnable passivate) {
    if (lastSequenceNr > 0) timers.cancel(checkKey);
    else if (idleLongEnough()) passivate.run();
  }
}

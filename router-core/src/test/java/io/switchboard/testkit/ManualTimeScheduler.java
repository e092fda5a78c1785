package io.switchboard.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.lang.reflect.Constructor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.testkit.ExplicitlyTriggeredScheduler;
import scala.Option;
import scala.concurrent.ExecutionContext;
import scala.concurrent.duration.FiniteDuration;

/**
 * ManualTime's scheduler, placing a timer where the entity meant it to be while an advance runs.
 *
 * <p>An entity reads its clock ({@link ManualClock}), computes the delay to its deadline and schedules;
 * Pekko's {@link ExplicitlyTriggeredScheduler} adds that delay to its own current time at the moment of
 * the call. While {@code timePasses} walks through an advance on the test's thread, that time moves on
 * between the entity's read and its call (by seconds of manual time per millisecond on a busy machine),
 * so the timer lands late, and a deadline at the very end of the advance lands after it and waits for the
 * next advance: a conversation whose reply window ends exactly when the test's advance ends stayed
 * assigned (ConversationClocksTest failed so in CI, and under load here). The production scheduler has no
 * such gap to speak of: its clock is the wall clock.
 *
 * <p>So {@link ManualClock} notes, per thread, the manual instant it last gave, and the next single timer
 * scheduled on that thread in the same advance is placed at that instant plus its delay (the instant its
 * delay was computed from), in the scheduler's own table; if the advance is past it already, what is due
 * runs at once on the entity's thread, as Pekko runs a timer without delay; and every advance ends by
 * running what became due while it ended. The note is used once: the timers after it are counted from the
 * scheduler's time as Pekko's are. At worst one timer of an actor that did not read the clock, scheduled
 * on a thread whose note another actor left, fires early by the part of the advance between the two.
 * Every task it is given runs once even when two threads find it due together (Pekko takes a task out of
 * its table after running it): run twice, the task of a periodic timer with fixed delay, which schedules
 * its next run as it runs, forked; Pekko's ddata serializer's cache eviction forked so on and on, to 176
 * copies, until the invariant test's advances took seconds and a CI run did not end. Periodic timers are left alone. Running a task that fell due earlier sets Pekko's time
 * back to that task's; this scheduler puts it forward again, so an advance after it is as long as asked.
 */
public final class ManualTimeScheduler extends ExplicitlyTriggeredScheduler {
  /** For a test's configuration, above {@code ManualTime.config()}. */
  public static final Config CONFIG = ConfigFactory.parseString(
      "pekko.scheduler.implementation = \"" + ManualTimeScheduler.class.getName() + "\"");

  /** Per thread: the manual millis last read, of which scheduler, in which of its advances. */
  private static final ThreadLocal<Note> LAST_READ = ThreadLocal.withInitial(Note::new);

  private static final class Note {
    ManualTimeScheduler scheduler; // null: used or none (a JVM runs the test classes' systems one after another)
    long millis;
    long advance;
  }

  private static final Constructor<?> ITEM;

  static {
    try {
      ITEM = Class.forName(ExplicitlyTriggeredScheduler.class.getName() + "$Item")
          .getConstructor(ExplicitlyTriggeredScheduler.class, Option.class, Runnable.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final AtomicLong advance = new AtomicLong();
  /** The scheduler's own time (private to Pekko's class). */
  private final AtomicLong time = timeOf(this);

  private static AtomicLong timeOf(ExplicitlyTriggeredScheduler scheduler) {
    try {
      java.lang.reflect.Field f = ExplicitlyTriggeredScheduler.class.getDeclaredField("currentTime");
      f.setAccessible(true);
      return (AtomicLong) f.get(scheduler);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Pekko's ExplicitlyTriggeredScheduler changed", e);
    }
  }

  public ManualTimeScheduler(Config config, LoggingAdapter log, ThreadFactory threadFactory) {
    super(config, log, threadFactory);
  }

  /** The clock gave {@code millis} (since the scheduler's start) to this thread. */
  void read(long millis) {
    Note n = LAST_READ.get();
    n.scheduler = this;
    n.millis = millis;
    n.advance = advance.get();
  }

  @Override
  public void timePasses(FiniteDuration amount) {
    advance.incrementAndGet();
    super.timePasses(amount);
    long end = currentTimeMs();
    // a timer placed while the advance ended, already due: placed before the time was put back to the end,
    // the sweep runs it; placed after, its own scheduleOnce does
    keepAtLeast(end);
    executeTasks(end);
    keepAtLeast(end);
  }

  @Override
  public Cancellable scheduleOnce(FiniteDuration delay, Runnable runnable, ExecutionContext executor) {
    runnable = new Once(runnable);
    long now = currentTimeMs();
    Note n = LAST_READ.get();
    if (n.scheduler == this && n.advance == advance.get()) {
      n.scheduler = null;
      long at = n.millis + Math.max(0, delay.toMillis());
      Object item = newItem(runnable);
      table().put(item, at);
      if (at <= currentTimeMs()) runDue(); // due already, or the advance moved past it before the put
      return cancellable(item);
    }
    Cancellable c = super.scheduleOnce(delay, runnable, executor);
    if (delay.toMillis() <= 0) keepAtLeast(now); // Pekko ran what was due, setting its time to theirs
    return c;
  }

  /** What is due now, run on this thread, as Pekko does for a timer without delay. */
  private void runDue() {
    long now = currentTimeMs();
    executeTasks(now);
    keepAtLeast(now);
  }

  /**
   * A timer's task, run once even when the test's thread and an entity's both find it due: Pekko takes a
   * task out of its table after running it, so two threads running due tasks (an advance, and an entity's
   * timer due at once) may both take it. A task of a periodic timer with fixed delay schedules its next run
   * as it runs (Pekko's {@code scheduleWithFixedDelay} is a chain of {@code scheduleOnce}), so a task run
   * twice forked the chain.
   */
  private static final class Once implements Runnable {
    private final Runnable task;
    private final java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();

    Once(Runnable task) {
      this.task = task;
    }

    @Override
    public void run() {
      if (ran.compareAndSet(false, true)) task.run();
    }
  }

  private Cancellable cancellable(Object item) {
    return new Cancellable() {
      private volatile boolean cancelled;

      @Override
      public boolean cancel() {
        cancelled = true;
        return table().remove(item) != null;
      }

      @Override
      public boolean isCancelled() {
        return cancelled;
      }
    };
  }

  /** The scheduler's own entry for a single timer (its class is private to Scala, public to the JVM). */
  private Object newItem(Runnable runnable) {
    try {
      return ITEM.newInstance(this, Option.empty(), runnable);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Pekko's ExplicitlyTriggeredScheduler changed", e);
    }
  }

  @SuppressWarnings("unchecked")
  private java.util.Map<Object, Object> table() {
    return (java.util.Map<Object, Object>) (java.util.Map<?, ?>)
        org$apache$pekko$testkit$ExplicitlyTriggeredScheduler$$scheduled();
  }

  /**
   * Pekko's {@code executeTasks} sets the time to each task's own as it runs it, so running, after an
   * advance, a task that fell due during it (or any due task, from a zero-delay timer) set the time back,
   * and the next advance ended that much early. The time never goes below what it was.
   */
  private void keepAtLeast(long millis) {
    time.accumulateAndGet(millis, Math::max);
  }
}

package io.switchboard.gateway.outbound;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import scala.concurrent.ExecutionContextExecutor;

/**
 * Deadlines on {@link CompletionStage}s that stay on the actor system's threads. Every
 * callback names the system's executor: on a 2-core machine the JDK's common pool would start a
 * thread per callback (see STACK.md).
 */
final class Async {
  private Async() {}

  /**
   * {@code stage}'s outcome, or a {@link TimeoutException} saying {@code what} timed out if it takes
   * longer than {@code timeout}. The work itself is not cancelled: a late result is dropped.
   */
  static <T> CompletableFuture<T> within(CompletionStage<T> stage, Duration timeout, String what,
      ActorSystem<?> system) {
    ExecutionContextExecutor ec = system.executionContext();
    CompletableFuture<T> out = new CompletableFuture<>();
    Cancellable timer = system.scheduler().scheduleOnce(timeout,
        () -> out.completeExceptionally(new TimeoutException(what + " timed out after " + human(timeout))), ec);
    stage.whenCompleteAsync((value, error) -> {
      timer.cancel();
      if (error != null) out.completeExceptionally(unwrap(error));
      else out.complete(value);
    }, ec);
    return out;
  }

  /** The cause a {@link CompletionException} or {@link ExecutionException} wraps. */
  static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** What went wrong, in one line: the message, or the exception's name when there is none. */
  static String describe(Throwable e) {
    Throwable t = unwrap(e);
    String message = t.getMessage();
    return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
  }

  /** {@code 10s}, {@code 500ms}. */
  static String human(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }
}

package io.switchboard.gateway.outbound;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import scala.concurrent.ExecutionContextExecutor;

/**
 * JSON POSTs with a deadline, through Pekko HTTP's pooled client. Every response entity is consumed
 * (read or discarded), so no connection stays blocked by an unread body.
 *
 * <p>The client has no per-request timeout, so there are two: a hard deadline on the whole exchange
 * (connect, send, response, body), and connect and idle timeouts of about the same length on the
 * pool's connections, which close a connection whose receiver went quiet and so free its slot.
 * The pool never retries by itself: retrying is the callers' decision.
 */
final class HttpPost {
  /** A response: its status, and its body as text when it was read (empty otherwise). */
  record Reply(int status, String body) {
    boolean success() {
      return status >= 200 && status < 300;
    }
  }

  /** Bodies read are small JSON documents or error texts; anything longer is not worth holding. */
  static final long MAX_BODY_BYTES = 64 * 1024;

  private final ActorSystem<?> system;
  private final ExecutionContextExecutor ec;
  private final Http http;
  private final ConnectionPoolSettings pool;
  private final Duration timeout;

  /**
   * @param timeout the most one exchange may take
   * @param maxConnections connections per receiving host
   * @param maxOpenRequests requests per host in flight or waiting for a connection (rounded up to a
   *     power of two, as the pool requires); more fail at once instead of queueing
   */
  HttpPost(ActorSystem<?> system, Duration timeout, int maxConnections, int maxOpenRequests) {
    this.system = system;
    this.ec = system.executionContext();
    this.http = Http.get(system);
    this.timeout = timeout;
    // the idle timeout a little later than the deadline, so that the deadline is what callers see
    ClientConnectionSettings connection = ClientConnectionSettings.create(system.classicSystem())
        .withConnectingTimeout(timeout)
        .withIdleTimeout(timeout.plusSeconds(1));
    // one settings object for every request: the client keeps one pool per host and settings
    this.pool = ConnectionPoolSettings.create(system.classicSystem())
        .withConnectionSettings(connection)
        .withMaxConnections(maxConnections)
        .withMaxOpenRequests(powerOfTwoAtLeast(Math.max(maxConnections, maxOpenRequests)))
        .withMaxRetries(0)
        // after failed connects the pool waits before the next; capped below the deadline, so a
        // request to a host that is down fails as refused rather than waiting out its deadline
        // (not below 1 s: the cap must stay above the pool's base backoff, 100 ms by default)
        .withMaxConnectionBackoff(max(timeout.dividedBy(2), Duration.ofSeconds(1)));
  }

  /**
   * POSTs {@code body} as {@code application/json}. Completes with the response, or fails with the
   * reason no response came (a {@link TimeoutException} after the deadline).
   *
   * @param readSuccessBody whether a 2xx body is wanted (non-2xx bodies are always read: they explain)
   */
  CompletableFuture<Reply> post(String url, List<HttpHeader> headers, byte[] body, boolean readSuccessBody) {
    HttpRequest request;
    try {
      request = HttpRequest.POST(url).withEntity(ContentTypes.APPLICATION_JSON, body).addHeaders(headers);
    } catch (RuntimeException e) { // a malformed URL: the same kind of answer as an unreachable one
      return CompletableFuture.failedFuture(e);
    }
    return exchange(request, readSuccessBody);
  }

  /** Any request (the CRM's GET or POST), with the same deadline and body handling as {@link #post}. */
  CompletableFuture<Reply> exchange(HttpRequest request, boolean readSuccessBody) {
    CompletionStage<Reply> exchange = http
        .singleRequest(request, http.defaultClientHttpsContext(), pool, system.classicSystem().log())
        .thenComposeAsync(response -> read(response, readSuccessBody), ec);
    return Async.within(exchange, timeout, "the request", system);
  }

  private CompletionStage<Reply> read(HttpResponse response, boolean readSuccessBody) {
    int status = response.status().intValue();
    if (response.status().isSuccess() && !readSuccessBody) {
      return response.discardEntityBytes(system).completionStage()
          .handleAsync((done, error) -> new Reply(status, ""), ec);
    }
    // a body that cannot be read (too long, cut off) does not change the status that came
    return response.entity().toStrict(timeout.toMillis(), MAX_BODY_BYTES, system)
        .handleAsync((strict, error) -> new Reply(status, error == null ? strict.getData().utf8String() : ""), ec);
  }

  /** Why no response came, in one line for a log or a dead letter. */
  static String failure(Throwable error) {
    Throwable t = Async.unwrap(error);
    if (t instanceof TimeoutException) return Async.describe(t);
    return "request failed: " + Async.describe(t);
  }

  /** {@code status} and the start of {@code body}, in one line. */
  static String describe(Reply reply) {
    String body = reply.body().strip().replaceAll("\\s+", " ");
    if (body.length() > 300) body = body.substring(0, 300) + "...";
    return "HTTP " + reply.status() + (body.isEmpty() ? "" : ": " + body);
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static int powerOfTwoAtLeast(int n) {
    int p = 1;
    while (p < n && p < (1 << 30)) p <<= 1;
    return p;
  }
}

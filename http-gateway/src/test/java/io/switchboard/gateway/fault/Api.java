package io.switchboard.gateway.fault;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The tenant API over real HTTP/1.1 connections (the JDK's client, one connection per concurrent request),
 * each call with a time-out; an answer or the way the call failed, never an exception.
 */
final class Api implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * How a call ended: {@code status} 0 when no HTTP answer came ({@code failure} says why); {@code retryAfter}
   * the answer's {@code Retry-After} header, if any.
   */
  record Result(int status, JsonNode body, String raw, Failure failure, long nanos, String retryAfter) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    String text(String field) {
      return body == null || !body.hasNonNull(field) ? null : body.get(field).asText();
    }
  }

  /** No answer: the connection was refused, closed or reset, or the answer did not come in time. */
  enum Failure { REFUSED, CLOSED, TIMED_OUT }

  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fault-http");
    t.setDaemon(true);
    return t;
  });
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).executor(executor).build();
  private final String key;
  private final Duration timeout;

  Api(String key, Duration timeout) {
    this.key = key;
    this.timeout = timeout;
  }

  Result get(String base, String path) {
    return await(async("GET", base, path, null));
  }

  Result post(String base, String path, Object body) {
    return await(async("POST", base, path, body));
  }

  CompletableFuture<Result> async(String method, String base, String path, Object body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
        .header("Authorization", "Bearer " + key);
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json(body)));
    }
    long t0 = System.nanoTime();
    return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString())
        .handle((r, e) -> e == null ? answer(r, t0) : failed(e, t0));
  }

  private static Result answer(HttpResponse<String> r, long t0) {
    JsonNode body = null;
    if (r.body() != null && !r.body().isEmpty()) {
      try {
        body = JSON.readTree(r.body());
      } catch (IOException notJson) {
        body = null;
      }
    }
    return new Result(r.statusCode(), body, r.body(), null, System.nanoTime() - t0,
        r.headers().firstValue("Retry-After").orElse(null));
  }

  private static Result failed(Throwable e, long t0) {
    Throwable c = e;
    while (c.getCause() != null && !(c instanceof HttpTimeoutException) && !(c instanceof ConnectException)) {
      c = c.getCause();
    }
    Failure f = c instanceof HttpTimeoutException && !(c instanceof java.net.http.HttpConnectTimeoutException)
        ? Failure.TIMED_OUT : c instanceof ConnectException || c instanceof java.net.http.HttpConnectTimeoutException
        ? Failure.REFUSED : Failure.CLOSED;
    return new Result(0, null, String.valueOf(e), f, System.nanoTime() - t0, null);
  }

  private static Result await(CompletableFuture<Result> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(0, null, "interrupted", Failure.CLOSED, 0, null);
    } catch (java.util.concurrent.ExecutionException e) {
      return failed(e.getCause(), System.nanoTime());
    }
  }

  static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}

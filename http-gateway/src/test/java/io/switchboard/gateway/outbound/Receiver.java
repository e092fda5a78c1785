package io.switchboard.gateway.outbound;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * A real HTTP server on a free port that records every request (path, headers, exact body bytes)
 * and answers each path as scripted: the webhook receivers and the channel connector of the tests.
 */
public final class Receiver {

  /** A request as it arrived; header names in lower case. */
  public record Request(String path, Map<String, String> headers, byte[] body, Instant at) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** How a path answers its {@code nth} request (1 for the first). */
  @FunctionalInterface
  public interface Answer {
    CompletionStage<HttpResponse> answer(Request request, int nth);
  }

  private final ActorSystem<?> system;
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  private final Map<String, List<Request>> received = new ConcurrentHashMap<>();
  private ServerBinding binding;

  private Receiver(ActorSystem<?> system) {
    this.system = system;
  }

  public static Receiver start(ActorSystem<?> system) throws Exception {
    Receiver receiver = new Receiver(system);
    receiver.binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(receiver::handle)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return receiver;
  }

  private CompletionStage<HttpResponse> handle(HttpRequest request) {
    String path = request.getUri().path();
    Map<String, String> headers = new HashMap<>();
    for (HttpHeader h : request.getHeaders()) headers.put(h.lowercaseName(), h.value());
    // the content type belongs to the entity in Pekko's model, not to the header list
    headers.put("content-type", request.entity().getContentType().toString());
    return request.entity().toStrict(5000, system).thenComposeAsync(strict -> {
      Request r = new Request(path, headers, strict.getData().toArray(), Instant.now());
      List<Request> list = received.computeIfAbsent(path, p -> new ArrayList<>());
      int nth;
      synchronized (list) {
        list.add(r);
        nth = list.size();
      }
      return answers.getOrDefault(path, status(200)).answer(r, nth);
    }, system.executionContext());
  }

  /** Scripts how {@code path} answers (200 with no body until told otherwise). */
  public void on(String path, Answer answer) {
    answers.put(path, answer);
  }

  /** The requests {@code path} received so far, in arrival order. */
  public List<Request> requests(String path) {
    List<Request> list = received.get(path);
    if (list == null) return List.of();
    synchronized (list) {
      return List.copyOf(list);
    }
  }

  public String url(String path) {
    return "http://127.0.0.1:" + binding.localAddress().getPort() + path;
  }

  public static Answer status(int code) {
    return (r, nth) -> CompletableFuture.completedFuture(HttpResponse.create().withStatus(code));
  }

  public static Answer json(int code, String body) {
    return (r, nth) -> CompletableFuture.completedFuture(
        HttpResponse.create().withStatus(code).withEntity(ContentTypes.APPLICATION_JSON, body));
  }

  /** The codes in turn, the last one from then on. */
  public static Answer sequence(int... codes) {
    return (r, nth) -> status(codes[Math.min(nth, codes.length) - 1]).answer(r, nth);
  }

  /** No answer until {@code release} completes (never, if it does not). */
  public static Answer hang(CompletableFuture<HttpResponse> release) {
    return (r, nth) -> release;
  }

  /** A port nothing listens on (a connection there is refused). */
  static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /**
   * Stops the server, then the system's client pools: a pool still open when the actor system
   * terminates is reported as shut down unexpectedly.
   */
  public void stop() throws Exception {
    binding.terminate(Duration.ofSeconds(2)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    Http.get(system).shutdownAllConnectionPools().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}

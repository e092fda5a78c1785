package io.switchboard.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Reads a Server-Sent Events stream with a real HTTP client, one event at a time. */
final class SseClient implements AutoCloseable {
  /** @param id the SSE {@code id:} field, null when the event has none */
  record Event(String type, JsonNode data, String id) {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final CompletableFuture<HttpResponse<Stream<String>>> response;
  final int status;

  SseClient(HttpClient client, String url, String key) throws Exception {
    this(client, url, key, null);
  }

  /** @param lastEventId sent as {@code Last-Event-ID} (resume after it); null: none */
  SseClient(HttpClient client, String url, String key, String lastEventId) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
        .header("Accept", "text/event-stream").GET();
    if (lastEventId != null) b.header("Last-Event-ID", lastEventId);
    HttpRequest req = b.build();
    response = client.sendAsync(req, HttpResponse.BodyHandlers.ofLines());
    HttpResponse<Stream<String>> r = response.get(30, TimeUnit.SECONDS);
    status = r.statusCode();
    Thread reader = new Thread(() -> {
      // fields of one event come in any order; a blank line ends it
      String[] type = {null};
      String[] data = {null};
      String[] id = {null};
      r.body().forEach(line -> {
        if (line.startsWith("event:")) {
          type[0] = line.substring(6).trim();
        } else if (line.startsWith("id:")) {
          id[0] = line.substring(3).trim();
        } else if (line.startsWith("data:")) {
          data[0] = line.substring(5).trim();
        } else if (line.isEmpty() && data[0] != null) {
          try {
            events.add(new Event(type[0], TestGateway.JSON.readTree(data[0]), id[0]));
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
          type[0] = null;
          data[0] = null;
          id[0] = null;
        }
      });
    }, "sse-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** The next event, waiting up to {@code seconds}; fails when none comes. */
  Event next(int seconds) throws InterruptedException {
    Event e = events.poll(seconds, TimeUnit.SECONDS);
    if (e == null) throw new AssertionError("no event within " + seconds + " s");
    return e;
  }

  /** The next event of {@code type}, skipping others. */
  Event next(String type, int seconds) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      long left = end - System.nanoTime();
      Event e = events.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
      if (e == null) throw new AssertionError("no " + type + " event within " + seconds + " s");
      if (type.equals(e.type())) return e;
    }
  }

  @Override
  public void close() {
    response.thenAccept(r -> r.body().close());
  }
}

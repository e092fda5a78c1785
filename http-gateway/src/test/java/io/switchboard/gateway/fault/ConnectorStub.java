package io.switchboard.gateway.fault;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/** The channel connector the nodes send agents' replies to: takes every {@code POST /messages} at once. */
final class ConnectorStub implements AutoCloseable {
  private final HttpServer server;
  final AtomicLong received = new AtomicLong();

  ConnectorStub() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/messages", exchange -> {
      try (exchange) {
        exchange.getRequestBody().readAllBytes();
        byte[] body = ("{\"id\":\"stub-" + received.incrementAndGet() + "\"}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      }
    });
    server.setExecutor(Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "connector-stub");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}

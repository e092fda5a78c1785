package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import io.switchboard.gateway.outbound.Receiver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real gateway on port 0 on a fresh H2 store, and a real HTTP client ({@code java.net.http}) to
 * call it: what the gateway tests use.
 */
public final class TestGateway implements AutoCloseable {
  public static final String ADMIN = "test-admin-key";
  /**
   * The tenants' secrets key of every test node on PostgreSQL (a node there refuses to start without
   * one), the same for all, as the nodes of one cluster must share it; on H2 each store generates its own.
   */
  public static final String PG_SECRETS_KEY = "c3dpdGNoYm9hcmQtdGVzdHMtc2VjcmV0cy1rZXktMzI=";
  static final ObjectMapper JSON = new ObjectMapper();

  public final Gateway gateway;
  /** A local actor system of its own for the receivers (not part of the cluster). */
  public final ActorTestKit receivers = ActorTestKit.create("receivers",
      ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
  /** The channel connector ({@code /connector/messages}) and tenants' webhooks ({@code /hooks/<tenant>}). */
  public final Receiver receiver;
  public final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  public final Path dir;

  /** A parsed answer: status, headers and the JSON body (null when empty or not JSON). */
  public record Answer(int status, JsonNode body, String raw, java.net.http.HttpHeaders headers) {
    public String error() {
      return body == null || body.get("error") == null ? null : body.get("error").asText();
    }

    public String text(String field) {
      return body == null || body.get(field) == null ? null : body.get(field).asText();
    }
  }

  public TestGateway(String extraConfig) {
    this(extraConfig, true);
  }

  /** @param untilServing whether to return only once the node serves its API (Up, shard regions registered) */
  public TestGateway(String extraConfig, boolean untilServing) {
    try {
      dir = Files.createTempDirectory("gateway-test");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    try {
      receiver = Receiver.start(receivers.system());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    Config config = ConfigFactory.parseString(extraConfig)
        .withFallback(ConfigFactory.parseMap(Map.of(
            "switchboard.gateway.outbound.connector.base-url", receiver.url("/connector"),
            "switchboard.gateway.outbound.poll-interval", "200ms",
            "switchboard.gateway.outbound.backoff.initial", "200ms")))
        .withFallback(ConfigFactory.parseMap(Map.of(
            "switchboard.persistence.h2.dir", dir.resolve("h2").toString(),
            "switchboard.persistence.store", "h2",
            "switchboard.gateway.port", 0,
            "switchboard.gateway.host", "127.0.0.1",
            "switchboard.gateway.admin-key", ADMIN,
            "pekko.remote.artery.canonical.port", 0,
            "pekko.management.http.port", 0,
            "pekko.loglevel", "WARNING",
            "pekko.actor.testkit.typed.system-shutdown-default", "30s")))
        .withFallback(ConfigFactory.load());
    if (config.getString("switchboard.persistence.store").equals("postgres")
        && config.getString("switchboard.gateway.secrets.key").isEmpty()) {
      config = ConfigFactory.parseMap(Map.of("switchboard.gateway.secrets.key", PG_SECRETS_KEY)).withFallback(config);
    }
    try {
      gateway = Gateway.start(config).toCompletableFuture().get(60, TimeUnit.SECONDS);
      // the API answers 503 until the node is Up with its regions registered; tests start once it serves
      if (untilServing) gateway.serving(Duration.ofSeconds(60)).toCompletableFuture().get(61, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("gateway did not start", e);
    }
  }

  public String base() {
    return "http://127.0.0.1:" + gateway.port();
  }

  public Answer call(String method, String path, String key, Object body) {
    try {
      String raw = body == null ? null : body instanceof String s ? s : JSON.writeValueAsString(body);
      return send(method, path, key, raw == null ? null : raw.getBytes(java.nio.charset.StandardCharsets.UTF_8),
          Map.of("Content-Type", "application/json"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public Answer send(String method, String path, String key, byte[] body, Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (key != null) b.header("Authorization", "Bearer " + key);
    if (body != null) headers.forEach(b::header);
    try {
      HttpResponse<String> r;
      // A pooled connection closed by the server (after an answer to a hostile request before this one) while this
      // request was being written: it never reached the server, and is sent again, on the next pooled connection,
      // which may have been closed so too (CI saw two in a row).
      for (int attempt = 1; ; attempt++) {
        try {
          r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
          break;
        } catch (IOException e) {
          if (!writeFailed(e) || attempt == 4) throw e;
        }
      }
      JsonNode json = null;
      if (r.body() != null && !r.body().isEmpty() && r.headers().firstValue("Content-Type").orElse("")
          .startsWith("application/json")) {
        json = JSON.readTree(r.body());
      }
      return new Answer(r.statusCode(), json, r.body(), r.headers());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Whether writing the request failed on a connection the server had closed ("Broken pipe"). */
  private static boolean writeFailed(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException && "Broken pipe".equals(t.getMessage())) return true;
    }
    return false;
  }

  /** Creates tenant {@code tenant} with {@code settings} and returns a fresh API key of it. */
  public String tenant(String tenant, Map<String, Object> settings) {
    assertEquals(201, call("PUT", "/v1/admin/tenants/" + tenant, ADMIN, settings).status());
    Answer key = call("POST", "/v1/admin/tenants/" + tenant + "/api-keys", ADMIN, Map.of("label", "test"));
    assertEquals(201, key.status(), key.raw());
    return key.text("apiKey");
  }

  @Override
  public void close() {
    gateway.stop();
    try {
      receiver.stop();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    receivers.shutdownTestKit();
  }

  /** Retries {@code check} until it passes: 30 s, every 100 ms. */
  void eventually(Runnable check) {
    org.apache.pekko.actor.testkit.typed.javadsl.TestProbe.create(gateway.system())
        .awaitAssert(java.time.Duration.ofSeconds(30), java.time.Duration.ofMillis(100), () -> {
          check.run();
          return null;
        });
  }
}

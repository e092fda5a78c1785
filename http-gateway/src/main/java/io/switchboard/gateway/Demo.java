package io.switchboard.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.switchboard.gateway.api.Requests;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.japi.function.Function;
import java.util.concurrent.CompletionStage;

/**
 * The demo: a node on a fresh embedded store with the tenant of {@code examples/demo.json}, and a
 * script that plays contacts writing on WhatsApp (signed webhooks) and agents working through the
 * API and their live streams: alice and bob answer, carol never does, sam is the supervisor. Within
 * a minute it shows assignments, a silent agent's conversations re-routed, a queue that runs out of
 * time and an escalation the supervisor claims, with the tenant's webhook events and the messages
 * sent to contacts printed as they happen. It is a client of the API like any other.
 */
final class Demo {
  private Demo() {}

  static final String KEY = "sb_demo.0123456789ab.HD5qrGqIsbqNXo4_9MhH-TItIqQVm86KTt33oed3ndU";
  static final String APP_SECRET = "demo-app-secret";
  static final String HOOK_SECRET = "demo-webhook-secret";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long T0 = System.nanoTime();

  private static final List<String[]> CONTACTS = List.of(
      new String[] {"5511900000001", "Ana", "Hi, where is my order #1001?"},
      new String[] {"5511900000002", "Bruno", "My invoice is wrong"},
      new String[] {"5511900000003", "Carla", "Can I change my delivery address?"},
      new String[] {"5511900000004", "Davi", "The app does not let me log in"},
      new String[] {"5511900000005", "Eva", "Do you ship to Portugal?"});

  static void say(String fmt, Object... args) {
    System.out.printf("[%5.1fs] %s%n", (System.nanoTime() - T0) / 1e9, String.format(fmt, args));
  }

  static void run(boolean exitWhenDone) throws Exception {
    Path dir = Path.of("data", "demo").toAbsolutePath();
    deleteRecursively(dir);
    // Held until the receivers bind them, so the node starting meanwhile (its cluster port is chosen
    // by the system too) cannot take them: a demo failed once with "Address already in use".
    ServerSocket webhookReserved = reservePort();
    ServerSocket connectorReserved = reservePort();
    int webhookPort = webhookReserved.getLocalPort();
    int connectorPort = connectorReserved.getLocalPort();
    int port = Integer.parseInt(System.getenv().getOrDefault("SWITCHBOARD_PORT", "8080"));
    Config config = ConfigFactory.parseMap(Map.of(
            "switchboard.persistence.store", "h2",
            "switchboard.persistence.h2.dir", dir.toString(),
            "switchboard.gateway.host", "127.0.0.1",
            "switchboard.gateway.port", port,
            "switchboard.gateway.outbound.connector.base-url", "http://127.0.0.1:" + connectorPort,
            "switchboard.gateway.outbound.poll-interval", "250ms",
            "pekko.remote.artery.canonical.port", 0,
            "pekko.management.http.port", 0,
            "pekko.loglevel", "WARNING"))
        .withFallback(ConfigFactory.load());
    say("starting a one-node cluster on the embedded H2 store in %s", dir);
    Gateway gateway = Gateway.start(config).toCompletableFuture().get(2, TimeUnit.MINUTES);
    gateway.serving(java.time.Duration.ofMinutes(1)).toCompletableFuture().get(61, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + gateway.port();
    webhookReserved.close();
    connectorReserved.close();
    receivers(gateway, webhookPort, connectorPort);

    Bootstrap.File file = withWebhook(Bootstrap.parse(resource("examples/demo.json"), "examples/demo.json"),
        "http://127.0.0.1:" + webhookPort + "/events");
    Bootstrap.apply(gateway.system(), file, GatewaySettings.from(config));
    say("tenant 'demo' ready: team support = alice, bob, carol (round-robin, 10 s reply window, 5 s queue wait),"
        + " supervisor sam");
    say("API on %s, key %s", base, KEY);

    HttpClient http = HttpClient.newHttpClient();
    ScheduledExecutorService script = Executors.newScheduledThreadPool(2);
    for (String agent : List.of("alice", "bob", "carol", "sam")) {
      call(http, "PUT", base + "/v1/tenants/demo/agents/" + agent + "/presence", "{\"presence\":\"ONLINE\"}");
      stream(http, base, agent, script);
    }
    say("alice, bob, carol and sam are online; carol will never answer");

    AtomicInteger n = new AtomicInteger();
    for (int i = 0; i < 4; i++) {
      String[] c = CONTACTS.get(i);
      script.schedule(() -> contactWrites(http, base, c, n.incrementAndGet()), 1 + i, TimeUnit.SECONDS);
    }
    String[] late = CONTACTS.get(4);
    script.schedule(() -> contactWrites(http, base, late, n.incrementAndGet()), 30, TimeUnit.SECONDS);
    CompletableFuture<Void> done = new CompletableFuture<>();
    script.schedule(() -> {
      summary(http, base);
      done.complete(null);
    }, 42, TimeUnit.SECONDS);
    done.get(2, TimeUnit.MINUTES);
    say("done: every conversation was assigned, answered, re-routed or escalated; none was lost");
    if (exitWhenDone) {
      script.shutdownNow();
      gateway.stop();
      System.exit(0);
    }
    say("the API stays up on %s (Ctrl-C to stop); try:", base);
    System.out.println("  curl -H 'Authorization: Bearer " + KEY + "' " + base
        + "/v1/tenants/demo/conversations");
    gateway.system().getWhenTerminated().toCompletableFuture().get();
  }

  /** A contact writes on WhatsApp: a signed Cloud API webhook, as Meta would send it. */
  private static void contactWrites(HttpClient http, String base, String[] contact, int n) {
    String body = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"field\":"
        + "\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":"
        + "\"15550001111\",\"phone_number_id\":\"100200300\"},\"contacts\":[{\"profile\":{\"name\":\"" + contact[1]
        + "\"},\"wa_id\":\"" + contact[0] + "\"}],\"messages\":[{\"from\":\"" + contact[0] + "\",\"id\":\"wamid.demo"
        + n + "\",\"timestamp\":\"" + (System.currentTimeMillis() / 1000) + "\",\"type\":\"text\",\"text\":{\"body\":\""
        + contact[2] + "\"}}]}}]}]}";
    byte[] raw = body.getBytes(StandardCharsets.UTF_8);
    java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(URI.create(base + "/v1/webhooks/whatsapp/demo"))
        .header("Content-Type", "application/json").header("X-Hub-Signature-256", Hmac.sign(APP_SECRET, raw))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(raw)).build();
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      say("%s (+%s) writes \"%s\" → webhook answered %d", contact[1], contact[0], contact[2], r.statusCode());
    } catch (IOException | InterruptedException e) {
      say("webhook failed: %s", e);
    }
  }

  /** An agent's live stream, and how that agent behaves on what it shows. */
  private static void stream(HttpClient http, String base, String agent, ScheduledExecutorService script) {
    java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(URI.create(base + "/v1/tenants/demo/agents/" + agent + "/events"))
        .header("Authorization", "Bearer " + KEY).GET().build();
    http.sendAsync(req, HttpResponse.BodyHandlers.ofLines()).thenAccept(r -> {
      // an event's fields come in any order; a blank line ends it (heartbeats have no data)
      String[] event = {null};
      String[] data = {null};
      r.body().forEach(line -> {
        if (line.startsWith("event:")) event[0] = line.substring(6).trim();
        else if (line.startsWith("data:")) data[0] = line.substring(5).trim();
        else if (line.isEmpty()) {
          if (data[0] != null && !data[0].isEmpty() && !"subscribed".equals(event[0])) {
            onEvent(http, base, agent, event[0], data[0], script);
          }
          event[0] = null;
          data[0] = null;
        }
      });
    });
  }

  private static void onEvent(HttpClient http, String base, String agent, String type, String data,
      ScheduledExecutorService script) {
    JsonNode e;
    try {
      e = JSON.readTree(data);
    } catch (IOException ex) {
      return;
    }
    if (e.get("type") != null) type = e.get("type").asText();
    String conv = e.path("conversation").asText();
    String reason = e.path("reason").asText("");
    switch (type) {
      case "assigned" -> {
        say("%-5s ← assigned %s", agent, conv);
        if (agent.equals("alice") || agent.equals("bob")) {
          script.schedule(() -> reply(http, base, agent, conv, "Hi! " + agent + " here, looking into it."), 1500,
              TimeUnit.MILLISECONDS);
          script.schedule(() -> resolve(http, base, agent, conv), 22, TimeUnit.SECONDS);
        } else if (agent.equals("carol")) {
          say("carol stays silent on %s", conv);
        }
      }
      case "window_closing" -> say("%-5s ! reply window on %s closes at %s", agent, conv, e.path("deadline").asText());
      case "rerouted" -> say("%-5s → %s taken away (%s)", agent, conv, reason);
      case "escalated" -> {
        say("%-5s ⇑ %s escalated (%s)", agent, conv, reason);
        if (agent.equals("sam")) {
          script.schedule(() -> {
            String r = call(http, "POST", base + "/v1/tenants/demo/agents/sam/claims", "{\"conversation\":\""
                + conv + "\"}");
            say("sam claims %s: %s", conv, r);
            reply(http, base, "sam", conv, "Sorry for the wait, I am the supervisor and I will sort this out.");
            script.schedule(() -> resolve(http, base, "sam", conv), 3, TimeUnit.SECONDS);
          }, 1, TimeUnit.SECONDS);
        }
      }
      case "resolved" -> say("%-5s ✓ %s resolved", agent, conv);
      default -> say("%-5s %s %s", agent, type, conv);
    }
  }

  private static void reply(HttpClient http, String base, String agent, String conv, String text) {
    String r = call(http, "POST", base + "/v1/tenants/demo/conversations/" + conv + "/replies",
        "{\"agent\":\"" + agent + "\",\"text\":\"" + text + "\"}");
    say("%-5s replies on %s: %s", agent, conv, r);
  }

  private static void resolve(HttpClient http, String base, String agent, String conv) {
    call(http, "POST", base + "/v1/tenants/demo/conversations/" + conv + "/resolve",
        "{\"requestedBy\":\"" + agent + "\"}");
  }

  private static void summary(HttpClient http, String base) {
    try {
      JsonNode agents = JSON.readTree(call(http, "GET", base + "/v1/tenants/demo/stats/agents", null));
      JsonNode counts = JSON.readTree(call(http, "GET", base + "/v1/tenants/demo/conversations/counts", null));
      say("read models: conversations by state %s", counts.path("byStatus"));
      for (JsonNode a : agents) {
        say("  %-5s assigned %d, first responses %d (avg %s), re-routed away %d, escalated %d, resolved %d",
            a.path("subject").asText(), a.path("assignments").asInt(), a.path("firstResponses").asInt(),
            a.path("averageFirstResponse").asText("-"), a.path("reroutes").asInt(), a.path("escalations").asInt(),
            a.path("resolutions").asInt());
      }
    } catch (IOException e) {
      say("summary failed: %s", e);
    }
  }

  /** Answers with a short status description, or the error body. */
  private static String call(HttpClient http, String method, String url, String body) {
    java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + KEY)
        .method(method, body == null ? java.net.http.HttpRequest.BodyPublishers.noBody() : java.net.http.HttpRequest.BodyPublishers.ofString(body));
    if (body != null) b.header("Content-Type", "application/json");
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (method.equals("GET")) return r.body();
      return r.statusCode() < 300 ? String.valueOf(r.statusCode()) : r.statusCode() + " " + r.body();
    } catch (IOException | InterruptedException e) {
      return "failed: " + e;
    }
  }

  /** The tenant's webhook receiver and the channel connector, as a business would run them. */
  private static void receivers(Gateway gateway, int webhookPort, int connectorPort) throws Exception {
    var system = gateway.system();
    Function<HttpRequest, CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse>> webhook = req -> req.entity().toStrict(5000, system)
        .thenApply(strict -> {
          byte[] body = strict.getData().toArray();
          boolean signed = Hmac.verify(HOOK_SECRET, body, req.getHeader("X-Switchboard-Signature-256")
              .map(h -> h.value()).orElse(null));
          try {
            JsonNode e = JSON.readTree(body);
            String who = e.hasNonNull("agentId") ? "agent=" + e.get("agentId").asText()
                : e.hasNonNull("previousAgentId") ? "from=" + e.get("previousAgentId").asText()
                : e.hasNonNull("escalatedTo") ? "to=" + e.get("escalatedTo").asText() : "";
            say("tenant webhook ← %s %s %s (signature %s)", e.path("type").asText(),
                e.path("conversationId").asText(), who, signed ? "ok" : "BAD");
          } catch (IOException ex) {
            say("tenant webhook ← unreadable body");
          }
          return org.apache.pekko.http.javadsl.model.HttpResponse.create();
        });
    Http.get(system).newServerAt("127.0.0.1", webhookPort).bind(webhook).toCompletableFuture().get(10, TimeUnit.SECONDS);
    AtomicInteger ids = new AtomicInteger();
    Function<HttpRequest, CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse>> connector = req -> req.entity().toStrict(5000, system)
        .thenApply(strict -> {
          try {
            JsonNode m = JSON.readTree(strict.getData().toArray());
            say("connector → WhatsApp +%s: \"%s\"", m.path("to").asText(), m.path("text").asText());
          } catch (IOException ex) {
            say("connector ← unreadable body");
          }
          return org.apache.pekko.http.javadsl.model.HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON,
              "{\"id\":\"wamid.out" + ids.incrementAndGet() + "\"}");
        });
    Http.get(system).newServerAt("127.0.0.1", connectorPort).bind(connector).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  private static Bootstrap.File withWebhook(Bootstrap.File f, String url) {
    return new Bootstrap.File(f.tenants().stream().map(t -> {
      Requests.TenantRequest s = t.settings();
      return new Bootstrap.TenantEntry(t.id(), new Requests.TenantRequest(s.displayName(), s.verifyToken(),
          s.appSecret(), url, HOOK_SECRET, s.defaultTeam(), s.whatsappNumbers()), t.apiKeys(), t.teams(), t.agents(),
          t.rules());
    }).toList());
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = Demo.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException(name + " is not on the class path");
      return in.readAllBytes();
    }
  }

  private static ServerSocket reservePort() throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
    return s;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

}

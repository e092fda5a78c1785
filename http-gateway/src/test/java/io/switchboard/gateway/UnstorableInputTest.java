package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.Storable;
import io.switchboard.gateway.TestGateway.Answer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Poison-proof input through a real gateway, on H2 and on PostgreSQL: random Unicode (lone
 * surrogates high and low, NUL, C0 and C1 controls, non-characters, 4-byte characters, right-to-left
 * marks, strings beyond the limits) in every text field, path segment and query parameter of every
 * endpoint, in signed WhatsApp notifications and in bootstrap entries. Every answer is 2xx or a 4xx
 * {@code {"error","message"}}, never a 5xx; nothing in the log says an entity failed (a rejected
 * event, a failed persist, a supervisor restart) or that an entity had to refuse what the edge let
 * through; the agents and the team the poison was aimed at route a fresh message afterwards; and
 * valid 4-byte and non-Latin text is stored and read back identical.
 *
 * <p>Prints its seed and counts; replay with {@code -Dseed=N}, change the size with
 * {@code -Dpoison.requests=N} (per store).
 */
class UnstorableInputTest {
  static final String SECRET = "poison-app-secret";
  static final String T = "poison";
  static final int REQUESTS = Integer.getInteger("poison.requests", 600);
  /** Strings built once escaped as ASCII JSON: a lone surrogate must reach the server as {@code \ud83d}. */
  static final ObjectMapper ESCAPED = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
  static final JsonNodeFactory N = JsonNodeFactory.instance;

  @Test
  void onH2() {
    run("h2", "");
  }

  @Test
  void onPostgres() throws Exception {
    String url = System.getenv().getOrDefault("SWITCHBOARD_TEST_PG_URL",
        "jdbc:postgresql://127.0.0.1:5432/switchboard_test");
    String schema = "poison_" + Long.toUnsignedString(System.nanoTime(), 36);
    try {
      run("postgres", """
          switchboard.persistence.store = postgres
          switchboard.persistence.postgres.url = "%s"
          switchboard.persistence.postgres.schema = "%s"
          """.formatted(url, schema));
    } finally {
      try (Connection c = DriverManager.getConnection(url, "postgres", "");
           Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
    }
  }

  private void run(String store, String config) {
    long seed = Long.getLong("seed", System.nanoTime());
    long started = System.nanoTime();
    try (TestGateway gw = new TestGateway(config)) {
      Chaos chaos = new Chaos(new Random(seed), gw);
      chaos.setUp();
      LogCapture log = LogCapture.attach();
      try {
        System.out.printf("UnstorableInputTest %s: seed %d (replay with -Dseed=%d)%n", store, seed, seed);
        chaos.refusalsNameTheField();
        for (int i = 0; i < REQUESTS; i++) chaos.step();
        chaos.theSameAgentsAndTeamRouteAFreshMessage();
        chaos.unicodeReadsBackIdentical();
        chaos.aWhatsAppBatchKeepsItsGoodMessagesAndRepairsTheBadOne();
      } finally {
        log.detach();
      }
      System.out.printf("UnstorableInputTest %s: seed %d, %d requests, %d 2xx, 4xx by code %s, "
              + "bootstrap entries %d applied / %d refused, %d s%n", store, seed, chaos.sent, chaos.ok, chaos.refusals,
          chaos.bootstrapApplied, chaos.bootstrapRefused, (System.nanoTime() - started) / 1_000_000_000L);
      List<String> failures = log.failures();
      assertTrue(failures.isEmpty(), "seed " + seed + ": entity failures in the log:\n" + String.join("\n", failures));
      assertTrue(chaos.refusals.values().stream().mapToInt(Integer::intValue).sum() > REQUESTS / 4,
          "most requests carry poison: " + chaos.refusals);
    }
  }

  /** Random requests, each checked as it is answered. */
  static final class Chaos {
    final Random random;
    final TestGateway gw;
    String key;
    int sent;
    int ok;
    int bootstrapApplied;
    int bootstrapRefused;
    final Map<String, Integer> refusals = new TreeMap<>();
    /** Conversations (channel:contact) that were accepted, for replies, transfers and resolves. */
    final List<String> conversations = new ArrayList<>();
    int counter;

    Chaos(Random random, TestGateway gw) {
      this.random = random;
      this.gw = gw;
    }

    void setUp() {
      key = gw.tenant(T, Map.of("displayName", "Poison", "defaultTeam", "support", "appSecret", SECRET,
          "verifyToken", "vt"));
      for (String a : List.of("a1", "a2")) {
        expect2xx(gw.call("PUT", "/v1/tenants/" + T + "/agents/" + a, key, Map.of("capacity", Map.of("*", 1000))));
        expect2xx(gw.call("PUT", "/v1/tenants/" + T + "/agents/" + a + "/presence", key, Map.of("presence", "ONLINE")));
      }
      expect2xx(gw.call("PUT", "/v1/tenants/" + T + "/teams/support", key, Map.of("members", List.of("a1", "a2"),
          "strategy", "ROUND_ROBIN", "replyWindow", "PT1H")));
      gw.eventually(() -> assertEquals(2, gw.call("GET", "/v1/tenants/" + T + "/teams/support", key, null).body()
          .get("members").size()));
    }

    // ---- random text ----

    private static final String[] PIECES = {
        "\ud83d", "\ude00", "\udbff", "\udc00", "\u0000", "\u0001", "\u001f", "\t", "\n", "\u007f", "\u0080", "\u0085",
        "\u009f", "\ufffe", "\uffff", "\ufdd0", "\u200f", "\u202e", "\ufeff", "😀", "👍🏽", "𝄞", "é", "日本語", "مرحبا", "a",
        "Z", "0", "-", "_", ".", "/", " ", "%", "\"", "\\", ":", "+"};

    /** A string that is valid, hostile or too long. */
    String text() {
      int kind = random.nextInt(12);
      if (kind == 0) return huge();
      if (kind <= 2) return name();
      StringBuilder b = new StringBuilder();
      for (int i = 1 + random.nextInt(10); i > 0; i--) b.append(PIECES[random.nextInt(PIECES.length)]);
      return b.toString();
    }

    /** A valid name now and then, so that requests get past the first field. */
    String name() {
      return "n" + Integer.toString(random.nextInt(1 << 20), 36);
    }

    String huge() {
      int n = 4097 + random.nextInt(12_000);
      StringBuilder b = new StringBuilder(n);
      while (b.length() < n) b.append(random.nextBoolean() ? "x" : "😀");
      if (random.nextBoolean()) b.append("\ud83d");
      return b.toString();
    }

    /** Either a hostile string or {@code good}. */
    String or(String good) {
      return random.nextInt(3) == 0 ? good : text();
    }

    /**
     * A path segment or query value: percent-encoded UTF-8, a lone surrogate as its three bytes
     * (invalid UTF-8); cut at about 450 encoded characters (beyond the id limit), so that four of them stay within the
     * server's URI limit (2,048: a longer URI is refused by the HTTP layer with 414 before any route).
     */
    static String segment(String s) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < s.length() && b.length() < 450; i++) {
        char c = s.charAt(i);
        if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length()
            && Character.isLowSurrogate(s.charAt(i + 1)))) {
          b.append(String.format("%%%02X%%%02X%%%02X", 0xE0 | (c >> 12), 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F)));
          continue;
        }
        int end = Character.isHighSurrogate(c) && i + 1 < s.length() ? i + 2 : i + 1;
        b.append(URLEncoder.encode(s.substring(i, end), StandardCharsets.UTF_8).replace("+", "%20"));
        i = end - 1;
      }
      return b.toString();
    }

    // ---- requests ----

    void step() {
      List<Runnable> all = List.of(
          this::adminTenant, this::adminKey, this::adminRevoke, this::adminGet,
          this::agentProfile, this::agentProfile, this::presence, this::claim, this::agentConversations,
          this::team, this::team, this::waiting,
          this::message, this::message, this::message, this::statuses, this::list, this::counts, this::view,
          this::reply, this::transfer, this::resolve, this::rules, this::handshake, this::whatsapp, this::whatsapp,
          this::bootstrap);
      all.get(random.nextInt(all.size())).run();
    }

    String tenantPath() {
      return "/v1/tenants/" + (random.nextInt(8) == 0 ? segment(text()) : T);
    }

    void adminTenant() {
      ObjectNode b = N.objectNode();
      b.put("displayName", text());
      if (random.nextBoolean()) b.put("verifyToken", text());
      if (random.nextBoolean()) b.put("appSecret", text());
      if (random.nextBoolean()) b.put("defaultTeam", or("support"));
      if (random.nextBoolean()) {
        b.put("webhookUrl", or("http://127.0.0.1:9/hook"));
        b.put("webhookSecret", text());
      }
      if (random.nextBoolean()) b.set("whatsappNumbers", N.objectNode().put(text(), or("support")));
      // never the tenant under test: its app secret signs the WhatsApp notifications
      send("PUT", "/v1/admin/tenants/" + segment(random.nextBoolean() ? "other-" + counter++ : text()),
          TestGateway.ADMIN, b);
    }

    void adminKey() {
      send("POST", "/v1/admin/tenants/" + segment(or(T)) + "/api-keys", TestGateway.ADMIN,
          N.objectNode().put("label", text()));
    }

    void adminRevoke() {
      send("DELETE", "/v1/admin/tenants/" + segment(or("other-0")) + "/api-keys/" + segment(text()), TestGateway.ADMIN,
          null);
    }

    void adminGet() {
      send("GET", "/v1/admin/tenants/" + segment(or(T)), TestGateway.ADMIN, null);
    }

    String agent() {
      return random.nextBoolean() ? (random.nextBoolean() ? "a1" : "a2") : text();
    }

    void agentProfile() {
      ObjectNode b = N.objectNode();
      b.set("capacity", N.objectNode().put(random.nextBoolean() ? "*" : text(), 1000));
      if (random.nextBoolean()) b.set("skills", N.objectNode().put(text(), 3));
      if (random.nextBoolean()) b.set("languages", N.arrayNode().add(or("pt")));
      if (random.nextInt(4) == 0) b.put("role", text());
      send("PUT", tenantPath() + "/agents/" + segment(agent()), key, b);
    }

    void presence() {
      send("PUT", tenantPath() + "/agents/" + segment(agent()) + "/presence", key,
          N.objectNode().put("presence", random.nextBoolean() ? "ONLINE" : text()));
    }

    void claim() {
      send("POST", tenantPath() + "/agents/" + segment(agent()) + "/claims", key,
          N.objectNode().put("conversation", "whatsapp:" + text()));
    }

    void agentConversations() {
      send("GET", tenantPath() + "/agents/" + segment(agent()) + "/conversations", key, null);
    }

    void team() {
      ObjectNode b = N.objectNode();
      ArrayNode members = N.arrayNode().add("a1").add("a2");
      if (random.nextBoolean()) members.add(text());
      b.set("members", members);
      b.put("strategy", random.nextInt(4) == 0 ? text() : "ROUND_ROBIN");
      b.put("replyWindow", "PT1H");
      if (random.nextBoolean()) b.set("escalation", N.objectNode().put("supervisor", text()));
      if (random.nextBoolean()) b.put("overflowTeam", text());
      send("PUT", tenantPath() + "/teams/" + segment(random.nextBoolean() ? "support" : text()), key, b);
    }

    String query(String name) {
      return name + "=" + segment(text());
    }

    void waiting() {
      send("GET", tenantPath() + "/teams/" + segment(or("support")) + "/waiting?" + query("limit") + "&"
          + query("offset"), key, null);
    }

    void message() {
      ObjectNode b = N.objectNode();
      b.put("channel", random.nextInt(6) == 0 ? text() : "webchat");
      String contact = random.nextBoolean() ? "c" + counter++ : text();
      b.put("contact", contact);
      b.put("messageId", random.nextBoolean() ? "m" + counter++ : text());
      b.put("text", text());
      if (random.nextBoolean()) b.set("fields", N.objectNode().put(random.nextBoolean() ? "name" : text(), text()));
      if (random.nextInt(4) == 0) b.put("language", text());
      if (random.nextInt(4) == 0) b.set("skills", N.objectNode().put(text(), 1));
      if (random.nextInt(6) == 0) b.put("type", text());
      Answer a = send("POST", tenantPath() + "/messages", key, b);
      if (a.status() == 202 && "webchat".equals(b.get("channel").asText())) conversations.add("webchat:" + contact);
    }

    void statuses() {
      send("GET", tenantPath() + "/messages/" + segment(text()) + "/statuses", key, null);
    }

    void list() {
      send("GET", tenantPath() + "/conversations?" + query("team") + "&" + query("status") + "&" + query("limit"),
          key, null);
    }

    void counts() {
      send("GET", tenantPath() + "/conversations/counts?" + query("team"), key, null);
    }

    String conversation() {
      if (!conversations.isEmpty() && random.nextBoolean()) {
        return segment(conversations.get(random.nextInt(conversations.size())));
      }
      return segment((random.nextBoolean() ? "webchat:" : "") + text());
    }

    void view() {
      send("GET", tenantPath() + "/conversations/" + conversation(), key, null);
    }

    void reply() {
      ObjectNode b = N.objectNode().put("agent", agent());
      if (random.nextInt(4) == 0) {
        b.set("template", N.objectNode().put("name", or("welcome")).put("language", or("pt"))
            .set("parameters", N.arrayNode().add(text())));
      } else {
        b.put("text", text());
      }
      send("POST", tenantPath() + "/conversations/" + conversation() + "/replies", key, b);
    }

    void transfer() {
      ObjectNode b = N.objectNode().put("requestedBy", agent());
      if (random.nextBoolean()) b.put("toAgent", agent());
      else b.put("toTeam", or("support"));
      send("POST", tenantPath() + "/conversations/" + conversation() + "/transfer", key, b);
    }

    void resolve() {
      send("POST", tenantPath() + "/conversations/" + conversation() + "/resolve", key,
          N.objectNode().put("requestedBy", agent()));
    }

    /** Rules that, when valid, still send everything to support (the team under test). */
    void rules() {
      ObjectNode rule = N.objectNode().put("name", text());
      rule.set("when", N.objectNode().put("type", "keyword").set("words", N.arrayNode().add(text())));
      rule.set("then", N.arrayNode().add(N.objectNode().put("type", "team").put("team", or("support"))));
      ObjectNode otherwise = N.objectNode().put("name", "else");
      otherwise.set("when", N.objectNode().put("type", "always"));
      otherwise.set("then", N.arrayNode().add(N.objectNode().put("type", "team").put("team", "support")));
      ObjectNode b = N.objectNode().put("description", text()).put("timeZone", or("America/Sao_Paulo"));
      b.set("rules", N.arrayNode().add(rule).add(otherwise));
      send("PUT", tenantPath() + "/rules", key, b);
    }

    void handshake() {
      send("GET", "/v1/webhooks/whatsapp/" + segment(or(T)) + "?hub.mode=" + segment(or("subscribe"))
          + "&hub.verify_token=" + segment(or("vt")) + "&hub.challenge=" + segment(text()), null, null);
    }

    void whatsapp() {
      ArrayNode messages = N.arrayNode();
      for (int i = 1 + random.nextInt(3); i > 0; i--) {
        ObjectNode m = N.objectNode();
        m.put("from", random.nextBoolean() ? "55119" + counter++ : text());
        m.put("id", random.nextBoolean() ? "wamid." + counter++ : text());
        m.put("timestamp", "1767225600");
        m.put("type", random.nextBoolean() ? "text" : text());
        m.set("text", N.objectNode().put("body", text()));
        if (random.nextBoolean()) m.set("context", N.objectNode().put("id", text()).put("from", text()));
        messages.add(m);
      }
      ObjectNode value = N.objectNode().put("messaging_product", "whatsapp");
      value.set("metadata", N.objectNode().put("display_phone_number", "15550001111")
          .put("phone_number_id", random.nextInt(6) == 0 ? text() : "pn1"));
      value.set("contacts", N.arrayNode().add(N.objectNode().put("wa_id", text())
          .set("profile", N.objectNode().put("name", text()))));
      value.set("messages", messages);
      if (random.nextBoolean()) {
        value.set("statuses", N.arrayNode().add(N.objectNode().put("id", or("wamid.s" + counter++))
            .put("status", or("delivered")).put("timestamp", "1767225600").put("recipient_id", text())
            .set("errors", N.arrayNode().add(N.objectNode().put("code", 131047).put("title", text())))));
      }
      ObjectNode change = N.objectNode().put("field", "messages");
      change.set("value", value);
      ObjectNode entry = N.objectNode().put("id", "waba");
      entry.set("changes", N.arrayNode().add(change));
      ObjectNode body = N.objectNode().put("object", "whatsapp_business_account");
      body.set("entry", N.arrayNode().add(entry));
      byte[] raw = bytes(body);
      check("POST /v1/webhooks/whatsapp", gw.send("POST", "/v1/webhooks/whatsapp/" + T, null, raw,
          Map.of("Content-Type", "application/json", "X-Hub-Signature-256", Hmac.sign(SECRET, raw))));
    }

    /** A bootstrap entry applied on the running node: applied, or refused naming what (never a timeout). */
    void bootstrap() {
      ObjectNode tenant = N.objectNode().put("id", random.nextBoolean() ? "boot-" + counter++ : text());
      tenant.set("settings", N.objectNode().put("displayName", text()));
      tenant.set("agents", N.objectNode().set(random.nextBoolean() ? "b1" : text(), N.objectNode()
          .set("capacity", N.objectNode().put("*", 2))));
      if (random.nextBoolean()) {
        tenant.set("apiKeys", N.arrayNode().add(N.objectNode().put("label", text()).put("key", text())));
      }
      ObjectNode file = N.objectNode();
      file.set("tenants", N.arrayNode().add(tenant));
      try {
        Bootstrap.File f = Bootstrap.parse(bytes(file), "random.json");
        Bootstrap.apply(gw.gateway.system(), f, GatewaySettings.from(gw.gateway.system().settings().config()));
        bootstrapApplied++;
      } catch (IllegalArgumentException refused) {
        bootstrapRefused++;
      }
    }

    // ---- answers ----

    byte[] bytes(JsonNode body) {
      try {
        String plain = body.toString();
        // raw UTF-8 when it can be (4-byte characters as their bytes), escaped when a lone surrogate needs it
        return Storable.problem(plain) == null && random.nextBoolean() ? plain.getBytes(StandardCharsets.UTF_8)
            : ESCAPED.writeValueAsBytes(body);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    Answer send(String method, String path, String key, JsonNode body) {
      Answer a = gw.send(method, path, key, body == null ? null : bytes(body), Map.of("Content-Type",
          "application/json"));
      return check(method + " " + path.replaceAll("\\?.*", ""), a);
    }

    Answer check(String what, Answer a) {
      sent++;
      String where = what.length() > 200 ? what.substring(0, 200) + "…" : what;
      if (a.status() >= 500 || a.status() < 200 || (a.status() >= 300 && a.status() < 400)) {
        fail(where + " answered " + a.status() + " " + a.raw());
      }
      if (a.status() < 300) {
        ok++;
        return a;
      }
      assertNotNull(a.body(), where + " answered " + a.status() + " without JSON: " + a.raw());
      assertTrue(a.body().path("error").isTextual() && a.body().path("message").isTextual(),
          where + " answered " + a.raw());
      refusals.merge(a.status() + " " + a.error(), 1, Integer::sum);
      return a;
    }

    void expect2xx(Answer a) {
      assertTrue(a.status() >= 200 && a.status() < 300, a.status() + " " + a.raw());
    }

    // ---- the refusals a client reads ----

    void refusalsNameTheField() {
      refused(400, "invalid_request", "contact: lone UTF-16 surrogate at index 3", "POST", "/v1/tenants/" + T
          + "/messages", key, "{\"channel\": \"webchat\", \"contact\": \"abc\\ud83d\", \"messageId\": \"x1\"}");
      refused(400, "invalid_request", "text: lone UTF-16 surrogate at index 0", "POST", "/v1/tenants/" + T
          + "/messages", key, "{\"channel\": \"webchat\", \"contact\": \"c\", \"messageId\": \"x2\", "
          + "\"text\": \"\\ude00\"}");
      refused(400, "invalid_request", "fields[name]: NUL character at index 1", "POST", "/v1/tenants/" + T
          + "/messages", key, "{\"channel\": \"webchat\", \"contact\": \"c\", \"messageId\": \"x3\", "
          + "\"fields\": {\"name\": \"A\\u0000\"}}");
      refused(400, "field_too_long", "text: longer than 4096 characters", "POST", "/v1/tenants/" + T + "/messages",
          key, "{\"channel\": \"webchat\", \"contact\": \"c\", \"messageId\": \"x4\", \"text\": \""
          + "😀".repeat(2049) + "\"}");
      refused(400, "invalid_request", "displayName: lone UTF-16 surrogate at index 4", "PUT", "/v1/admin/tenants/"
          + "named", TestGateway.ADMIN, "{\"displayName\": \"ACME\\ud83d\"}");
      // a path cannot carry a lone surrogate (its UTF-8 is invalid and decodes to U+FFFD), but NUL and C1 it can
      refused(400, "invalid_request", "contact must not contain spaces, control characters or '/': U+0000 at index 2",
          "GET", "/v1/tenants/" + T + "/conversations/webchat:ab%00", key, null);
      refused(400, "invalid_request", "contact must not contain spaces, control characters or '/': U+0085 at index 1",
          "GET", "/v1/tenants/" + T + "/conversations/webchat:a%C2%85", key, null);
    }

    void refused(int status, String code, String message, String method, String path, String key, String body) {
      Answer a = gw.send(method, path, key, body == null ? null : body.getBytes(StandardCharsets.UTF_8),
          Map.of("Content-Type", "application/json"));
      assertEquals(status, a.status(), a.raw());
      assertEquals(code, a.error(), a.raw());
      assertEquals(message, a.text("message"), a.raw());
    }

    // ---- afterwards ----

    void theSameAgentsAndTeamRouteAFreshMessage() {
      // the poison may have set them away or changed their profile: as an operator would, set them back
      for (String a : List.of("a1", "a2")) {
        expect2xx(gw.call("PUT", "/v1/tenants/" + T + "/agents/" + a, key, Map.of("capacity", Map.of("*", 1000))));
        expect2xx(gw.call("PUT", "/v1/tenants/" + T + "/agents/" + a + "/presence", key, Map.of("presence", "ONLINE")));
      }
      expect2xx(gw.call("PUT", "/v1/tenants/" + T + "/teams/support", key, Map.of("members", List.of("a1", "a2"),
          "strategy", "ROUND_ROBIN", "replyWindow", "PT1H")));
      java.util.Set<String> agents = new java.util.TreeSet<>();
      for (int i = 0; i < 2; i++) {
        String contact = "fresh-" + i;
        expect2xx(gw.call("POST", "/v1/tenants/" + T + "/messages", key, Map.of("channel", "webchat", "contact",
            contact, "messageId", "fresh-m" + i, "text", "hello")));
        gw.eventually(() -> assertEquals("ASSIGNED", gw.call("GET", "/v1/tenants/" + T + "/conversations/webchat:"
            + contact, key, null).text("status")));
        agents.add(gw.call("GET", "/v1/tenants/" + T + "/conversations/webchat:" + contact, key, null).text("agent"));
      }
      assertEquals(java.util.Set.of("a1", "a2"), agents, "round robin reaches both agents");
    }

    void unicodeReadsBackIdentical() {
      String display = "Ação 😀 مرحبا \u200f 日本語 \ufffe";
      expect2xx(gw.call("PUT", "/v1/admin/tenants/unicode", TestGateway.ADMIN, Map.of("displayName", display)));
      assertEquals(display, gw.call("GET", "/v1/admin/tenants/unicode", TestGateway.ADMIN, null).text("displayName"));

      String contact = "visitante-😀-日本";
      String name = "José 👍🏽 𝄞 ñandú";
      expect2xx(gw.call("POST", "/v1/tenants/" + T + "/messages", key, Map.of("channel", "webchat", "contact", contact,
          "messageId", "u1", "text", "olá 😀 こんにちは", "fields", Map.of("name", name))));
      String path = "/v1/tenants/" + T + "/conversations/" + segment("webchat:" + contact);
      gw.eventually(() -> assertEquals("ASSIGNED", gw.call("GET", path, key, null).text("status")));
      Answer view = gw.call("GET", path, key, null);
      assertEquals("webchat:" + contact, view.text("conversation"));
      assertEquals(name, view.body().get("contactFields").get("name").asText());

      String reply = "👍🏽 obrigado, até logo مع السلامة";
      String agent = view.text("agent");
      Answer sent = gw.call("POST", path + "/replies", key, Map.of("agent", agent, "text", reply));
      assertEquals(202, sent.status(), sent.raw());
      List<String> delivered = gw.receiver.requests("/connector/messages").stream().map(r -> r.text()).toList();
      assertTrue(delivered.stream().anyMatch(body -> {
        try {
          return reply.equals(TestGateway.JSON.readTree(body).path("text").asText());
        } catch (Exception e) {
          return false;
        }
      }), "the connector got the reply as written: " + delivered);
    }

    void aWhatsAppBatchKeepsItsGoodMessagesAndRepairsTheBadOne() {
      String body = """
          {"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{"field": "messages",
            "value": {"messaging_product": "whatsapp",
              "metadata": {"display_phone_number": "15550001111", "phone_number_id": "pn1"},
              "contacts": [{"wa_id": "5511900000077", "profile": {"name": "Ana \\ud83d\\u0000 😀"}},
                           {"wa_id": "5511900000078", "profile": {"name": "Bea 😀"}}],
              "messages": [
                {"from": "5511900000077", "id": "wamid.bad", "timestamp": "1767225600", "type": "text",
                 "text": {"body": "hi \\ud83d"}},
                {"from": "5511900000078", "id": "wamid.good", "timestamp": "1767225600", "type": "text",
                 "text": {"body": "olá 😀"}}]}}]}]}""";
      byte[] raw = body.getBytes(StandardCharsets.UTF_8);
      Answer a = gw.send("POST", "/v1/webhooks/whatsapp/" + T, null, raw, Map.of("Content-Type", "application/json",
          "X-Hub-Signature-256", Hmac.sign(SECRET, raw)));
      assertEquals(200, a.status(), a.raw());
      assertEquals(2, a.body().get("accepted").asInt(), a.raw());
      Answer repaired = gw.call("GET", "/v1/tenants/" + T + "/conversations/whatsapp:5511900000077", key, null);
      assertEquals(200, repaired.status(), repaired.raw());
      assertEquals("Ana \ufffd\ufffd 😀", repaired.body().get("contactFields").get("name").asText());
      Answer good = gw.call("GET", "/v1/tenants/" + T + "/conversations/whatsapp:5511900000078", key, null);
      assertEquals("Bea 😀", good.body().get("contactFields").get("name").asText());
    }
  }

  /** WARN and ERROR events of the run, from every logger. */
  static final class LogCapture extends AppenderBase<ILoggingEvent> {
    private static final List<String> SIGNS = List.of("Rejected event", "Failed to persist", "Supervisor",
        "cannot be stored", "unexpected failure", "WhatsApp message skipped");
    private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();

    static LogCapture attach() {
      LogCapture c = new LogCapture();
      c.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
      c.start();
      root().addAppender(c);
      return c;
    }

    private static Logger root() {
      return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    @Override
    protected void append(ILoggingEvent e) {
      events.add(e);
    }

    void detach() {
      root().detachAppender(this);
      stop();
    }

    /** Errors, and warnings that say an entity failed or had to refuse what the edge let through. */
    List<String> failures() {
      return events.stream()
          .filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR)
              || SIGNS.stream().anyMatch(s -> e.getFormattedMessage().contains(s)))
          .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage())
          .toList();
    }
  }
}

package io.switchboard.gateway.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.gateway.Hmac;
import io.switchboard.gateway.TestGateway;
import io.switchboard.gateway.TestGateway.Answer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;

/**
 * A day of one tenant through the API, touching every kind of event the entities store (tenant and
 * keys, rules, teams, agents' profiles and presence, messages, a rule's question and its answer,
 * assignments, a re-route after a silent agent, replies, a pool and its claim, transfers, resolves,
 * a returning contact, a WhatsApp system message), ending with nothing waiting on a clock: every open
 * conversation is answered or waits in a pool with no queue wait. The state it leaves is the same
 * whenever it is read back, which is what {@link JournalCompatibilityTest} needs.
 */
final class CompatScenario {
  static final String TENANT = "compat";
  static final String APP_SECRET = "compat-app-secret";
  static final String BASE = "/v1/tenants/" + TENANT;

  /** What is read back and compared; per path, the answer must be the same after a later version recovers the store. */
  static final List<String> VIEWS = List.of(
      "/v1/admin/tenants/" + TENANT,
      BASE + "/rules",
      BASE + "/teams/desk", BASE + "/teams/skills", BASE + "/teams/pool",
      BASE + "/teams/pool/waiting",
      BASE + "/agents/ann", BASE + "/agents/ben", BASE + "/agents/cam", BASE + "/agents/eve", BASE + "/agents/sup",
      BASE + "/agents/ann/conversations", BASE + "/agents/ben/conversations", BASE + "/agents/cam/conversations",
      BASE + "/agents/eve/conversations",
      BASE + "/conversations/sms:1001", BASE + "/conversations/sms:1002", BASE + "/conversations/webchat:v-1",
      BASE + "/conversations/webchat:v-2", BASE + "/conversations/sms:1003", BASE + "/conversations/whatsapp:5511900000001",
      BASE + "/conversations?limit=50",
      BASE + "/conversations/counts",
      BASE + "/stats/teams", BASE + "/stats/agents");

  private final TestGateway gw;
  private final TestProbe<Object> probe;
  private String key;

  CompatScenario(TestGateway gw) {
    this.gw = gw;
    this.probe = TestProbe.create(gw.gateway.system());
  }

  /** Runs the day; returns the tenant's API key. */
  String run() {
    key = gw.tenant(TENANT, Map.of("displayName", "Compat Ltd", "appSecret", APP_SECRET, "defaultTeam", "desk",
        "verifyToken", "compat-verify"));
    agent("ann", Map.of("capacity", Map.of("*", 3), "languages", List.of("en")));
    agent("ben", Map.of("capacity", Map.of("*", 3), "skills", Map.of("billing", 2)));
    agent("cam", Map.of("capacity", Map.of("sms", 2, "*", 1), "skills", Map.of("mortgage", 3)));
    agent("eve", Map.of("capacity", Map.of("*", 2)));
    agent("sup", Map.of("capacity", Map.of("*", 5), "role", "SUPERVISOR"));
    ok(put(BASE + "/teams/desk", Map.of("members", List.of("ann", "ben"), "strategy", "ROUND_ROBIN",
        "replyWindow", "PT2S", "maxReroutes", 3, "escalation", Map.of("supervisor", "sup"))));
    ok(put(BASE + "/teams/skills", Map.of("members", List.of("cam", "ben"), "strategy", "SKILL_BASED",
        "replyWindow", "PT2S", "maxReroutes", 2)));
    ok(put(BASE + "/teams/pool", Map.of("members", List.of("eve"), "strategy", "MANUAL")));
    ok(put(BASE + "/rules", Map.of("timeZone", "UTC", "rules", List.of(
        Map.of("name", "vip", "when", Map.of("type", "field", "name", "segment", "op", "equals", "values", List.of("vip")),
            "then", List.of(Map.of("type", "setPriority", "priority", 20), Map.of("type", "team", "team", "pool"))),
        Map.of("name", "menu", "when", Map.of("type", "all", "of", List.of(
                Map.of("type", "channel", "channels", List.of("webchat")),
                Map.of("type", "field", "name", "segment", "op", "missing"))),
            "then", List.of(Map.of("type", "ask", "id", "segment-menu", "field", "segment",
                "text", "VIP or standard?", "options", List.of(Map.of("id", "vip", "title", "VIP"),
                    Map.of("id", "standard", "title", "Standard")),
                "maxAttempts", 2, "timeout", "PT10M", "fallback", Map.of("type", "team", "team", "desk")))),
        Map.of("name", "standard", "when", Map.of("type", "field", "name", "segment", "op", "equals",
                "values", List.of("standard")),
            "then", List.of(Map.of("type", "team", "team", "skills", "skills", Map.of("mortgage", 1)))),
        Map.of("name", "else", "when", Map.of("type", "always"), "then", List.of(Map.of("type", "team", "team", "desk")))))));
    for (String a : List.of("ann", "ben", "cam", "eve", "sup")) ok(put(BASE + "/agents/" + a + "/presence",
        Map.of("presence", "ONLINE")));
    eventually(() -> gw.call("GET", BASE + "/teams/desk", key, null).body().get("memberStatus").size() == 2
        && gw.call("GET", BASE + "/teams/skills", key, null).body().get("memberStatus").size() == 2);

    // sms:1001 to desk: ann (round robin) stays silent for the 2 s window, ben gets it and answers
    message("sms", "1001", "m-1", "where is my parcel", Map.of());
    String first = until(BASE + "/conversations/sms:1001", c -> "ASSIGNED".equals(c.text("status"))).text("agent");
    String second = until(BASE + "/conversations/sms:1001", c -> c.body().get("reroutes").asInt() == 1
        && "ASSIGNED".equals(c.text("status"))).text("agent");
    ok(post(BASE + "/conversations/sms:1001/replies", Map.of("agent", second, "text", "on its way")), 202);
    if (first.equals(second)) throw new IllegalStateException("re-routed to the silent agent " + first);

    // sms:1002 to desk, answered at once, then resolved; the contact comes back and is answered again
    message("sms", "1002", "m-2", "invoice please", Map.of());
    String agent2 = until(BASE + "/conversations/sms:1002", c -> "ASSIGNED".equals(c.text("status"))).text("agent");
    ok(post(BASE + "/conversations/sms:1002/replies", Map.of("agent", agent2, "text", "sent")), 202);
    ok(post(BASE + "/conversations/sms:1002/resolve", Map.of("requestedBy", agent2)), 200);
    message("sms", "1002", "m-3", "one more thing", Map.of());
    String agent3 = until(BASE + "/conversations/sms:1002", c -> "ASSIGNED".equals(c.text("status"))
        && c.body().get("episode").asInt() == 2).text("agent");
    ok(post(BASE + "/conversations/sms:1002/replies", Map.of("agent", agent3, "text", "sure")), 202);

    // webchat:v-1 is asked the menu, answers "standard": the skills team gives it to cam (mortgage)
    message("webchat", "v-1", "w-1", "hello", Map.of());
    until(BASE + "/conversations/webchat:v-1", c -> "ROUTING".equals(c.text("status")));
    message("webchat", "v-1", "w-2", "standard", Map.of());
    until(BASE + "/conversations/webchat:v-1", c -> "ASSIGNED".equals(c.text("status")));
    ok(post(BASE + "/conversations/webchat:v-1/replies", Map.of("agent", "cam", "text", "hi from cam")), 202);

    // webchat:v-2 answers "vip": priority 20 in the pool, where eve claims it, answers and transfers it to desk
    message("webchat", "v-2", "w-3", "hi", Map.of());
    until(BASE + "/conversations/webchat:v-2", c -> "ROUTING".equals(c.text("status")));
    message("webchat", "v-2", "w-4", "vip", Map.of());
    until(BASE + "/teams/pool/waiting", p -> p.body().get("items").size() == 1);
    ok(post(BASE + "/agents/eve/claims", Map.of("conversation", "webchat:v-2")), 200);
    ok(post(BASE + "/conversations/webchat:v-2/replies", Map.of("agent", "eve", "text", "welcome")), 202);
    ok(post(BASE + "/conversations/webchat:v-2/transfer", Map.of("toAgent", "sup", "requestedBy", "eve")), 200);
    until(BASE + "/conversations/webchat:v-2", c -> "sup".equals(c.text("agent")));
    ok(post(BASE + "/conversations/webchat:v-2/replies", Map.of("agent", "sup", "text", "supervisor here")), 202);

    // sms:1003 named for the pool: it waits there, unclaimed (the pool has no queue wait)
    message("sms", "1003", "m-4", "no rush", Map.of("team", "pool", "priority", 5));
    until(BASE + "/teams/pool/waiting", p -> p.body().get("items").size() == 1
        && "sms:1003".equals(p.body().get("items").get(0).get("conversation").asText()));

    // a WhatsApp message, then the contact's number change (a system message: a contact event), answered
    whatsapp("wamid.c1", "{\"from\":\"5511900000001\",\"id\":\"wamid.c1\",\"timestamp\":\"%d\",\"type\":\"text\","
        + "\"text\":{\"body\":\"oi\"}}");
    String wa = until(BASE + "/conversations/whatsapp:5511900000001", c -> "ASSIGNED".equals(c.text("status")))
        .text("agent");
    whatsapp("wamid.c2", "{\"from\":\"5511900000001\",\"id\":\"wamid.c2\",\"timestamp\":\"%d\",\"type\":\"system\","
        + "\"system\":{\"body\":\"User changed number\",\"wa_id\":\"5511900000002\",\"type\":\"user_changed_number\"}}");
    ok(post(BASE + "/conversations/whatsapp:5511900000001/replies", Map.of("agent", wa, "text", "ola")), 202);
    return key;
  }

  private void agent(String id, Map<String, Object> profile) {
    ok(put(BASE + "/agents/" + id, profile));
  }

  private void message(String channel, String contact, String id, String text, Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(Map.of("channel", channel, "contact", contact, "messageId", id, "type", "text",
        "text", text, "timestamp", Instant.now().toString()));
    m.putAll(extra);
    ok(post(BASE + "/messages", m), 202);
  }

  private void whatsapp(String id, String messageTemplate) {
    String msg = messageTemplate.formatted(Instant.now().getEpochSecond());
    String body = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"field\":"
        + "\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":"
        + "\"15550001111\",\"phone_number_id\":\"900\"},\"contacts\":[{\"profile\":{\"name\":\"Rita\"},"
        + "\"wa_id\":\"5511900000001\"}],\"messages\":[" + msg + "]}}]}]}";
    byte[] raw = body.getBytes(StandardCharsets.UTF_8);
    Answer a = gw.send("POST", "/v1/webhooks/whatsapp/" + TENANT, null, raw,
        Map.of("Content-Type", "application/json", "X-Hub-Signature-256", Hmac.sign(APP_SECRET, raw)));
    if (a.status() != 200) throw new IllegalStateException("whatsapp " + id + ": " + a.status() + " " + a.raw());
  }

  private Answer put(String path, Object body) {
    return gw.call("PUT", path, key == null ? TestGateway.ADMIN : key, body);
  }

  private Answer post(String path, Object body) {
    return gw.call("POST", path, key, body);
  }

  private static void ok(Answer a) {
    ok(a, 200);
  }

  private static void ok(Answer a, int status) {
    assertEquals(status, a.status(), a.raw());
  }

  private Answer until(String path, java.util.function.Predicate<Answer> done) {
    Answer[] last = new Answer[1];
    eventually(() -> {
      last[0] = gw.call("GET", path, key, null);
      return last[0].status() == 200 && done.test(last[0]);
    });
    return last[0];
  }

  private void eventually(Supplier<Boolean> check) {
    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      if (!check.get()) throw new AssertionError("not yet");
      return null;
    });
  }

  /** Every view, as answered now (with the admin key for the tenant itself). */
  static Map<String, JsonNode> views(TestGateway gw, String key) {
    Map<String, JsonNode> out = new java.util.LinkedHashMap<>();
    for (String path : VIEWS) {
      Answer a = gw.call("GET", path, path.startsWith("/v1/admin") ? TestGateway.ADMIN : key, null);
      // an AssertionError: the callers poll until the node answers (it may still be recovering)
      if (a.status() != 200) throw new AssertionError(path + ": " + a.status() + " " + a.raw());
      out.put(path, a.body());
    }
    return out;
  }
}

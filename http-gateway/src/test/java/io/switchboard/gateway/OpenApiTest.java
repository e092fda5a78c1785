package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.ExecutionContext;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.format.Format;
import com.networknt.schema.path.PathType;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.switchboard.gateway.TestGateway.Answer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The OpenAPI document served at {@code /v1/openapi.json}, checked against the running routes of a
 * real gateway: its shape; every documented operation is served and every served route documented;
 * every answer seen here has a documented status and matches its documented schema (strictly: a
 * field the schema does not name fails); and the documented request schemas say exactly which
 * fields the server requires and that it refuses unknown ones. The document is read and checked
 * by swagger-parser; values are validated against its schemas by networknt's json-schema-validator
 * with its OpenAPI 3.0 dialect ({@code nullable}, the 3.0 keywords), {@code $ref}s resolved in the
 * document itself.
 */
class OpenApiTest {
  static final String SECRET = "5f0c7b2e9a1d4c3b8e6f0a2d4c6e8b1a";
  static final String PHONE_NUMBER_ID = "106540352242922";
  static final String ADMIN = TestGateway.ADMIN;
  static final List<String> METHODS = List.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

  /**
   * Every route the code serves, written from the routes classes and {@code Gateway}'s wiring (ops
   * at the root, the rest under /v1). A new route belongs here and in openapi.json.
   */
  static final List<String> SERVED = List.of(
      // OpsRoutes: no authentication
      "GET /health/alive",
      "GET /health/ready",
      "GET /metrics",
      "GET /v1/openapi.json",
      // AdminRoutes: /v1/admin, the admin key
      "PUT /v1/admin/tenants/{tenant}",
      "GET /v1/admin/tenants/{tenant}",
      "POST /v1/admin/tenants/{tenant}/api-keys",
      "DELETE /v1/admin/tenants/{tenant}/api-keys/{keyId}",
      // TeamRoutes: /v1/tenants/{tenant}, the tenant's key
      "PUT /v1/tenants/{tenant}/teams/{team}",
      "GET /v1/tenants/{tenant}/teams/{team}",
      "GET /v1/tenants/{tenant}/teams/{team}/waiting",
      // AgentRoutes
      "PUT /v1/tenants/{tenant}/agents/{agent}",
      "GET /v1/tenants/{tenant}/agents/{agent}",
      "PUT /v1/tenants/{tenant}/agents/{agent}/presence",
      "POST /v1/tenants/{tenant}/agents/{agent}/claims",
      "POST /v1/tenants/{tenant}/agents/{agent}/conversations/{conversation}/wrap-up/end",
      "GET /v1/tenants/{tenant}/agents/{agent}/conversations",
      "GET /v1/tenants/{tenant}/agents/{agent}/events",
      // RulesRoutes
      "PUT /v1/tenants/{tenant}/rules",
      "GET /v1/tenants/{tenant}/rules",
      // ConversationRoutes
      "POST /v1/tenants/{tenant}/messages",
      "GET /v1/tenants/{tenant}/messages/{messageId}/statuses",
      "GET /v1/tenants/{tenant}/conversations",
      "GET /v1/tenants/{tenant}/conversations/counts",
      "GET /v1/tenants/{tenant}/conversations/{conversation}",
      "POST /v1/tenants/{tenant}/conversations/{conversation}/replies",
      "POST /v1/tenants/{tenant}/conversations/{conversation}/transfer",
      "POST /v1/tenants/{tenant}/conversations/{conversation}/resolve",
      "GET /v1/tenants/{tenant}/stats/teams",
      "GET /v1/tenants/{tenant}/stats/agents",
      // WhatsAppRoutes: no API key (the verify token, the signature)
      "GET /v1/webhooks/whatsapp/{tenant}",
      "POST /v1/webhooks/whatsapp/{tenant}");

  /** The IRI the served document is known by to the schema validator (never fetched: it is given the text). */
  static final String DOCUMENT = "urn:switchboard:openapi";

  static TestGateway gw;
  static JsonNode doc;
  /** The document's schemas as written. */
  static SchemaRegistry documented;
  /** The same, but an object schema that names its members refuses others (see {@link #closed}). */
  static SchemaRegistry strict;
  static String acme;
  /** An API key of acme that the DELETE route check revokes. */
  static String revocable;

  /** "METHOD /path/{template} status" of every answer this test instance checked. */
  final Set<String> observed = new TreeSet<>();

  @BeforeAll
  static void start() throws JsonProcessingException {
    gw = new TestGateway("");
    Answer served = gw.call("GET", "/v1/openapi.json", null, null);
    assertEquals(200, served.status(), served.raw());
    assertTrue(served.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    doc = TestGateway.JSON.readTree(served.raw());
    documented = registry(doc);
    strict = registry(closed(doc.deepCopy()));
    acme = gw.tenant("acme", Map.of("displayName", "ACME", "verifyToken", "vt", "appSecret", SECRET,
        "webhookUrl", gw.receiver.url("/hooks/acme"), "webhookSecret", "whs", "defaultTeam", "support",
        "whatsappNumbers", Map.of(PHONE_NUMBER_ID, "support")));
    gw.tenant("scratch", Map.of("displayName", "Scratch"));
    for (String agent : List.of("carol", "sam")) { // the team sample names them: a team names only agents that exist
      assertEquals(200, gw.call("PUT", "/v1/tenants/acme/agents/" + agent, acme, Map.of("capacity", Map.of("*", 2)))
          .status());
    }
    Answer key = gw.call("POST", "/v1/admin/tenants/acme/api-keys", ADMIN, Map.of("label", "to revoke"));
    assertEquals(201, key.status(), key.raw());
    revocable = key.text("keyId");
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  // ---- the document's shape ----

  @Test
  void theDocumentIsAnOpenApi303DocumentWhoseReferencesAndParametersHoldTogether() {
    // swagger-parser reads it as OpenAPI 3.0: required fields and their types, unknown keys, a parameter's
    // location, path parameters required, a request body's content, repeated operationIds and parameters,
    // $refs to schemas. The project's own rules that it does not check follow.
    assertEquals(List.of(), new OpenAPIV3Parser().readContents(doc.toString()).getMessages(),
        "swagger-parser's findings in the document");
    assertEquals("3.0.3", doc.path("openapi").asText());
    assertEquals("Switchboard", doc.path("info").path("title").asText());
    assertEquals("0.1.0", doc.path("info").path("version").asText());
    assertFalse(doc.path("info").path("description").asText().isBlank());
    assertEquals("/", doc.path("servers").path(0).path("url").asText());
    JsonNode schemes = doc.path("components").path("securitySchemes");
    assertEquals("http", schemes.path("bearerAuth").path("type").asText());
    assertEquals("bearer", schemes.path("bearerAuth").path("scheme").asText());
    assertEquals("apiKey", schemes.path("apiKeyHeader").path("type").asText());
    assertEquals("header", schemes.path("apiKeyHeader").path("in").asText());
    assertEquals("X-Api-Key", schemes.path("apiKeyHeader").path("name").asText());

    List<String> problems = new ArrayList<>();
    Set<String> referenced = new HashSet<>();
    walk(doc, "", (at, node) -> {
      if (node.has("$ref")) {
        String ref = node.get("$ref").asText();
        referenced.add(ref);
        if (!ref.startsWith("#/components/") || doc.at(ref.substring(1)).isMissingNode()) {
          problems.add(at + ": $ref " + ref + " does not resolve to a component");
        }
      }
    });
    for (String kind : List.of("schemas", "parameters", "responses")) {
      doc.path("components").path(kind).fieldNames().forEachRemaining(name -> {
        if (!referenced.contains("#/components/" + kind + "/" + name)) {
          problems.add("components/" + kind + "/" + name + " is never used");
        }
      });
    }
    checkSecurity(doc.path("security"), "root", problems);

    Set<String> tags = new HashSet<>();
    doc.path("tags").forEach(t -> tags.add(t.path("name").asText()));
    Set<String> operationIds = new HashSet<>();
    Pattern templated = Pattern.compile("\\{([^}]+)}");
    doc.path("paths").properties().forEach(path -> {
      String template = path.getKey();
      JsonNode item = path.getValue();
      path.getValue().fieldNames().forEachRemaining(k -> {
        if (!METHODS.contains(k) && !List.of("parameters", "summary", "description").contains(k)) {
          problems.add(template + ": unexpected key " + k);
        }
      });
      Set<String> inTemplate = new TreeSet<>();
      Matcher m = templated.matcher(template);
      while (m.find()) inTemplate.add(m.group(1));
      for (String method : METHODS) {
        JsonNode op = item.path(method);
        if (op.isMissingNode()) continue;
        String name = method.toUpperCase(Locale.ROOT) + " " + template;
        if (!operationIds.add(op.path("operationId").asText())) {
          problems.add(name + ": operationId missing or repeated");
        }
        op.path("tags").forEach(t -> {
          if (!tags.contains(t.asText())) problems.add(name + ": undeclared tag " + t.asText());
        });
        if (op.has("security")) checkSecurity(op.get("security"), name, problems);
        JsonNode responses = op.path("responses");
        if (!responses.isObject() || responses.isEmpty()) problems.add(name + ": no responses");
        responses.properties().forEach(r -> {
          if (!r.getKey().matches("[1-5][0-9][0-9]|default")) problems.add(name + ": response code " + r.getKey());
          if (!resolve(r.getValue()).path("description").isTextual()) {
            problems.add(name + " " + r.getKey() + ": no description");
          }
        });
        if (responses.fieldNames().hasNext() && !hasSuccess(responses)) problems.add(name + ": no 2xx response");
        if (op.has("requestBody")) {
          resolve(op.get("requestBody")).path("content").forEach(media -> {
            if (!media.has("schema")) problems.add(name + ": request body without schema");
          });
        }
        Set<String> declared = new TreeSet<>();
        List<JsonNode> parameters = new ArrayList<>();
        item.path("parameters").forEach(p -> parameters.add(resolve(p)));
        op.path("parameters").forEach(p -> parameters.add(resolve(p)));
        Set<String> unique = new HashSet<>();
        for (JsonNode p : parameters) {
          String in = p.path("in").asText();
          if (!unique.add(in + ":" + p.path("name").asText())) {
            problems.add(name + ": parameter repeated " + p.path("name"));
          }
          if (!p.has("schema")) problems.add(name + ": parameter " + p.path("name") + " without schema");
          if ("path".equals(in)) declared.add(p.path("name").asText());
        }
        if (!declared.equals(inTemplate)) {
          problems.add(name + ": path parameters declared " + declared + " but the path has " + inTemplate);
        }
      }
    });

    // every example is what its own schema allows
    walk(doc, "", (at, node) -> {
      if (node.has("example") && node.has("schema")) {
        validate(strict, at + "/schema", node.get("example")).forEach(e -> problems.add(at + "/example: " + e));
      } else if (node.has("example") && (node.has("type") || node.has("$ref"))) {
        validate(strict, at, node.get("example")).forEach(e -> problems.add(at + "/example: " + e));
      }
    });
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  /** The validator is not vacuous: a hand-made wrong answer is refused, and its error names the field. */
  @Test
  void aWrongAnswerIsRefusedWithTheFieldNamed() {
    String newKey = operationPointer("POST", "/v1/admin/tenants/{tenant}/api-keys")
        + "/responses/201/content/application~1json/schema";
    ObjectNode good = (ObjectNode) obj("""
        {"keyId": "3f9c0a12be45", "apiKey": "sb_acme.3f9c0a12be45.s3cret", "label": "ci"}""");
    assertEquals(List.of(), validate(strict, newKey, good));
    Map<String, JsonNode> wrong = Map.of(
        "apiKey", good.deepCopy().without("apiKey"), // a required field left out
        "keyId", good.deepCopy().put("keyId", 42), // a wrong type
        "label", good.deepCopy().putNull("label"), // null, which the schema does not allow
        "secret", good.deepCopy().put("secret", "x")); // a field the schema does not name
    wrong.forEach((field, answer) -> {
      List<Error> errors = validate(strict, newKey, answer);
      assertFalse(errors.isEmpty(), answer + " passed");
      assertTrue(errors.toString().contains(field), answer + ": " + errors);
    });
    // the undocumented field fails only by the strict reading: JSON Schema itself lets it through
    assertEquals(List.of(), validate(documented, newKey, wrong.get("secret")));
    List<Error> format = validate(strict, "/components/schemas/KeyView", obj("""
        {"keyId": "3f9c0a12be45", "createdAt": "yesterday"}"""));
    assertTrue(format.toString().contains("createdAt"), "formats are asserted: " + format);
  }

  private static void checkSecurity(JsonNode requirements, String where, List<String> problems) {
    requirements.forEach(req -> req.fieldNames().forEachRemaining(scheme -> {
      if (!doc.path("components").path("securitySchemes").has(scheme)) {
        problems.add(where + ": security scheme " + scheme + " is not declared");
      }
    }));
  }

  private static boolean hasSuccess(JsonNode responses) {
    Iterator<String> codes = responses.fieldNames();
    while (codes.hasNext()) {
      if (codes.next().startsWith("2")) return true;
    }
    return false;
  }

  // ---- documented ⇔ served ----

  @Test
  void everyRouteTheCodeServesIsDocumentedAndNothingElse() {
    Set<String> documented = new TreeSet<>();
    for (Operation op : operations()) documented.add(op.key());
    Set<String> served = new TreeSet<>(SERVED);
    assertEquals(SERVED.size(), served.size(), "SERVED repeats a route");
    Set<String> undocumented = new TreeSet<>(served);
    undocumented.removeAll(documented);
    assertTrue(undocumented.isEmpty(), "served but not in openapi.json: " + undocumented);
    Set<String> unknown = new TreeSet<>(documented);
    unknown.removeAll(served);
    assertTrue(unknown.isEmpty(), "in openapi.json but not in SERVED (add it there once it is served): " + unknown);
  }

  /** Each documented operation called with sample path values and a valid key reaches a route of the server. */
  @TestFactory
  Stream<DynamicTest> everyDocumentedOperationIsServed() {
    Map<String, String> samples = Map.of("tenant", "acme", "team", "support", "agent", "alice",
        "conversation", "whatsapp:+15550001", "messageId", "wamid.out-1", "keyId", revocable);
    return operations().stream().map(op -> DynamicTest.dynamicTest(op.key(), () -> {
      String path = op.path();
      for (Map.Entry<String, String> e : samples.entrySet()) path = path.replace("{" + e.getKey() + "}", e.getValue());
      assertFalse(path.contains("{"), "no sample value for a parameter of " + path);
      String key = keyFor(op);
      if (op.node().path("responses").path("200").path("content").has("text/event-stream")) {
        try (SseClient sse = new SseClient(gw.client, gw.base() + path, key)) {
          assertEquals(200, sse.status);
          assertEquals("subscribed", sse.next(30).type());
        }
        return;
      }
      Answer a = gw.call(op.method(), path, key, null);
      assertNotEquals(405, a.status(), op.key() + " is not served: " + a.raw());
      assertFalse(a.status() == 404 && "not_found".equals(a.error()) && "no such resource".equals(a.text("message")),
          op.key() + " is not served: " + a.raw());
      conforms(op.method(), op.path(), a);
    }));
  }

  private static String keyFor(Operation op) {
    JsonNode security = op.node().has("security") ? op.node().get("security") : doc.path("security");
    if (security.isEmpty()) return null;
    return op.path().startsWith("/v1/admin/") ? ADMIN : acme;
  }

  // ---- request schemas ⇔ the server's validation ----

  record Sample(String method, String template, String key, String body, String... values) {}

  List<Sample> samples() {
    String now = Instant.now().toString();
    return List.of(
        new Sample("PUT", "/v1/admin/tenants/{tenant}", ADMIN, """
            {"displayName": "Scratch", "verifyToken": "vt2", "appSecret": "as2",
             "webhookUrl": "%s", "webhookSecret": "whs2", "defaultTeam": "support",
             "whatsappNumbers": {"555000111": "sales"}}""".formatted(gw.receiver.url("/hooks/scratch")), "scratch"),
        new Sample("POST", "/v1/admin/tenants/{tenant}/api-keys", ADMIN, """
            {"label": "checks"}""", "scratch"),
        new Sample("PUT", "/v1/tenants/{tenant}/teams/{team}", acme, """
            {"members": ["carol"], "strategy": "LEAST_BUSY", "replyWindow": "PT5M", "maxReroutes": 2,
             "escalation": {"supervisor": "sam"}, "queueWait": "PT10M", "overflowTeam": "support",
             "businessHours": {"zone": "Europe/Lisbon", "week": {"MONDAY": [{"from": "09:00", "to": "17:30"}]}},
             "idleAutoResolve": "PT1H", "rerouteAnsweredOnOffline": true, "offlineGrace": "PT45S",
             "wrapUp": "PT30S"}""", "acme", "checked"),
        new Sample("PUT", "/v1/tenants/{tenant}/teams/{team}", acme, """
            {"members": [], "strategy": "MANUAL", "escalation": {"team": "support"}}""", "acme", "checked-2"),
        new Sample("PUT", "/v1/tenants/{tenant}/agents/{agent}", acme, """
            {"capacity": {"*": 2, "sms": 1}, "skills": {"billing": 50}, "languages": ["en"], "role": "SUPERVISOR"}""",
            "acme", "checked-agent"),
        new Sample("PUT", "/v1/tenants/{tenant}/rules", acme, """
            {"description": "checks", "timeZone": "UTC", "rules": [
              {"name": "else", "when": {"type": "always"}, "then": [{"type": "team", "team": "checked"}]}]}""",
            "acme"),
        new Sample("PUT", "/v1/tenants/{tenant}/agents/{agent}/presence", acme, """
            {"presence": "AWAY"}""", "acme", "checked-agent"),
        new Sample("POST", "/v1/tenants/{tenant}/agents/{agent}/claims", acme, """
            {"conversation": "sms:check-1"}""", "acme", "checked-agent"),
        new Sample("POST", "/v1/tenants/{tenant}/messages", acme, """
            {"channel": "sms", "contact": "check-2", "messageId": "m-check-1", "type": "text", "text": "hello",
             "timestamp": "%s", "fields": {"source": "web"}, "team": "intake", "priority": 3, "language": "en",
             "skills": {"billing": 10}}""".formatted(now), "acme"),
        new Sample("POST", "/v1/tenants/{tenant}/conversations/{conversation}/replies", acme, """
            {"agent": "checked-agent", "text": "hi"}""", "acme", "sms:check-3"),
        new Sample("POST", "/v1/tenants/{tenant}/conversations/{conversation}/replies", acme, """
            {"agent": "checked-agent", "template": {"name": "order_update", "language": "en", "parameters": ["1"]}}""",
            "acme", "sms:check-3"),
        new Sample("POST", "/v1/tenants/{tenant}/conversations/{conversation}/transfer", acme, """
            {"toTeam": "support", "requestedBy": "checked-agent"}""", "acme", "sms:check-3"),
        new Sample("POST", "/v1/tenants/{tenant}/conversations/{conversation}/transfer", acme, """
            {"toAgent": "alice", "requestedBy": "checked-agent"}""", "acme", "sms:check-3"),
        new Sample("POST", "/v1/tenants/{tenant}/conversations/{conversation}/resolve", acme, """
            {"requestedBy": "checked-agent"}""", "acme", "sms:check-3"));
  }

  /**
   * For a valid sample body of every documented JSON request: the sample is valid and not a 400;
   * each field taken out is a 400 exactly when the schema then refuses the body (required fields,
   * either-or fields, webhookSecret with a webhookUrl); an unknown field where the schema has
   * {@code additionalProperties: false} is a 400 {@code malformed_json} ({@code invalid_rules} for rules).
   */
  @TestFactory
  Stream<DynamicTest> theRequestSchemasRequireWhatTheServerRequires() {
    List<Sample> samples = samples();
    Set<String> covered = new HashSet<>();
    samples.forEach(s -> covered.add(s.method() + " " + s.template()));
    Stream<DynamicTest> coverage = Stream.of(DynamicTest.dynamicTest("every JSON request body has a sample", () -> {
      Set<String> missing = new TreeSet<>();
      for (Operation op : operations()) {
        JsonNode body = op.node().path("requestBody").path("content").path("application/json").path("schema");
        if (body.isMissingNode() || op.path().startsWith("/v1/webhooks/")) continue; // WhatsApp: signed raw bytes
        if (!covered.contains(op.key())) missing.add(op.key());
      }
      assertTrue(missing.isEmpty(), "no sample body for " + missing);
    }));
    return Stream.concat(coverage, samples.stream().map(s -> DynamicTest.dynamicTest(
        s.method() + " " + s.template() + " " + s.body().replaceAll("\\s+", " "), () -> checkSample(s))));
  }

  private void checkSample(Sample s) {
    String schema = operationPointer(s.method(), s.template()) + "/requestBody/content/application~1json/schema";
    assertFalse(doc.at(schema).isMissingNode(), s.template() + " documents no JSON body");
    JsonNode body = obj(s.body());
    assertEquals(List.of(), validate(strict, schema, body), "the sample itself is not valid");
    Answer valid = api(s.method(), s.template(), s.key(), body, s.values());
    assertNotEquals(400, valid.status(), "a valid body was refused: " + valid.raw());

    List<String> problems = new ArrayList<>();
    for (String pointer : pointers(body, "")) {
      JsonNode without = body.deepCopy();
      int slash = pointer.lastIndexOf('/');
      ((ObjectNode) without.at(pointer.substring(0, slash))).remove(unescape(pointer.substring(slash + 1)));
      boolean allowed = validate(strict, schema, without).isEmpty();
      Answer a = api(s.method(), s.template(), s.key(), without, s.values());
      if (allowed && a.status() == 400) {
        problems.add("without " + pointer + " the schema allows the body but the server answers " + a.raw());
      } else if (!allowed && a.status() != 400) {
        problems.add("without " + pointer + " the schema refuses the body but the server answers " + a.status()
            + " " + a.raw());
      }
    }
    List<String> objects = new ArrayList<>();
    objects.add("");
    for (String pointer : pointers(body, "")) if (body.at(pointer).isObject()) objects.add(pointer);
    for (String pointer : objects) {
      JsonNode with = body.deepCopy();
      ((ObjectNode) with.at(pointer)).put("unexpectedField", true);
      // only where the document itself says additionalProperties: false (a map's values are not members)
      if (validate(documented, schema, with).stream().noneMatch(e -> "additionalProperties".equals(e.getKeyword()))) {
        continue;
      }
      Answer a = api(s.method(), s.template(), s.key(), with, s.values());
      String code = s.template().endsWith("/rules") ? "invalid_rules" : "malformed_json";
      if (a.status() != 400 || !code.equals(a.error())) {
        problems.add("an unknown field at '" + pointer + "' is refused by the schema but the server answers "
            + a.raw());
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  /** JSON pointers of every member of every object in {@code node} (into arrays too). */
  private static List<String> pointers(JsonNode node, String at) {
    List<String> out = new ArrayList<>();
    if (node.isObject()) {
      node.properties().forEach(e -> {
        String p = at + "/" + escape(e.getKey());
        out.add(p);
        out.addAll(pointers(e.getValue(), p));
      });
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) out.addAll(pointers(node.get(i), at + "/" + i));
    }
    return out;
  }

  private static String unescape(String token) {
    return token.replace("~1", "/").replace("~0", "~");
  }

  // ---- answers ⇔ the documented responses ----

  /**
   * A working day through the API: every answer matches its documented response, and by the end
   * every documented success answer of every operation has been seen.
   */
  @Test
  void theAnswersOfAWorkingDayMatchTheDocumentedResponses() throws Exception {
    eventually(() -> assertEquals(200, api("GET", "/health/ready", null, null).status()));
    api("GET", "/health/alive", null, null);
    api("GET", "/metrics", null, null);
    api("GET", "/v1/openapi.json", null, null);

    // admin
    assertEquals(201, api("PUT", "/v1/admin/tenants/{tenant}", ADMIN, obj("""
        {"displayName": "Initech", "defaultTeam": "front"}"""), "initech").status());
    String initechHook = gw.receiver.url("/hooks/initech");
    assertEquals(200, api("PUT", "/v1/admin/tenants/{tenant}", ADMIN, obj("""
        {"displayName": "Initech", "defaultTeam": "front", "webhookUrl": "%s", "webhookSecret": "s",
         "whatsappNumbers": {"4455": "front"}}""".formatted(initechHook)), "initech").status());
    Answer key = api("POST", "/v1/admin/tenants/{tenant}/api-keys", ADMIN, obj("""
        {"label": "ci"}"""), "initech");
    assertEquals(201, key.status(), key.raw());
    Answer initech = api("GET", "/v1/admin/tenants/{tenant}", ADMIN, null, "initech");
    assertEquals(1, initech.body().get("apiKeys").size(), initech.raw());
    assertEquals(204, api("DELETE", "/v1/admin/tenants/{tenant}/api-keys/{keyId}", ADMIN, null, "initech",
        key.text("keyId")).status());
    assertEquals(404, api("GET", "/v1/admin/tenants/{tenant}", ADMIN, null, "nobody").status());

    // agents and teams
    assertEquals(200, api("PUT", "/v1/tenants/{tenant}/agents/{agent}", acme, obj("""
        {"capacity": {"*": 3}, "skills": {"billing": 80}, "languages": ["en", "pt"], "role": "SUPERVISOR"}"""),
        "acme", "alice").status());
    Answer online = api("PUT", "/v1/tenants/{tenant}/agents/{agent}/presence", acme, obj("""
        {"presence": "ONLINE"}"""), "acme", "alice");
    assertEquals("ONLINE", online.text("presence"), online.raw());
    Answer support = api("PUT", "/v1/tenants/{tenant}/teams/{team}", acme, obj("""
        {"members": ["alice"], "strategy": "ROUND_ROBIN", "replyWindow": "PT5M", "maxReroutes": 2,
         "escalation": {"team": "pool"}, "queueWait": "PT10M", "overflowTeam": "pool",
         "businessHours": {"zone": "UTC", "week": {
           "MONDAY": [{"from": "00:00", "to": "00:00"}], "TUESDAY": [{"from": "00:00", "to": "00:00"}],
           "WEDNESDAY": [{"from": "00:00", "to": "00:00"}], "THURSDAY": [{"from": "00:00", "to": "00:00"}],
           "FRIDAY": [{"from": "00:00", "to": "00:00"}], "SATURDAY": [{"from": "00:00", "to": "00:00"}],
           "SUNDAY": [{"from": "00:00", "to": "00:00"}]}},
         "idleAutoResolve": "PT1H", "rerouteAnsweredOnOffline": false}"""), "acme", "support");
    assertEquals("UTC", support.body().path("businessHours").path("zone").asText(), support.raw());
    api("PUT", "/v1/tenants/{tenant}/teams/{team}", acme, obj("""
        {"members": ["alice"], "strategy": "MANUAL", "wrapUp": "PT1H"}"""), "acme", "pool"); // only members claim
    api("GET", "/v1/tenants/{tenant}/rules", acme, null, "acme");
    Answer rules = api("PUT", "/v1/tenants/{tenant}/rules", acme, obj("""
        {"description": "a day's rules", "timeZone": "UTC", "rules": [
          {"name": "urgent", "when": {"type": "keyword", "words": ["urgent"]},
           "then": [{"type": "setPriority", "priority": 20}, {"type": "team", "team": "support"}]},
          {"name": "else", "when": {"type": "always"}, "then": [{"type": "team", "team": "support"}]}]}"""), "acme");
    assertEquals(200, rules.status(), rules.raw());
    assertEquals(200, api("GET", "/v1/tenants/{tenant}/rules", acme, null, "acme").status());
    assertEquals(400, api("PUT", "/v1/tenants/{tenant}/rules", acme, obj("""
        {"rules": [{"name": "no-else", "when": {"type": "keyword", "words": ["x"]},
          "then": [{"type": "team", "team": "support"}]}]}"""), "acme").status());
    api("GET", "/v1/tenants/{tenant}/teams/{team}", acme, null, "acme", "never-configured");
    api("GET", "/v1/tenants/{tenant}/agents/{agent}", acme, null, "acme", "never-configured");

    try (SseClient sse = new SseClient(gw.client, gw.base() + "/v1/tenants/acme/agents/alice/events", acme)) {
      assertEquals(200, sse.status);
      observed.add("GET /v1/tenants/{tenant}/agents/{agent}/events 200");
      assertEquals("subscribed", sse.next(30).type());

      // a message is assigned, answered, transferred and resolved
      Answer in = api("POST", "/v1/tenants/{tenant}/messages", acme, obj("""
          {"channel": "whatsapp", "contact": "+15550001", "messageId": "wamid.in-0", "type": "text",
           "text": "my order?", "timestamp": "%s", "team": "support"}""".formatted(Instant.now())), "acme");
      assertEquals("accepted", in.text("status"), in.raw());
      SseClient.Event assigned = sse.next("assigned", 30);
      String eventSchema = "/paths/~1v1~1tenants~1{tenant}~1agents~1{agent}~1events/get/responses/200"
          + "/content/text~1event-stream/x-event-data";
      assertFalse(doc.at(eventSchema).isMissingNode(), "the stream's event data is not documented");
      assertEquals(List.of(), validate(strict, eventSchema, assigned.data()), assigned.data().toString());
    }
    eventually(() -> assertEquals("ASSIGNED", api("GET", "/v1/tenants/{tenant}/conversations/{conversation}", acme,
        null, "acme", "whatsapp:+15550001").text("status")));
    assertEquals(404, api("GET", "/v1/tenants/{tenant}/conversations/{conversation}", acme, null, "acme",
        "sms:nobody").status());
    Answer reply = api("POST", "/v1/tenants/{tenant}/conversations/{conversation}/replies", acme, obj("""
        {"agent": "alice", "text": "on its way"}"""), "acme", "whatsapp:+15550001");
    assertEquals(202, reply.status(), reply.raw());
    assertEquals(409, api("POST", "/v1/tenants/{tenant}/conversations/{conversation}/replies", acme, obj("""
        {"agent": "bob", "text": "me too"}"""), "acme", "whatsapp:+15550001").status());

    // WhatsApp: the handshake, then a message and a delivery receipt of the reply
    Answer challenge = api("GET", "/v1/webhooks/whatsapp/{tenant}?hub.mode=subscribe&hub.verify_token=vt"
        + "&hub.challenge=1158201444", null, null, "acme");
    assertEquals("1158201444", challenge.raw());
    assertEquals(403, api("GET", "/v1/webhooks/whatsapp/{tenant}?hub.mode=subscribe&hub.verify_token=no"
        + "&hub.challenge=1", null, null, "acme").status());
    long epoch = Instant.now().getEpochSecond();
    byte[] notification = ("""
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
          "messaging_product": "whatsapp",
          "metadata": {"display_phone_number": "15550783881", "phone_number_id": "%s"},
          "contacts": [{"profile": {"name": "Sheena"}, "wa_id": "15550002"}],
          "messages": [{"from": "15550002", "id": "wamid.in-1", "timestamp": "%d", "type": "text",
                        "text": {"body": "hello"}}],
          "statuses": [{"id": "wamid.out-1", "status": "delivered", "timestamp": "%d",
                        "recipient_id": "15550001"}]}}]}]}""".formatted(PHONE_NUMBER_ID, epoch, epoch))
        .getBytes(StandardCharsets.UTF_8);
    Answer hook = whatsapp(notification, Hmac.sign(SECRET, notification));
    assertEquals(200, hook.status(), hook.raw());
    assertEquals(1, hook.body().get("accepted").asInt(), hook.raw());
    assertEquals(1, hook.body().get("statuses").asInt(), hook.raw());
    assertEquals(401, whatsapp(notification, "sha256=" + "0".repeat(64)).status());

    // a conversation waits in the pool and is claimed
    api("POST", "/v1/tenants/{tenant}/messages", acme, obj("""
        {"channel": "webchat", "contact": "visitor-1", "messageId": "w-1", "text": "hi", "team": "pool",
         "priority": 5}"""), "acme");
    eventually(() -> {
      assertEquals(1, api("GET", "/v1/tenants/{tenant}/teams/{team}", acme, null, "acme", "pool").body()
          .get("queue").size());
      assertEquals(1, api("GET", "/v1/tenants/{tenant}/teams/{team}/waiting?limit=10&offset=0", acme, null, "acme",
          "pool").body().get("items").size());
    });
    Answer claimed = api("POST", "/v1/tenants/{tenant}/agents/{agent}/claims", acme, obj("""
        {"conversation": "webchat:visitor-1"}"""), "acme", "alice");
    assertEquals("claimed", claimed.text("status"), claimed.raw());
    eventually(() -> assertEquals(3, api("GET", "/v1/tenants/{tenant}/agents/{agent}/conversations", acme, null,
        "acme", "alice").body().size()));
    Answer alice = api("GET", "/v1/tenants/{tenant}/agents/{agent}", acme, null, "acme", "alice");
    assertEquals(3, alice.body().get("holding").size(), alice.raw());
    api("GET", "/v1/tenants/{tenant}/teams/{team}", acme, null, "acme", "support");

    Answer transferred = api("POST", "/v1/tenants/{tenant}/conversations/{conversation}/transfer", acme, obj("""
        {"toTeam": "pool", "requestedBy": "alice"}"""), "acme", "whatsapp:+15550001");
    assertEquals(200, transferred.status(), transferred.raw());
    Answer resolved = api("POST", "/v1/tenants/{tenant}/conversations/{conversation}/resolve", acme, obj("""
        {"requestedBy": "alice"}"""), "acme", "whatsapp:+15550001");
    assertEquals("RESOLVED", resolved.text("status"), resolved.raw());
    // the claimed conversation is resolved: alice wraps up (the pool's wrapUp) and ends it early
    assertEquals(200, api("POST", "/v1/tenants/{tenant}/conversations/{conversation}/resolve", acme, obj("""
        {"requestedBy": "alice"}"""), "acme", "webchat:visitor-1").status());
    eventually(() -> assertEquals(1, api("GET", "/v1/tenants/{tenant}/agents/{agent}", acme, null, "acme", "alice")
        .body().get("wrapUps").size()));
    Answer wrapped = api("POST", "/v1/tenants/{tenant}/agents/{agent}/conversations/{conversation}/wrap-up/end", acme,
        null, "acme", "alice", "webchat:visitor-1");
    assertEquals(200, wrapped.status(), wrapped.raw());
    assertEquals(0, wrapped.body().get("wrapUps").size(), wrapped.raw());

    // the read models
    eventually(() -> {
      assertFalse(api("GET", "/v1/tenants/{tenant}/conversations?team=support&limit=10", acme, null, "acme").body()
          .get("items").isEmpty());
      assertFalse(api("GET", "/v1/tenants/{tenant}/conversations?status=RESOLVED&offset=0", acme, null, "acme")
          .body().get("items").isEmpty());
      assertTrue(api("GET", "/v1/tenants/{tenant}/conversations/counts?team=pool", acme, null, "acme").body()
          .get("byStatus").has("RESOLVED"));
      assertFalse(api("GET", "/v1/tenants/{tenant}/stats/teams", acme, null, "acme").body().isEmpty());
      assertFalse(api("GET", "/v1/tenants/{tenant}/stats/agents", acme, null, "acme").body().isEmpty());
      assertFalse(api("GET", "/v1/tenants/{tenant}/messages/{messageId}/statuses", acme, null, "acme",
          "wamid.out-1").body().isEmpty());
    });
    api("GET", "/v1/tenants/{tenant}/conversations/counts", acme, null, "acme");

    Set<String> unseen = new TreeSet<>();
    for (Operation op : operations()) {
      op.node().path("responses").fieldNames().forEachRemaining(code -> {
        if (code.startsWith("2") && !observed.contains(op.key() + " " + code)) unseen.add(op.key() + " " + code);
      });
    }
    assertTrue(unseen.isEmpty(), "documented success answers never seen: " + unseen);
  }

  private Answer whatsapp(byte[] body, String signature) {
    Answer a = gw.send("POST", "/v1/webhooks/whatsapp/acme", null, body,
        Map.of("Content-Type", "application/json", "X-Hub-Signature-256", signature));
    conforms("POST", "/v1/webhooks/whatsapp/{tenant}", a);
    return a;
  }

  // ---- helpers ----

  record Operation(String method, String path, JsonNode node) {
    String key() {
      return method + " " + path;
    }
  }

  static List<Operation> operations() {
    List<Operation> ops = new ArrayList<>();
    doc.path("paths").properties().forEach(p -> {
      for (String m : METHODS) {
        if (p.getValue().has(m)) ops.add(new Operation(m.toUpperCase(Locale.ROOT), p.getKey(), p.getValue().get(m)));
      }
    });
    return ops;
  }

  static void eventually(Runnable check) {
    gw.eventually(check);
  }

  static JsonNode obj(String json) {
    try {
      return TestGateway.JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(json, e);
    }
  }

  /**
   * Calls {@code template} (with an optional query) with {@code values} for its parameters, in
   * order, and checks the answer against the document.
   */
  Answer api(String method, String template, String key, Object body, String... values) {
    Matcher m = Pattern.compile("\\{[^}]+}").matcher(template);
    StringBuilder path = new StringBuilder();
    int i = 0;
    while (m.find()) {
      assertTrue(i < values.length, "no value for " + m.group() + " of " + template);
      m.appendReplacement(path, Matcher.quoteReplacement(values[i++]));
    }
    m.appendTail(path);
    assertEquals(values.length, i, "more values than parameters in " + template);
    Answer a = gw.call(method, path.toString(), key, body);
    conforms(method, template, a);
    return a;
  }

  /** The answer's status is documented for the operation, and its body is what that response documents. */
  void conforms(String method, String templateAndQuery, Answer a) {
    String template = templateAndQuery.contains("?")
        ? templateAndQuery.substring(0, templateAndQuery.indexOf('?')) : templateAndQuery;
    String name = method + " " + template;
    String op = operationPointer(method, template);
    assertFalse(doc.at(op).isMissingNode(), name + " is not documented");
    String at = op + "/responses/" + a.status();
    assertFalse(doc.at(at).isMissingNode(), name + " answered " + a.status() + ", which it does not document: "
        + a.raw());
    for (int hops = 0; doc.at(at).has("$ref") && hops < 10; hops++) at = doc.at(at).get("$ref").asText().substring(1);
    JsonNode response = doc.at(at);
    observed.add(name + " " + a.status());
    JsonNode content = response.path("content");
    if (content.isMissingNode() || content.isEmpty()) {
      assertTrue(a.raw().isEmpty(), name + " " + a.status() + " documents no body but has " + a.raw());
    } else {
      String media = a.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
      assertTrue(content.has(media), name + " " + a.status() + " answered " + media + ", documented: " + content);
      if ("application/json".equals(media)) {
        assertNotNull(a.body(), name + ": " + a.raw());
        List<Error> errors = validate(strict, at + "/content/" + escape(media) + "/schema", a.body());
        assertTrue(errors.isEmpty(), name + " " + a.status() + " answered " + a.raw() + "\n" + errors);
      }
    }
    response.path("headers").properties().forEach(h -> {
      if (resolve(h.getValue()).path("required").asBoolean(false)) {
        assertTrue(a.headers().firstValue(h.getKey()).isPresent(), name + " " + a.status() + " without " + h.getKey());
      }
    });
  }

  static JsonNode resolve(JsonNode node) {
    JsonNode n = node;
    for (int hops = 0; n.has("$ref"); hops++) {
      assertTrue(hops < 10, "a $ref cycle at " + node);
      String ref = n.get("$ref").asText();
      JsonNode target = ref.startsWith("#/") ? doc.at(ref.substring(1)) : MissingNode.getInstance();
      assertFalse(target.isMissingNode(), "unresolved $ref " + ref);
      n = target;
    }
    return n;
  }

  interface Visitor {
    void visit(String at, JsonNode node);
  }

  static void walk(JsonNode node, String at, Visitor visitor) {
    if (node.isObject()) {
      visitor.visit(at, node);
      node.properties().forEach(e -> walk(e.getValue(), at + "/" + escape(e.getKey()), visitor));
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) walk(node.get(i), at + "/" + i, visitor);
    }
  }

  /** The JSON pointer of an operation in the document. */
  static String operationPointer(String method, String template) {
    return "/paths/" + escape(template) + "/" + method.toLowerCase(Locale.ROOT);
  }

  /** A member name as a JSON pointer token. */
  static String escape(String name) {
    return name.replace("~", "~0").replace("/", "~1");
  }

  /** The validator of the document's schemas: OpenAPI 3.0's dialect, errors located as JSON paths ($.field). */
  static SchemaRegistry registry(JsonNode document) {
    Dialect openApi30 = Dialect.builder(Dialects.getOpenApi30()).format(DURATION).build();
    return SchemaRegistry.withDialect(openApi30, builder -> builder
        .schemaRegistryConfig(SchemaRegistryConfig.builder().pathType(PathType.JSON_PATH).build())
        .schemas(Map.of(DOCUMENT, document.toString())));
  }

  /**
   * A duration is what {@link Duration#parse} reads, as the server writes them: the library's own
   * ISO-8601 pattern also takes years and months, which no duration of this API has.
   */
  static final Format DURATION = new Format() {
    @Override
    public String getName() {
      return "duration";
    }

    @Override
    public boolean matches(ExecutionContext context, String value) {
      try {
        Duration.parse(value);
        return true;
      } catch (DateTimeParseException e) {
        return false;
      }
    }
  };

  /** What {@code value} breaks of the schema at {@code pointer} in the document; each error says where. */
  static List<Error> validate(SchemaRegistry registry, String pointer, JsonNode value) {
    return registry.getSchema(SchemaLocation.of(DOCUMENT + "#" + pointer)).validate(value);
  }

  /**
   * The document with every object schema that names its members (a type object or properties)
   * and says nothing of others closed to them: JSON Schema lets an unnamed member through, and
   * here an answer with an undocumented field must fail. Examples, defaults and enums are values,
   * not schemas, and are left alone.
   */
  static JsonNode closed(JsonNode node) {
    if (node instanceof ObjectNode o) {
      boolean shaped = "object".equals(o.path("type").asText()) || o.path("properties").isObject();
      if (shaped && !o.has("additionalProperties")) o.put("additionalProperties", false);
      o.properties().forEach(e -> {
        if (!List.of("example", "default", "enum").contains(e.getKey())) closed(e.getValue());
      });
    } else if (node.isArray()) {
      node.forEach(OpenApiTest::closed);
    }
    return node;
  }
}

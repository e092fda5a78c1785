package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile requests generated from the OpenAPI document, against a real gateway: every documented
 * path (its parameters filled in, and left as raw {@code {templates}}) × every method, known or not
 * ({@code FOO}, {@code PROPFIND}, lower-case {@code get}, ...) × no / a wrong / the right key ×
 * bodies of the wrong content type, malformed or mistyped JSON, invalid UTF-8 and over the size
 * limit × bad query values; then malformed requests on a raw socket (bad percent-encoding, spaces
 * and braces in the target, garbled request lines, headers over the limits, bad Content-Length,
 * broken chunks, a TLS hello). Every answer that is not 2xx must be the API's JSON error
 * {@code {"error", "message"}}, none a 5xx, and a 405 must carry {@code Allow} with exactly the
 * methods the document gives that path.
 */
class HostileRequestsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
      "FOO", "PROPFIND", "get", "M-SEARCH");
  static final int MAX_BODY = 64 * 1024;

  static TestGateway gw;
  static String key;
  static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  /** What was seen: status → count, and the failures (each a line). */
  static final Map<Integer, Integer> statuses = new TreeMap<>();
  static final List<String> failures = new ArrayList<>();
  /** Failures by kind: 5xx, not the JSON error, 405 without Allow, Allow not as documented. */
  static final Map<String, Integer> kinds = new TreeMap<>();
  static int sent;
  static int allows;

  @BeforeAll
  static void start() {
    gw = new TestGateway("switchboard.gateway.max-body-size = 64 KiB");
    key = gw.tenant("t1", Map.of("displayName", "T1", "defaultTeam", "support", "verifyToken", "vt",
        "appSecret", "s3cret", "whatsappNumbers", Map.of("106540352242922", "support")));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  record Operation(String template, Set<String> methods) {}

  @Test
  void everyRefusalIsTheJsonErrorAndA405SaysWhatIsAllowed() throws Exception {
    JsonNode doc = JSON.readTree(gw.call("GET", "/v1/openapi.json", null, null).raw());
    List<Operation> operations = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = doc.get("paths").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> p = it.next();
      Set<String> methods = new TreeSet<>();
      p.getValue().fieldNames().forEachRemaining(m -> {
        if (List.of("get", "put", "post", "delete", "patch").contains(m)) methods.add(m.toUpperCase(Locale.ROOT));
      });
      operations.add(new Operation(p.getKey(), methods));
    }
    assertTrue(operations.size() > 20, "the document lists its paths");

    for (Operation op : operations) {
      String path = fill(op.template());
      for (String method : METHODS) {
        boolean documented = op.methods().contains(method);
        for (Map.Entry<String, String> auth : auths(op.template()).entrySet()) {
          check(op, method, path, auth.getValue(), null, null, "auth " + auth.getKey());
        }
        for (Map.Entry<String, Body> b : bodies().entrySet()) {
          check(op, method, path, keyFor(op.template()), b.getValue().contentType(), b.getValue().bytes(),
              "body " + b.getKey());
        }
        if (documented || method.equals("FOO")) {
          for (String query : List.of("limit=abc", "limit=-1", "offset=99999999999999999999", "status=BOGUS",
              "limit=1&limit=2", "team=%F0%9F", "hub.mode=subscribe&hub.verify_token=no&hub.challenge=1", "=&&=x")) {
            check(op, method, path + "?" + query, keyFor(op.template()), null, null, "query " + query);
          }
        }
      }
      // the template itself: braces are not allowed in a request target
      raw(op, "GET " + op.template() + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + "\r\n\r\n",
          "raw template");
    }
    rawCases();

    System.out.printf("HostileRequestsTest: %d requests, statuses %s, %d answers of 405 with Allow, %d failures %s%n",
        sent, statuses, allows, failures.size(), kinds);
    failures.stream().limit(40).forEach(f -> System.out.println("  " + f));
    assertEquals(List.of(), failures.stream().limit(40).toList(), failures.size() + " answers were not the JSON error");
    assertTrue(sent > 3000, "sent " + sent);
    assertTrue(allows > 100, "405s with Allow: " + allows);
    assertTrue(statuses.keySet().stream().noneMatch(s -> s >= 500), "5xx: " + statuses);
  }

  /** Request lines and headers no HTTP client library would send. */
  static void rawCases() throws IOException {
    Operation rules = new Operation("/v1/tenants/{tenant}/rules", Set.of("GET", "PUT"));
    Operation none = new Operation("-", Set.of());
    String auth = "Authorization: Bearer " + key + "\r\n";
    raw(rules, "FOO /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", "custom method");
    raw(rules, "GET /v1/tenants/t1/rules?x=%zz HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", "bad % in query");
    raw(none, "GET /v1/tenants/%zz/rules HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", "bad % in path");
    raw(none, "GET /v1/tenants/%/rules HTTP/1.1\r\nHost: x\r\n\r\n", "lone %");
    raw(none, "GET /v1/ten ants HTTP/1.1\r\nHost: x\r\n\r\n", "space in target");
    raw(none, "GET /v1/tenants/t1/rules HTTP/9.9\r\nHost: x\r\n\r\n", "protocol 9.9");
    raw(none, "GET /v1/tenants/t1/rules FOO/1.1\r\nHost: x\r\n\r\n", "not HTTP");
    raw(none, "G(T /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n\r\n", "method not a token");
    raw(none, "ABCDEFGHIJKLMNOPQRSTUVWXYZ /v1 HTTP/1.1\r\nHost: x\r\n\r\n", "method too long");
    raw(none, "GET /v1/tenants/t1/rules HTTP/1.1\r\n" + auth + "\r\n", "no Host");
    raw(none, "GET /v1/tenants/t1/rules HTTP/1.1\r\nHost: a b c\r\n\r\n", "bad Host");
    raw(none, "GET /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", "header without colon");
    raw(none, "GET /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n",
        "header value over the limit");
    raw(none, "GET /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n" + "X-H: 1\r\n".repeat(200) + "\r\n",
        "too many headers");
    raw(none, "GET /v1/" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "URI over the limit");
    raw(none, "GET /v1/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n", "NUL in target");
    raw(none, "PUT /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: abc\r\n\r\n",
        "Content-Length not a number");
    raw(none, "PUT /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n" + auth
        + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "two Content-Lengths");
    raw(none, "PUT /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\n"
        + "Content-Length: 99999999999\r\n\r\n{", "Content-Length over the server limit");
    raw(none, "PUT /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\n"
        + "Transfer-Encoding: bogus\r\n\r\n{}", "unknown Transfer-Encoding");
    raw(none, "PUT /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\n"
        + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", "bad chunk size");
    raw(none, "PUT /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\n"
        + "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n", "chunked and Content-Length");
    raw(none, "TRACE /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", "TRACE with a body");
    raw(none, "PUT /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\n"
        + "Content-Length: 1\r\nExpect: 100-continue-please\r\n\r\n{", "unknown Expect");
    raw(none, "PUT /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\n"
        + "Content-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope", "gzip that is not");
    raw(none, "PUT /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: \u00ff/\u00fe\r\n"
        + "Content-Length: 2\r\n\r\n{}", "Content-Type not a media type");
    raw(none, "GET /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\u0001\r\n\r\n",
        "Authorization with control characters");
    raw(none, "GET /v1/tenants/t1/rules HTTP/1.1\r\nHost: x\r\n" + auth + "Accept: text/html\r\n\r\n",
        "Accept text/html only");
    raw(none, "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003 HTTP/1.1\r\n\r\n", "TLS hello");
  }

  static String fill(String template) {
    return template.replace("{tenant}", template.startsWith("/v1/admin/") ? "t2" : "t1")
        .replace("{team}", "support").replace("{agent}", "a1").replace("{conversation}", "whatsapp:c1")
        .replace("{messageId}", "m1").replace("{keyId}", "nokey");
  }

  static String keyFor(String template) {
    return template.startsWith("/v1/admin/") ? TestGateway.ADMIN : key;
  }

  static Map<String, String> auths(String template) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("none", null);
    a.put("wrong key", "sb_t1.nokey.nosecret");
    a.put("right key", keyFor(template));
    return a;
  }

  record Body(String contentType, byte[] bytes) {}

  static Map<String, Body> bodies() {
    Map<String, Body> b = new LinkedHashMap<>();
    b.put("text/plain", new Body("text/plain", "hello".getBytes(StandardCharsets.UTF_8)));
    b.put("xml", new Body("application/xml", "<a/>".getBytes(StandardCharsets.UTF_8)));
    b.put("no content type", new Body(null, "{}".getBytes(StandardCharsets.UTF_8)));
    b.put("truncated JSON", json("{\"members\": ["));
    b.put("array", json("[1, 2]"));
    b.put("string", json("\"x\""));
    b.put("null", json("null"));
    b.put("unknown field", json("{\"zzz\": 1}"));
    b.put("wrong types", json("{\"members\": \"x\", \"strategy\": 7, \"capacity\": [], \"presence\": {}, "
        + "\"rules\": 1, \"text\": false, \"channel\": [\"x\"]}"));
    b.put("invalid UTF-8", new Body("application/json", new byte[] {'{', '"', (byte) 0xff, (byte) 0xfe, '"', '}'}));
    b.put("charset utf-16", new Body("application/json; charset=utf-16", "{}".getBytes(StandardCharsets.UTF_8)));
    byte[] huge = new byte[MAX_BODY + 1024];
    Arrays.fill(huge, (byte) ' ');
    huge[0] = '{';
    huge[huge.length - 1] = '}';
    b.put("over the size limit", new Body("application/json", huge));
    return b;
  }

  static Body json(String s) {
    return new Body("application/json", s.getBytes(StandardCharsets.UTF_8));
  }

  static void check(Operation op, String method, String path, String auth, String contentType, byte[] body,
      String what) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gw.base() + path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (auth != null) b.header("Authorization", "Bearer " + auth);
    if (contentType != null) b.header("Content-Type", contentType);
    HttpResponse<InputStream> r;
    try {
      r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      // a kept-alive connection the server closed after its last answer: the same request on a new one
      r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    }
    String text;
    try (InputStream in = r.body()) {
      // a 2xx may be an endless event stream: its body is not looked at
      text = r.statusCode() / 100 == 2 ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    judge(op, method, method + " " + path + " (" + what + ")", r.statusCode(),
        r.headers().firstValue("Content-Type").orElse(""), r.headers().firstValue("Allow").orElse(null), text);
  }

  static void judge(Operation op, String method, String where, int status, String contentType, String allow,
      String body) {
    sent++;
    int before = failures.size();
    judged(op, method, where, status, contentType, allow, body);
    if (failures.size() > before) {
      String last = failures.get(before);
      String kind = status >= 500 ? "5xx" : last.contains("Allow") ? "405 Allow" : "not the JSON error";
      kinds.merge(kind, 1, Integer::sum);
    }
  }

  static void judged(Operation op, String method, String where, int status, String contentType, String allow,
      String body) {
    statuses.merge(status, 1, Integer::sum);
    if (status >= 500) failures.add(where + ": " + status + " " + body);
    if (status / 100 == 2) return;
    if (!method.equals("HEAD")) {
      if (!contentType.startsWith("application/json")) {
        failures.add(where + ": " + status + " as " + contentType + ": " + body);
        return;
      }
      try {
        JsonNode json = JSON.readTree(body);
        if (json == null || !json.path("error").isTextual() || !json.path("message").isTextual()
            || json.path("error").asText().isEmpty() || json.path("message").asText().isEmpty()) {
          failures.add(where + ": " + status + " without error and message: " + body);
        }
      } catch (IOException e) {
        failures.add(where + ": " + status + " not JSON: " + body);
      }
    }
    if (status == 405) {
      if (allow == null) {
        failures.add(where + ": 405 without Allow");
      } else {
        allows++;
        Set<String> allowed = Arrays.stream(allow.split(",")).map(String::trim).collect(Collectors.toCollection(TreeSet::new));
        if (!op.methods().isEmpty() && !allowed.equals(op.methods())) {
          failures.add(where + ": Allow " + allowed + ", the document says " + op.methods());
        }
        if (allowed.contains(method)) failures.add(where + ": 405 for a method its Allow lists");
      }
    }
  }

  /** One request written byte for byte (ISO-8859-1) on a fresh connection; the answer read until its end. */
  static void raw(Operation op, String request, String what) throws IOException {
    try (Socket s = new Socket("127.0.0.1", gw.gateway.port())) {
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) >= 0) {
        head.write(c);
        byte[] h = head.toByteArray();
        int n = h.length;
        if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') break;
      }
      String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
      if (lines.length == 0 || !lines[0].startsWith("HTTP/1.1 ")) {
        sent++;
        failures.add("raw " + what + ": no answer (" + head.toString(StandardCharsets.ISO_8859_1) + ")");
        return;
      }
      int status = Integer.parseInt(lines[0].substring(9, 12));
      String contentType = "";
      String allow = null;
      int length = 0;
      for (String line : lines) {
        String lower = line.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-type:")) contentType = line.substring(13).trim();
        if (lower.startsWith("allow:")) allow = line.substring(6).trim();
        if (lower.startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
      }
      byte[] body = in.readNBytes(length);
      String method = request.substring(0, Math.max(0, request.indexOf(' ')));
      judge(op, method, "raw " + what, status, contentType, allow, new String(body, StandardCharsets.UTF_8));
    } catch (SocketTimeoutException e) {
      sent++;
      failures.add("raw " + what + ": no answer within 15 s");
    }
  }
}

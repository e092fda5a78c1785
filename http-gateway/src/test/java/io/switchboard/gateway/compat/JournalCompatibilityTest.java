package io.switchboard.gateway.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.switchboard.gateway.TestGateway;
import io.switchboard.persistence.Store;
import io.switchboard.persistence.StoreSettings;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A store written by an earlier version, replayed by this one: the journal and snapshots that
 * {@link WriteCompatFixture} wrote at the commit named by the fixture's directory are loaded into a
 * fresh H2 and a fresh PostgreSQL store, a node starts on each, and every view of the tenant answers
 * what it answered before the stop (the read models are rebuilt from the events on the way). A change
 * to an event's or a snapshot's stored shape that this version cannot read fails here.
 */
class JournalCompatibilityTest {
  /** Fixtures, oldest first: each was written by the code of the commit it is named after. */
  static final List<String> FIXTURES = List.of("801085c", "b8445bb");
  /**
   * Fields that depend on the instant they are read (a WhatsApp customer service window is open for 24 h
   * after the contact's last message), left out of the comparison.
   */
  static final List<String> DERIVED_FROM_NOW = List.of("serviceWindowOpen");
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aStoreWrittenByAnEarlierVersionRecoversWithEveryViewAsBefore(String kind) throws Exception {
    for (String fixture : FIXTURES) {
      JsonNode dump = resource(fixture, "store.json");
      JsonNode expected = resource(fixture, "views.json");
      Path h2 = Files.createTempDirectory("compat");
      String schema = "compat_" + Long.toUnsignedString(System.nanoTime(), 36);
      String url = System.getenv().getOrDefault("SWITCHBOARD_TEST_PG_URL",
          "jdbc:postgresql://127.0.0.1:5432/switchboard_test");
      String config = kind.equals("h2")
          ? "switchboard.persistence.h2.dir = \"" + h2.toString().replace("\\", "/") + "\""
          : """
            switchboard.persistence.store = postgres
            switchboard.persistence.postgres.url = "%s"
            switchboard.persistence.postgres.schema = "%s"
            """.formatted(url, schema);
      StoreSettings store = StoreSettings.from(ConfigFactory.parseString(config + (kind.equals("h2")
          ? "\nswitchboard.persistence.store = h2" : "")).withFallback(ConfigFactory.load()));
      try {
        Store.createSchema(store);
        StoreDump.load(store, dump);
        try (TestGateway gw = new TestGateway(config)) {
          Map<String, JsonNode> want = new LinkedHashMap<>();
          expected.get("views").fields().forEachRemaining(e -> want.put(e.getKey(), comparable(e.getValue())));
          String key = expected.get("apiKey").asText();
          Map<String, JsonNode>[] got = new Map[1];
          try {
            TestProbe.create(gw.gateway.system()).awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(250), () -> {
              got[0] = withoutFieldsAddedSince(comparableViews(gw, key), want);
              assertEquals(want, got[0]);
              return null;
            });
          } catch (AssertionError e) {
            throw new AssertionError("fixture " + fixture + " on " + kind + ": views differ: " + differences(want, got[0]),
                e);
          }
        }
      } finally {
        if (kind.equals("postgres")) {
          try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
          }
        }
      }
    }
  }

  /** The views once the read models have caught up: two reads a second apart that agree. */
  static Map<String, JsonNode> settled(TestGateway gw, String key) {
    Map<String, JsonNode>[] last = new Map[] {CompatScenario.views(gw, key)};
    TestProbe.create(gw.gateway.system()).awaitAssert(Duration.ofSeconds(60), Duration.ofSeconds(1), () -> {
      Map<String, JsonNode> now = CompatScenario.views(gw, key);
      boolean same = now.equals(last[0]);
      last[0] = now;
      if (!same) throw new AssertionError("read models still moving");
      return null;
    });
    return last[0];
  }

  private static Map<String, JsonNode> comparableViews(TestGateway gw, String key) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    CompatScenario.views(gw, key).forEach((k, v) -> out.put(k, comparable(v)));
    return out;
  }

  /**
   * The views without the fields that the earlier version did not have and that hold nothing (null, an empty list
   * or object: an agent's {@code wrapUps}): fields added since, not a change of what was stored.
   */
  private static Map<String, JsonNode> withoutFieldsAddedSince(Map<String, JsonNode> got, Map<String, JsonNode> want) {
    got.forEach((path, view) -> dropEmptyAdded(view, want.get(path)));
    return got;
  }

  private static void dropEmptyAdded(JsonNode now, JsonNode before) {
    if (before == null) return;
    if (now instanceof ObjectNode o) {
      List<String> added = new ArrayList<>();
      o.fieldNames().forEachRemaining(f -> {
        JsonNode v = o.get(f);
        if (!before.has(f) && (v.isNull() || (v.isContainerNode() && v.isEmpty()))) added.add(f);
      });
      added.forEach(o::remove);
      o.fieldNames().forEachRemaining(f -> dropEmptyAdded(o.get(f), before.get(f)));
    } else if (now.isArray() && before.isArray()) {
      for (int i = 0; i < now.size() && i < before.size(); i++) dropEmptyAdded(now.get(i), before.get(i));
    }
  }

  private static JsonNode comparable(JsonNode view) {
    JsonNode copy = view.deepCopy();
    strip(copy);
    return copy;
  }

  private static void strip(JsonNode node) {
    if (node instanceof ObjectNode o) {
      DERIVED_FROM_NOW.forEach(o::remove);
      // a team lists its members' status in the order their reports reached it, which a recovery reshuffles
      if (o.get("memberStatus") instanceof com.fasterxml.jackson.databind.node.ArrayNode members) {
        List<JsonNode> sorted = new ArrayList<>();
        members.forEach(sorted::add);
        sorted.sort(java.util.Comparator.comparing(m -> m.path("agent").asText()));
        members.removeAll();
        sorted.forEach(members::add);
      }
    }
    for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) strip(it.next());
  }

  private static String differences(Map<String, JsonNode> want, Map<String, JsonNode> got) {
    if (got == null) return "nothing read";
    List<String> out = new ArrayList<>();
    want.forEach((path, w) -> {
      JsonNode g = got.get(path);
      if (!w.equals(g)) out.add("\n  " + path + "\n    before: " + w + "\n    now:    " + g);
    });
    return String.join("", out);
  }

  private static JsonNode resource(String fixture, String name) throws Exception {
    try (InputStream in = JournalCompatibilityTest.class.getResourceAsStream("/compat/" + fixture + "/" + name)) {
      if (in == null) throw new IllegalStateException("fixture missing: compat/" + fixture + "/" + name);
      return JSON.readTree(in);
    }
  }
}

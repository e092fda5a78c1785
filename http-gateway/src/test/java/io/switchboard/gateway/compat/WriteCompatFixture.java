package io.switchboard.gateway.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.switchboard.gateway.TestGateway;
import io.switchboard.persistence.StoreSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the store {@link JournalCompatibilityTest} replays: runs {@link CompatScenario} on a fresh H2
 * store with snapshots every 3 events (so that snapshots of every entity are in it too), reads every
 * view, stops the node gracefully and dumps the journal's tables. Run once per version whose stored
 * data must stay readable, and commit what it writes:
 *
 * <pre>
 * mvn -q -pl http-gateway -am test -Dtest=WriteCompatFixture -Dsurefire.failIfNoSpecifiedTests=false \
 *   -Dcompat.write=src/test/resources/compat/&lt;commit&gt;
 * </pre>
 * (a test only so that it runs on the test classpath; without {@code compat.write} it is skipped).
 */
class WriteCompatFixture {
  @Test
  @EnabledIfSystemProperty(named = "compat.write", matches = ".+")
  void write() throws Exception {
    Path out = Path.of(System.getProperty("compat.write"));
    Path h2 = Files.createTempDirectory("compat-fixture");
    String config = """
        switchboard.persistence.h2.dir = "%s"
        switchboard.core.snapshot-every = 3
        switchboard.core.agent-snapshot-every = 3
        """.formatted(h2.toString().replace("\\", "/"));
    Map<String, JsonNode> views;
    String key;
    try (TestGateway gw = new TestGateway(config)) {
      key = new CompatScenario(gw).run();
      views = JournalCompatibilityTest.settled(gw, key);
    }
    StoreSettings store = StoreSettings.from(ConfigFactory.parseString(config + "\nswitchboard.persistence.store = h2")
        .withFallback(ConfigFactory.load()));
    ObjectNode dump = StoreDump.dump(store);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode expected = json.createObjectNode();
    expected.put("apiKey", key);
    ObjectNode v = expected.putObject("views");
    views.forEach(v::set);
    Files.createDirectories(out);
    json.writeValue(out.resolve("store.json").toFile(), dump);
    json.writeValue(out.resolve("views.json").toFile(), expected);
    System.out.printf("wrote %s: %d events, %d snapshots, %d views%n", out, dump.get("event_journal").get("rows").size(),
        dump.get("snapshot").get("rows").size(), views.size());
  }
}

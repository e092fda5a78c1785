package io.switchboard.routing.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Rules and decisions go into entity events: they must survive Pekko's own jackson-cbor serializer. */
class RulesSerializationTest {
  private static final ActorTestKit kit = ActorTestKit.create();
  private static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));

  @AfterAll
  static void close() {
    kit.shutdownTestKit();
  }

  private static Object roundTrip(Object value) {
    Serializer serializer = serialization.findSerializerFor(value);
    assertTrue(serializer.getClass().getSimpleName().contains("Cbor"), () -> value.getClass() + " uses " + serializer);
    byte[] bytes = serializer.toBinary(value);
    String manifest = Serializers.manifestFor(serializer, value);
    return serialization.deserialize(bytes, serializer.identifier(), manifest).get();
  }

  @Test
  void everyExampleAndItsDecisionsSurviveTheJournalSerializer() {
    List<Object> values = new ArrayList<>();
    for (Path file : ExampleRulesTest.files()) {
      RoutingRules rules = ExampleRulesTest.load(file.getFileName().toString());
      values.add(rules);
      for (Rule rule : rules.rules()) {
        values.add(rule);
        Action decisive = rule.decisive();
        if (decisive instanceof Question q) {
          values.add(new Decision.Ask(rule.name(), q, 1, Map.of("a", "b"), Set.of("t"), "why"));
        } else if (decisive instanceof CrmLookup l) {
          values.add(new Decision.Lookup(rule.name(), l, 1, Map.of(), Set.of(), "why"));
        } else {
          values.add(new Decision.Route(rule.name(), (Action.Terminal) decisive, 2, Map.of(), Set.of("x"), "why"));
        }
      }
    }
    values.add(new Decision.Unrouted("no rules"));
    for (Object v : values) {
      assertEquals(v, roundTrip(v));
    }
  }
}

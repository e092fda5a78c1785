package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.switchboard.routing.StrategyKind;
import io.switchboard.routing.rules.RoutingRules;
import io.switchboard.routing.rules.RulesValidator;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Fixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The reference scenarios that need time to pass, through the entities on a manual clock, each
 * with its example file from {@code examples/rules/} (the gateway's scenario tests cover the others
 * end to end through HTTP).
 */
class RuleScenariosTest {
  static final Fixture f = new Fixture();
  static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

  @AfterAll
  static void close() {
    f.close();
  }

  static RoutingRules example(String name, String... teams) throws Exception {
    RoutingRules r = JSON.readValue(Files.readString(Path.of("..", "examples", "rules", name)), RoutingRules.class);
    assertEquals(List.of(), RulesValidator.validate(r, Set.of(teams), null), name);
    return r;
  }

  static void inbound(String conv, String id, String text, RoutingRules rules) {
    assertTrue(f.ask(r -> f.directory.conversation(conv, new Conversation.Inbound(id, text, null, null, rules, null,
        r))).ok());
  }

  @Test
  void scenario01RoundRobinWithAFiveMinuteReplyWindowMovesASilentAgentsConversationToTheNextAgent() throws Exception {
    RoutingRules rules = example("01-round-robin.json", "sales");
    f.onlineAgent("sc1/ann", 3);
    f.onlineAgent("sc1/bob", 3);
    f.configure("sc1/sales", TeamConfig.of(List.of("sc1/ann", "sc1/bob"), StrategyKind.ROUND_ROBIN,
        Duration.ofMinutes(5)));
    f.awaitOnline("sc1/sales", "sc1/ann", "sc1/bob");
    String c = Fixture.conv("sc1", "1");
    inbound(c, "m1", "hello", rules);
    f.awaitAssigned(c, "sc1/ann");
    f.advance(Duration.ofMinutes(5).minusSeconds(1));
    assertEquals("sc1/ann", f.conversation(c).state().agentId());
    f.advance(Duration.ofSeconds(1));
    f.awaitAssigned(c, "sc1/bob"); // SleekFlow's "idle chat reroute"
  }

  @Test
  void scenario02AnUnansweredMenuIsAskedAgainAtItsTimeout() throws Exception {
    RoutingRules rules = example("02-skill-menu.json", "residential", "commercial", "luxury", "sales");
    for (String t : List.of("residential", "commercial", "luxury", "sales")) {
      f.onlineAgent("sc2/" + t + "-agent", 3);
      f.configure("sc2/" + t, TeamConfig.of(List.of("sc2/" + t + "-agent"), StrategyKind.ROUND_ROBIN, Duration.ZERO));
    }
    String c = Fixture.conv("sc2", "1");
    inbound(c, "m1", "hi", rules);
    f.awaitStatus(c, Conversation.Status.ROUTING);
    f.eventually(() -> assertEquals(1, f.ports.sentTo(c).size()));
    Duration timeout = f.conversation(c).state().pending().question().timeout();
    f.advance(timeout);
    f.eventually(() -> assertEquals(2, f.ports.sentTo(c).size()));
    assertEquals(2, f.conversation(c).state().pending().attempt());
    inbound(c, "m2", "Commercial", rules);
    f.awaitAssigned(c, "sc2/commercial-agent");
  }

  @Test
  void scenario06TheSameMessageAtNineAndAtTenInTheEveningGoesToTheDayAndTheNightTeam() throws Exception {
    RoutingRules rules = example("06-shifts.json", "day", "night");
    f.onlineAgent("sc6/dia", 10);
    f.onlineAgent("sc6/noa", 10);
    f.configure("sc6/day", TeamConfig.of(List.of("sc6/dia"), StrategyKind.ROUND_ROBIN, Duration.ZERO));
    f.configure("sc6/night", TeamConfig.of(List.of("sc6/noa"), StrategyKind.ROUND_ROBIN, Duration.ZERO));
    f.awaitOnline("sc6/day", "sc6/dia");
    f.awaitOnline("sc6/night", "sc6/noa");
    ZoneId zone = ZoneId.of("America/Sao_Paulo");

    f.advance(untilLocal(LocalTime.of(9, 0), zone));
    String morning = Fixture.conv("sc6", "morning");
    inbound(morning, "m1", "I have a question", rules);
    f.awaitAssigned(morning, "sc6/dia");

    f.advance(untilLocal(LocalTime.of(22, 0), zone));
    String evening = Fixture.conv("sc6", "evening");
    inbound(evening, "m2", "I have a question", rules);
    f.awaitAssigned(evening, "sc6/noa");
    assertTrue(f.conversation(evening).state().round().routedBy().contains("night-shift"),
        f.conversation(evening).state().round().routedBy());
  }

  /** From the manual clock's now to the next {@code at} local time in {@code zone}. */
  private static Duration untilLocal(LocalTime at, ZoneId zone) {
    Instant now = f.clock.instant();
    ZonedDateTime local = now.atZone(zone);
    ZonedDateTime next = local.with(at);
    if (!next.isAfter(local)) next = next.plusDays(1);
    return Duration.between(now, next.toInstant());
  }
}

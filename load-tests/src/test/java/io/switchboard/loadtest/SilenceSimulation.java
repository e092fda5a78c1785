package io.switchboard.loadtest;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jmesPath;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;
import static io.switchboard.loadtest.LoadSettings.DURATION;
import static io.switchboard.loadtest.LoadSettings.RATE;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.List;

/**
 * Agents who never answer: {@code rate} new conversations per second go to the team
 * {@code silent} (webchat through the generic endpoint, or WhatsApp to its phone number id), whose
 * agents ({@code s001 ..} in run.sh's bootstrap) never reply within its 2-second reply window. Each
 * conversation must move by itself: assigned, taken away when the window lapses, re-routed once,
 * lapsed again, escalated to the supervisor {@code sup}; the simulation watches it through
 * {@code GET conversation} until ESCALATED (within 30 s), checks that it was re-routed and sits
 * with the supervisor, who then claims and resolves it. Fewer than 1 % may fail.
 */
public class SilenceSimulation extends Simulation {
  private static final Duration ESCALATED_WITHIN = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofMillis(1500);

  private final ScenarioBuilder contacts = scenario("silence: nobody answers")
      .randomSwitch().on(
          percent(50.0).then(exec(Steps.newContact(Steps.WEBCHAT))
              .exec(Steps.inboundGeneric("inbound to silent team (generic)", LoadSettings.TEAM_SILENT))),
          percent(50.0).then(exec(Steps.newContact(Steps.WHATSAPP))
              .exec(Steps.inboundWhatsApp("inbound to silent team (WhatsApp)", LoadSettings.NUMBER_SILENT))))
      .exec(Steps.awaitStatus("ESCALATED", ESCALATED_WITHIN, POLL))
      .exec(http("escalated: re-routed first, now with the supervisor").get(Steps::conversationPath)
          .check(status().is(200), jmesPath("status").is("ESCALATED"), jmesPath("reroutes").ofInt().gte(1),
              jmesPath("escalatedTo").is(LoadSettings.SUPERVISOR), jmesPath("team").is(LoadSettings.TEAM_SILENT)))
      .exec(Steps.claim("supervisor claims", s -> LoadSettings.SUPERVISOR))
      .exec(Steps.resolve("supervisor resolves", s -> LoadSettings.SUPERVISOR));

  {
    LoadSettings.requireApiKey();
    setUp(Steps.withStopper(List.of(contacts.injectOpen(constantUsersPerSec(RATE).during(DURATION)))))
        .protocols(Steps.protocol())
        .assertions(global().failedRequests().percent().lt(1.0));
  }
}

package io.switchboard.loadtest;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.switchboard.loadtest.LoadSettings.BATCH;
import static io.switchboard.loadtest.LoadSettings.DURATION;
import static io.switchboard.loadtest.LoadSettings.RATE;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An inbound storm: {@code rate} new conversations per second (each a contact never seen before),
 * open model, for {@code duration} seconds. Half come through the generic endpoint (one POST each,
 * to the default team {@code support}); half as signed WhatsApp webhooks carrying {@code batch}
 * contacts' messages per POST (to {@code sales} by phone number id). One generic conversation in
 * ten is then watched until it is ASSIGNED (within 10 s). Agents are online with room (run.sh's
 * bootstrap), so every conversation is assigned; nothing may fail.
 */
public class InboundStormSimulation extends Simulation {

  private final ScenarioBuilder generic = scenario("storm: generic inbound")
      .exec(Steps.newContact(Steps.WEBCHAT))
      .exec(Steps.inboundGeneric("inbound (generic)", null))
      .randomSwitch().on(percent(10.0).then(
          exec(Steps.awaitStatus("ASSIGNED", Duration.ofSeconds(10), Duration.ofMillis(200)))));

  private final ScenarioBuilder whatsapp = scenario("storm: WhatsApp webhook batches")
      .exec(s -> {
        List<WhatsApp.Message> batch = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
          batch.add(new WhatsApp.Message(LoadSettings.newContact(), LoadSettings.newMessageId(),
              "hello from a storm, message " + i));
        }
        String body = WhatsApp.body(LoadSettings.NUMBER_SALES, batch);
        return s.set("waBody", body).set("waSig", WhatsApp.signature(LoadSettings.APP_SECRET, body));
      })
      .exec(Steps.webhook("inbound (WhatsApp webhook, " + BATCH + " messages)", BATCH));

  {
    LoadSettings.requireApiKey();
    setUp(Steps.withStopper(List.of(
            generic.injectOpen(constantUsersPerSec(RATE / 2).during(DURATION)),
            whatsapp.injectOpen(constantUsersPerSec(RATE / 2 / BATCH).during(DURATION)))))
        .protocols(Steps.protocol())
        .assertions(global().failedRequests().count().is(0L));
  }
}

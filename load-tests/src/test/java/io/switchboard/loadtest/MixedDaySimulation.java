package io.switchboard.loadtest;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.doIfEqualsOrElse;
import static io.gatling.javaapi.core.CoreDsl.during;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jmesPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;
import static io.switchboard.loadtest.LoadSettings.AGENTS;
import static io.switchboard.loadtest.LoadSettings.DURATION;
import static io.switchboard.loadtest.LoadSettings.RATE;
import static io.switchboard.loadtest.LoadSettings.tenantPath;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A working day, all at once for {@code duration} seconds, at {@code rate} new conversations per
 * second:
 * <ul>
 *   <li>80 %: a contact writes (webchat through the generic endpoint to {@code support}, or WhatsApp
 *       to {@code sales}), is ASSIGNED, its agent replies, the contact writes again; one in four is
 *       transferred to the other team (and answered there); the agent resolves; three in ten
 *       contacts come back later (a new episode: assigned, answered, resolved again).
 *   <li>20 %: a contact writes to the {@code pool} team (manual: nobody is assigned), an agent
 *       claims the conversation, replies and resolves it.
 *   <li>A quarter of the agents ({@code a001 ..}) keep going AWAY or OFFLINE for 2-8 s and back
 *       ONLINE (within the offline grace, so they keep their work); claims come from the others.
 * </ul>
 * Replies go out through the channel connector (run.sh starts a stub). Fewer than 1 % may fail.
 */
public class MixedDaySimulation extends Simulation {
  private static final int CHURNING = Math.max(1, AGENTS / 4);
  private static final AtomicInteger NEXT_CHURNER = new AtomicInteger();

  private static String otherTeam(Session s) {
    return Steps.WEBCHAT.equals(s.getString("channel")) ? LoadSettings.TEAM_SALES : LoadSettings.TEAM_SUPPORT;
  }

  /** An agent that never churns, so its claims are not refused as offline. */
  private static String steadyAgent(Session s) {
    if (AGENTS <= CHURNING) return LoadSettings.SUPERVISOR;
    return LoadSettings.agent(ThreadLocalRandom.current().nextInt(CHURNING + 1, AGENTS + 1));
  }

  /** The session's contact writes again on its own channel. */
  private static ChainBuilder writeAgain(String name) {
    return doIfWebchat(Steps.inboundGeneric(name + " (generic)", null),
        Steps.inboundWhatsApp(name + " (WhatsApp)", LoadSettings.NUMBER_SALES));
  }

  private static ChainBuilder doIfWebchat(ChainBuilder webchat, ChainBuilder whatsapp) {
    return doIfEqualsOrElse(s -> s.getString("channel"), s -> Steps.WEBCHAT).then(webchat).orElse(whatsapp);
  }

  private static final Duration ASSIGN_WITHIN = Duration.ofSeconds(15);
  private static final Duration POLL = Duration.ofMillis(300);

  private final ScenarioBuilder contacts = scenario("mixed: contact's conversation")
      .randomSwitch().on(
          percent(50.0).then(exec(Steps.newContact(Steps.WEBCHAT)).exec(Steps.inboundGeneric("inbound (generic)", null))),
          percent(50.0).then(exec(Steps.newContact(Steps.WHATSAPP))
              .exec(Steps.inboundWhatsApp("inbound (WhatsApp)", LoadSettings.NUMBER_SALES))))
      .exec(Steps.awaitStatus("ASSIGNED", ASSIGN_WITHIN, POLL))
      .pause(Duration.ofSeconds(1), Duration.ofSeconds(3))
      .exec(Steps.reply("reply"))
      .pause(Duration.ofSeconds(1), Duration.ofSeconds(2))
      .exec(writeAgain("contact writes again"))
      .pause(Duration.ofSeconds(1), Duration.ofSeconds(3))
      .randomSwitch().on(percent(25.0).then(
          exec(http("transfer to the other team").post(s -> Steps.conversationPath(s) + "/transfer")
              .body(StringBody(s -> "{\"toTeam\":\"" + otherTeam(s) + "\",\"requestedBy\":\"" + s.getString("agent")
                  + "\"}"))
              .check(status().is(200), jmesPath("team").is(MixedDaySimulation::otherTeam)))
              .exec(Steps.awaitStatus("ASSIGNED", ASSIGN_WITHIN, POLL))
              .pause(Duration.ofMillis(500), Duration.ofSeconds(2))
              .exec(Steps.reply("reply after transfer"))))
      .pause(Duration.ofMillis(500), Duration.ofSeconds(2))
      .exec(Steps.resolve("resolve", s -> s.getString("agent")))
      .randomSwitch().on(percent(30.0).then(
          pause(Duration.ofSeconds(2), Duration.ofSeconds(5))
              .exec(writeAgain("returning contact writes"))
              .exec(Steps.awaitStatus("ASSIGNED", ASSIGN_WITHIN, POLL))
              .pause(Duration.ofMillis(500), Duration.ofSeconds(2))
              .exec(Steps.reply("reply to returning contact"))
              .pause(Duration.ofMillis(500), Duration.ofSeconds(2))
              .exec(Steps.resolve("resolve returning contact", s -> s.getString("agent")))));

  private final ScenarioBuilder pool = scenario("mixed: pool and claims")
      .exec(Steps.newContact(Steps.WEBCHAT))
      .exec(Steps.inboundGeneric("inbound to the pool (generic)", LoadSettings.TEAM_POOL))
      .pause(Duration.ofMillis(500), Duration.ofSeconds(2))
      .exec(Steps.claim("claim from the pool", MixedDaySimulation::steadyAgent))
      .pause(Duration.ofMillis(500), Duration.ofSeconds(2))
      .exec(Steps.reply("reply to claimed"))
      .pause(Duration.ofMillis(500), Duration.ofSeconds(2))
      .exec(Steps.resolve("resolve claimed", s -> s.getString("agent")));

  private static ChainBuilder presence(String name, String key) {
    return exec(http(name).put(s -> tenantPath() + "/agents/" + s.getString("churner") + "/presence")
        .body(StringBody(s -> "{\"presence\":\"" + s.getString(key) + "\"}"))
        .check(status().is(200), jmesPath("presence").is(s -> s.getString(key))));
  }

  /** One virtual user per churning agent, so no two change the same agent's presence at once. */
  private final ScenarioBuilder churn = scenario("mixed: agents away and back")
      .exec(s -> s.set("churner", LoadSettings.agent(NEXT_CHURNER.incrementAndGet())).set("online", "ONLINE"))
      .exec(during(DURATION).on(
          pause(Duration.ofSeconds(3), Duration.ofSeconds(12))
              .exec(s -> s.set("away", ThreadLocalRandom.current().nextBoolean() ? "AWAY" : "OFFLINE"))
              .exec(presence("agent goes away or offline", "away"))
              .pause(Duration.ofSeconds(2), Duration.ofSeconds(8))
              .exec(presence("agent back online", "online"))));

  {
    LoadSettings.requireApiKey();
    setUp(Steps.withStopper(List.of(
            contacts.injectOpen(constantUsersPerSec(RATE * 0.8).during(DURATION)),
            pool.injectOpen(constantUsersPerSec(RATE * 0.2).during(DURATION)),
            churn.injectOpen(atOnceUsers(CHURNING)))))
        .protocols(Steps.protocol())
        .assertions(global().failedRequests().percent().lt(1.0));
  }
}

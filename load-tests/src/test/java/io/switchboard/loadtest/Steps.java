package io.switchboard.loadtest;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.during;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jmesPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.core.CoreDsl.stopLoadGeneratorIf;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;
import static io.switchboard.loadtest.LoadSettings.APP_SECRET;
import static io.switchboard.loadtest.LoadSettings.tenantPath;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Requests and chains the simulations share. Session keys: {@code contact}, {@code channel},
 * {@code conv} (the conversation's key, {@code channel:contact}), {@code agent} (its agent, once
 * seen), {@code convStatus} (its status at the last look).
 */
final class Steps {
  private Steps() {}

  static final String WEBCHAT = "webchat";
  static final String WHATSAPP = "whatsapp";

  /** JSON in and out, the tenant's key on every call; connections shared like a connector's pool. */
  static HttpProtocolBuilder protocol() {
    return http.baseUrl(LoadSettings.BASE_URL)
        .acceptHeader("application/json")
        .contentTypeHeader("application/json")
        .authorizationHeader("Bearer " + LoadSettings.API_KEY)
        .userAgentHeader("switchboard-load/gatling")
        .shareConnections();
  }

  /** A contact nobody used before, on {@code channel}. */
  static ChainBuilder newContact(String channel) {
    return exec(s -> {
      String contact = LoadSettings.newContact();
      return s.set("contact", contact).set("channel", channel).set("conv", channel + ":" + contact)
          .remove("agent").set("convStatus", "");
    });
  }

  static String conversationPath(Session s) {
    return tenantPath() + "/conversations/" + s.getString("conv");
  }

  /**
   * The session's contact writes through the generic endpoint ({@code team} null: the tenant's
   * default team); 202 {@code accepted} for this conversation.
   */
  static ChainBuilder inboundGeneric(String name, String team) {
    return exec(http(name).post(tenantPath() + "/messages")
        .body(StringBody(s -> "{\"channel\":\"" + s.getString("channel") + "\",\"contact\":\"" + s.getString("contact")
            + "\",\"messageId\":\"" + LoadSettings.newMessageId() + "\",\"text\":\"hello, I need help with order "
            + s.userId() + "\",\"timestamp\":\"" + Instant.now() + "\""
            + (team == null ? "" : ",\"team\":\"" + team + "\"") + "}"))
        .check(status().is(202), jmesPath("status").is("accepted"), jmesPath("conversation").is(s -> s.getString("conv"))));
  }

  /** The session's contact writes one WhatsApp message to {@code phoneNumberId}: a signed webhook, 200, 1 accepted. */
  static ChainBuilder inboundWhatsApp(String name, String phoneNumberId) {
    return exec(s -> {
      String body = WhatsApp.body(phoneNumberId, List.of(new WhatsApp.Message(s.getString("contact"),
          LoadSettings.newMessageId(), "hi, is anyone there? " + s.userId())));
      return s.set("waBody", body).set("waSig", WhatsApp.signature(APP_SECRET, body));
    }).exec(webhook(name, 1));
  }

  /** POSTs the session's {@code waBody} signed with {@code waSig}; every one of {@code messages} accepted. */
  static ChainBuilder webhook(String name, int messages) {
    return exec(http(name).post("/v1/webhooks/whatsapp/" + LoadSettings.TENANT)
        .header("X-Hub-Signature-256", s -> s.getString("waSig"))
        .body(StringBody(s -> s.getString("waBody")))
        .check(status().is(200), jmesPath("accepted").ofInt().is(messages), jmesPath("duplicates").ofInt().is(0),
            jmesPath("length(refused)").ofInt().is(0)));
  }

  /**
   * Looks at the conversation every {@code every} until its status is {@code wanted} (saving
   * {@code agent} and {@code convStatus} on the way), for at most {@code within}. If it never gets
   * there, one more request named after the expectation fails, so that the run counts it; the
   * virtual user then stops.
   */
  static ChainBuilder awaitStatus(String wanted, Duration within, Duration every) {
    return exec(s -> s.set("convStatus", "").remove("agent"))
        .asLongAsDuring(s -> !wanted.equals(s.getString("convStatus")), within).on(
            pause(every).exec(http("GET conversation (polling)").get(Steps::conversationPath)
                .check(status().is(200), jmesPath("conversation").is(s -> s.getString("conv")),
                    jmesPath("status").saveAs("convStatus"), jmesPath("agent").optional().saveAs("agent"))))
        .doIf(s -> !wanted.equals(s.getString("convStatus"))).then(
            exec(http("conversation reaches " + wanted + " within " + within.toSeconds() + " s")
                .get(Steps::conversationPath)
                .check(status().is(200), jmesPath("status").is(wanted).saveAs("convStatus"),
                    jmesPath("agent").optional().saveAs("agent"))))
        .exitHereIf(s -> !wanted.equals(s.getString("convStatus")));
  }

  /** The conversation's agent answers; 202 once the channel connector took it. */
  static ChainBuilder reply(String name) {
    return exec(http(name).post(s -> conversationPath(s) + "/replies")
        .body(StringBody(s -> "{\"agent\":\"" + s.getString("agent") + "\",\"text\":\"" + s.getString("agent")
            + " here, let me check that for you.\"}"))
        .check(status().is(202), jmesPath("status").is("sent"), jmesPath("conversation").is(s -> s.getString("conv"))));
  }

  /** {@code by} (an agent of the tenant) resolves the conversation; 200 with the RESOLVED view. */
  static ChainBuilder resolve(String name, Function<Session, String> by) {
    return exec(http(name).post(s -> conversationPath(s) + "/resolve")
        .body(StringBody(s -> "{\"requestedBy\":\"" + by.apply(s) + "\"}"))
        .check(status().is(200), jmesPath("status").is("RESOLVED"), jmesPath("conversation").is(s -> s.getString("conv"))));
  }

  /** {@code agent} claims the session's conversation: 200 {@code claimed}. */
  static ChainBuilder claim(String name, Function<Session, String> agent) {
    return exec(s -> s.set("agent", agent.apply(s)))
        .exec(http(name).post(s -> tenantPath() + "/agents/" + s.getString("agent") + "/claims")
            .body(StringBody(s -> "{\"conversation\":\"" + s.getString("conv") + "\"}"))
            .check(status().is(200), jmesPath("status").is("claimed"), jmesPath("conversation").is(s -> s.getString("conv"))));
  }

  /**
   * When run.sh warms up with {@code -DstopFile}: one more virtual user that ends the run
   * gracefully soon after the file appears (run.sh creates it once the server's JIT is quiet).
   */
  static Optional<PopulationBuilder> warmUpStopper() {
    if (LoadSettings.STOP_FILE.isEmpty()) return Optional.empty();
    Path file = Path.of(LoadSettings.STOP_FILE);
    return Optional.of(scenario("warm-up stopper").exec(during(LoadSettings.DURATION).on(
            pause(Duration.ofMillis(500)).exec(stopLoadGeneratorIf("warm-up done", s -> Files.exists(file)))))
        .injectOpen(atOnceUsers(1)));
  }

  /** {@code populations} plus the warm-up stopper, if any. */
  static List<PopulationBuilder> withStopper(List<PopulationBuilder> populations) {
    List<PopulationBuilder> all = new ArrayList<>(populations);
    warmUpStopper().ifPresent(all::add);
    return all;
  }
}

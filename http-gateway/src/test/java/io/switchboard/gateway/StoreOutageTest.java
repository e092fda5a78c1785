package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.TestGateway.Answer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL really stopped under a running gateway (a cluster of the test's own, stopped the way an
 * operator does, then started again), for a short and a long outage: while it is down every request
 * of the API answers 503 with Retry-After and the JSON error at once (well under the ask timeout) and
 * {@code /health/ready} fails within seconds; once it is back, new conversations are routed within 5 s
 * and readiness returns; nothing acknowledged before is lost.
 */
class StoreOutageTest {
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
  static final String TENANT = "acme";

  /** One answer of the API while the store was down: when it was sent, how long it took, what it was. */
  record Sample(long atMillis, long tookMillis, Answer answer) {}

  private TestGateway gw;
  private String key;
  private int contacts;
  /** Contacts whose opening message was acknowledged (2xx): each must still be there at the end. */
  private final List<String> acknowledged = new ArrayList<>();

  @Test
  void aStoppedStoreIsRefusedAtOnceAndRoutingWorksAgainWithinFiveSecondsOfItsReturn() throws Exception {
    try (OwnPostgres pg = OwnPostgres.start()) {
      gw = new TestGateway("""
          switchboard.persistence.store = postgres
          switchboard.persistence.postgres.url = "%s"
          switchboard.persistence.postgres.schema = sb_outage
          switchboard.gateway.ask-timeout = %ds
          """.formatted(pg.jdbcUrl(), ASK_TIMEOUT.toSeconds()));
      try {
        key = gw.tenant(TENANT, Map.of("displayName", "ACME", "defaultTeam", "desk"));
        assertEquals(200, gw.call("PUT", "/v1/tenants/acme/agents/ann", key, Map.of("capacity", Map.of("*", 1000)))
            .status());
        assertEquals(200, gw.call("PUT", "/v1/tenants/acme/agents/ann/presence", key, Map.of("presence", "ONLINE"))
            .status());
        assertEquals(200, gw.call("PUT", "/v1/tenants/acme/teams/desk", key, Map.of("members", List.of("ann"),
            "strategy", "ROUND_ROBIN", "replyWindow", "PT1H")).status());
        poll(Duration.ofSeconds(30), () -> gw.call("GET", "/health/ready", null, null).status() == 200);
        for (int i = 0; i < 20; i++) assertRouted(route());

        outage(pg, Duration.ofSeconds(5));
        // longer than the 47 s outage of the report would add nothing: the circuit breakers do not back
        // off exponentially and the entities' back-off stops growing at 1 s, so after a few seconds down
        // the node is in the same state however long the outage lasts
        outage(pg, Duration.ofSeconds(40));

        for (String contact : acknowledged) {
          Answer c = conversation(contact);
          assertEquals(200, c.status(), c.raw());
          assertEquals("ASSIGNED", c.text("status"), c.raw());
          assertEquals("ann", c.text("agent"), c.raw());
          assertEquals(1, c.body().get("messages").asInt(), c.raw());
        }
        System.out.printf("store outage: all %d acknowledged conversations there, assigned, after both outages%n",
            acknowledged.size());
      } finally {
        gw.close();
      }
    }
  }

  /** Stops the store for {@code length}, checks what clients see meanwhile and after its return. */
  private void outage(OwnPostgres pg, Duration length) {
    pg.stopServer();
    Instant down = Instant.now();
    // readiness is watched beside the requests: one of these may wait for the ask timeout
    CompletableFuture<Long> readinessDown = CompletableFuture.supplyAsync(() -> {
      poll(Duration.ofSeconds(15), () -> gw.call("GET", "/health/ready", null, null).status() == 503);
      return since(down);
    });
    List<Sample> samples = new ArrayList<>();
    long[] first503 = {-1}; // when the first 503 came, counted from the stop
    poll(Duration.ofSeconds(15), () -> {
      Sample s = sample(down);
      samples.add(s);
      if (s.answer().status() == 503) first503[0] = s.atMillis() + s.tookMillis();
      return first503[0] >= 0;
    });
    poll(length.plusSeconds(10), () -> {
      samples.add(sample(down));
      return since(down) >= length.toMillis();
    });
    Answer stillDown = gw.call("GET", "/health/ready", null, null);
    assertEquals(503, stillDown.status(), stillDown.raw());
    assertEquals("not_ready", stillDown.error(), stillDown.raw());

    Sample slowest = samples.get(0);
    for (int i = 0; i < samples.size(); i++) {
      Answer a = samples.get(i).answer();
      assertFalse(a.status() >= 200 && a.status() < 300, "nothing is acknowledged while the store is down: " + a.raw());
      assertEquals(503, a.status(), a.raw());
      assertEquals("unavailable", a.error(), a.raw());
      assertNotNull(a.body().get("message"), a.raw());
      assertTrue(a.headers().firstValue("Retry-After").isPresent(), "Retry-After on " + a.raw());
      if (samples.get(i).tookMillis() > slowest.tookMillis()) slowest = samples.get(i);
      // the requests waiting when the store is found failing are answered then, the later ones at once
      assertTrue(samples.get(i).tookMillis() < ASK_TIMEOUT.toMillis() / 2,
          "a 503 comes at once, not after the ask timeout: " + samples.get(i).tookMillis() + " ms, " + a.raw());
    }
    long readinessDownAfter = readinessDown.join();
    assertTrue(readinessDownAfter < 5_000, "/health/ready fails within a few seconds: " + readinessDownAfter + " ms");

    pg.startServer();
    Instant back = Instant.now();
    CompletableFuture<Long> readyAgain = CompletableFuture.supplyAsync(() -> {
      poll(Duration.ofSeconds(30), () -> gw.call("GET", "/health/ready", null, null).status() == 200);
      return since(back);
    });
    long[] routedAfter = {-1};
    String[] pending = {null};
    List<Answer> notUnavailable = new ArrayList<>();
    poll(Duration.ofSeconds(30), () -> {
      if (pending[0] == null) {
        String contact = nextContact();
        Answer a = send(contact);
        if (a.status() == 202) {
          acknowledged.add(contact);
          pending[0] = contact;
        } else if (a.status() != 503) {
          notUnavailable.add(a);
        }
      }
      if (pending[0] != null && "ASSIGNED".equals(conversation(pending[0]).text("status"))) routedAfter[0] = since(back);
      return routedAfter[0] >= 0;
    });
    long[] readyAfter = {readyAgain.join()};
    assertEquals(List.of(), notUnavailable, "while the store comes back a request is acknowledged or refused with 503");
    System.out.printf("store outage of %d s: first 503 %d ms after the stop, readiness down after %d ms, %d requests "
            + "during the outage all 503, the slowest in %d ms (sent %d ms after the stop); store back: routing works "
            + "%d ms, readiness back %d ms after its return%n",
        length.toSeconds(), first503[0], readinessDownAfter, samples.size(), slowest.tookMillis(), slowest.atMillis(),
        routedAfter[0], readyAfter[0]);
    assertTrue(routedAfter[0] < 5_000, "a new conversation is routed within 5 s of the store's return: "
        + routedAfter[0] + " ms");
    assertTrue(readyAfter[0] < 5_000, "ready again within 5 s of the store's return: " + readyAfter[0] + " ms");
    // ready means routing works: the next new conversation is acknowledged and routed at the first try
    assertRouted(route());
  }

  private Sample sample(Instant down) {
    long at = since(down);
    Instant t = Instant.now();
    String contact = nextContact();
    Answer a = send(contact);
    if (a.status() >= 200 && a.status() < 300) acknowledged.add(contact);
    return new Sample(at, since(t), a);
  }

  private String route() {
    String contact = nextContact();
    Answer a = send(contact);
    assertEquals(202, a.status(), a.raw());
    acknowledged.add(contact);
    return contact;
  }

  private void assertRouted(String contact) {
    poll(Duration.ofSeconds(10), () -> "ASSIGNED".equals(conversation(contact).text("status")));
  }

  private String nextContact() {
    return "+55110000" + String.format("%05d", ++contacts);
  }

  private Answer send(String contact) {
    return gw.call("POST", "/v1/tenants/acme/messages", key, Map.of("channel", "whatsapp", "contact", contact,
        "messageId", "wamid." + contact, "type", "text", "text", "hello", "timestamp", Instant.now().toString()));
  }

  private Answer conversation(String contact) {
    return gw.call("GET", "/v1/tenants/acme/conversations/whatsapp:" + contact, key, null);
  }

  private static long since(Instant t) {
    return Duration.between(t, Instant.now()).toMillis();
  }

  /** Runs {@code done} every 100 ms until it is true; fails after {@code max}. */
  private void poll(Duration max, BooleanSupplier done) {
    TestProbe.create(gw.gateway.system()).awaitAssert(max, Duration.ofMillis(100), () -> {
      assertTrue(done.getAsBoolean(), "not within " + max);
      return null;
    });
  }
}

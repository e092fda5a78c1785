package io.switchboard.gateway.outbound;

import static io.switchboard.gateway.outbound.WebhookDispatcher.ATTEMPT_HEADER;
import static io.switchboard.gateway.outbound.WebhookDispatcher.EVENT_ID_HEADER;
import static io.switchboard.gateway.outbound.WebhookDispatcher.EVENT_TYPE_HEADER;
import static io.switchboard.gateway.outbound.WebhookDispatcher.SIGNATURE_HEADER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.switchboard.gateway.Hmac;
import io.switchboard.persistence.outbox.WebhookOutbox;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The dispatcher against a real H2 outbox and real HTTP receivers: order, signatures, retries,
 * dead letters, tenants without a webhook, and tenants that do not wait for each other. Short
 * intervals and backoffs keep it quick; every wait is an {@code awaitAssert} with a generous bound.
 */
class WebhookDispatcherTest {
  private static final String SECRET = "whsec-test-secret";
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final List<String> TYPES = List.of("conversation.assigned", "conversation.rerouted",
      "conversation.escalated", "conversation.resolved");

  private static final ReceiverKit kit = new ReceiverKit("WebhookDispatcherTest", """
      switchboard.gateway.outbound {
        poll-interval = 100ms
        request-timeout = 5s
        backoff { initial = 100ms, max = 400ms, factor = 2.0 }
        max-attempts = 4
        batch-size = 2
      }
      """);
  private static final ActorTestKit testKit = kit.testKit;
  private static final OutboundSettings settings = OutboundSettings.from(testKit.system().settings().config());
  private static final Receiver receiver = kit.receiver;

  @TempDir
  Path dir;
  private DataSource ds;
  private final Map<String, WebhookTarget> targets = new ConcurrentHashMap<>();
  private ActorRef<WebhookDispatcher.Command> dispatcher;

  @AfterAll
  static void shutdown() throws Exception {
    kit.close();
  }

  @BeforeEach
  void createStore() {
    ds = TestOutbox.h2(dir);
  }

  @AfterEach
  void stopDispatcher() {
    if (dispatcher != null) testKit.stop(dispatcher);
    TestOutbox.shutdownH2(ds);
  }

  @Test
  void deliversSignedEventsInOrder() {
    targets.put("acme", target("/signed/acme"));
    List<String> sent = insert("acme", 5);
    start();

    await(() -> assertEquals(List.of(), outbox("acme")));
    List<Receiver.Request> got = receiver.requests("/signed/acme");
    assertEquals(sent, eventIdsOf(got), "each event once, in id order");
    for (int i = 0; i < got.size(); i++) {
      Receiver.Request r = got.get(i);
      assertTrue(Hmac.verify(SECRET, r.body(), r.header(SIGNATURE_HEADER)), "signature of the exact body bytes");
      assertFalse(Hmac.verify("another-secret", r.body(), r.header(SIGNATURE_HEADER)));
      assertEquals(TestOutbox.payload(sent.get(i), TYPES.get(i % 4), "acme", "acme/wa:c1"), r.text());
      assertEquals(TYPES.get(i % 4), r.header(EVENT_TYPE_HEADER));
      assertEquals("1", r.header(ATTEMPT_HEADER));
      assertEquals("application/json", r.header("content-type"));
    }
    assertEquals(List.of(), TestOutbox.dead(ds, "acme"));
  }

  @Test
  void retriesServerErrorsAndKeepsTheOrder() {
    receiver.on("/flaky/acme", Receiver.sequence(500, 500, 200));
    targets.put("flaky", target("/flaky/acme"));
    List<String> sent = insert("flaky", 3);
    start();

    await(() -> assertEquals(List.of(), outbox("flaky")));
    List<Receiver.Request> got = receiver.requests("/flaky/acme");
    String first = sent.get(0);
    assertEquals(List.of(first, first, first, sent.get(1), sent.get(2)), eventIdsOf(got),
        "the later events wait until the first is delivered");
    assertEquals(List.of("1", "2", "3", "1", "1"), got.stream().map(r -> r.header(ATTEMPT_HEADER)).toList());
    for (Receiver.Request r : got) assertTrue(Hmac.verify(SECRET, r.body(), r.header(SIGNATURE_HEADER)));
    assertEquals(List.of(), TestOutbox.dead(ds, "flaky"));
  }

  @Test
  void deadLettersEventsOfAReceiverThatIsDownAndGoesOn() throws Exception {
    targets.put("gone", new WebhookTarget("http://127.0.0.1:" + Receiver.closedPort() + "/hook", SECRET));
    List<String> sent = insert("gone", 2);
    start();

    await(() -> assertEquals(2, TestOutbox.dead(ds, "gone").size()));
    assertEquals(List.of(), outbox("gone"));
    List<TestOutbox.Dead> dead = TestOutbox.dead(ds, "gone");
    assertEquals(sent, dead.stream().map(TestOutbox.Dead::eventId).toList());
    for (TestOutbox.Dead d : dead) {
      assertEquals(settings.maxAttempts(), d.attempts());
      // refused, or (rarely) timed out while the client's pool waited to connect again
      assertTrue(d.lastError().startsWith("request failed: ") || d.lastError().contains("timed out"), d.lastError());
      assertNull(d.nextAttemptAt());
    }
    assertFalse(dead.get(1).failedAt().isBefore(dead.get(0).failedAt()), "the second only after the first");
  }

  @Test
  void deadLettersAnEventThatKeepsFailingThenDeliversTheNext() {
    List<String> sent = insert("picky", 3);
    String poison = sent.get(0);
    receiver.on("/picky/acme", (r, nth) -> Receiver.json(poison.equals(r.header(EVENT_ID_HEADER)) ? 500 : 200,
        "{\"error\":\"cannot handle it\"}").answer(r, nth));
    targets.put("picky", target("/picky/acme"));
    start();

    await(() -> assertEquals(List.of(), outbox("picky")));
    List<TestOutbox.Dead> dead = TestOutbox.dead(ds, "picky");
    assertEquals(List.of(poison), dead.stream().map(TestOutbox.Dead::eventId).toList());
    assertEquals(settings.maxAttempts(), dead.get(0).attempts());
    assertEquals("HTTP 500: {\"error\":\"cannot handle it\"}", dead.get(0).lastError());
    assertEquals(List.of(poison, poison, poison, poison, sent.get(1), sent.get(2)),
        eventIdsOf(receiver.requests("/picky/acme")));
  }

  @Test
  void aSlowTenantDoesNotDelayAnother() {
    CompletableFuture<HttpResponse> release = new CompletableFuture<>();
    receiver.on("/slow/hook", Receiver.hang(release));
    targets.put("slow", target("/slow/hook"));
    targets.put("fast", target("/fast/hook"));
    // the slow tenant's event is the oldest of the outbox: its lane opens first
    long slowId = TestOutbox.insert(ds, "slow", "Conversation|slow/wa:c1:1", TYPES.get(0), "slow/wa:c1");
    List<String> fast = insert("fast", 3);
    start();

    await(() -> {
      assertEquals(1, receiver.requests("/slow/hook").size());
      assertEquals(List.of(), outbox("fast"));
    });
    assertEquals(fast, eventIdsOf(receiver.requests("/fast/hook")));
    // still 0: the slow receiver has not answered and its request has not timed out (5 s) yet, so the
    // fast tenant's events went while a request of the slow tenant was in flight
    assertEquals(0, TestOutbox.attempts(ds, slowId));

    release.complete(HttpResponse.create().withStatus(200));
    await(() -> assertEquals(List.of(), outbox("slow")));
  }

  @Test
  void dropsTheEventsOfATenantWithoutWebhookAndSaysSoOnce() {
    targets.put("acme", target("/kept/acme"));
    List<String> kept = new ArrayList<>();
    // the dispatcher's INFO lines are below the gateway's WARN root level: let them through here
    Logger log = (Logger) LoggerFactory.getLogger(WebhookDispatcher.class);
    Level level = log.getLevel();
    log.setLevel(Level.INFO);
    try {
      LoggingTestKit.info("Tenant ghost has no webhook").withOccurrences(1).expect(testKit.system(), () -> {
        insert("ghost", 3); // more than a batch (2)
        kept.addAll(insert("acme", 1));
        start();
        await(() -> {
          assertEquals(List.of(), outbox("ghost"));
          assertEquals(List.of(), outbox("acme"));
        });
        // later events of the tenant: dropped too, without a second line
        TestOutbox.insert(ds, "ghost", "Conversation|ghost/wa:c2:1", TYPES.get(0), "ghost/wa:c2");
        await(() -> assertEquals(List.of(), outbox("ghost")));
        return null;
      });
    } finally {
      log.setLevel(level);
    }
    assertEquals(kept, eventIdsOf(receiver.requests("/kept/acme")));
    assertEquals(List.of(), TestOutbox.dead(ds, "ghost"), "dropped, not dead-lettered");
  }

  @Test
  void aFailedTargetLookupLeavesTheEventsForLater() {
    AtomicInteger lookups = new AtomicInteger();
    WebhookTarget target = target("/lookup/acme");
    List<String> sent = insert("lookup", 1);
    start(tenant -> lookups.incrementAndGet() <= 2
        ? CompletableFuture.failedFuture(new IllegalStateException("tenant entity unavailable"))
        : CompletableFuture.completedFuture(Optional.of(target)));

    await(() -> assertEquals(List.of(), outbox("lookup")));
    List<Receiver.Request> got = receiver.requests("/lookup/acme");
    assertEquals(sent, eventIdsOf(got));
    assertEquals("1", got.get(0).header(ATTEMPT_HEADER), "a failed lookup is no delivery attempt");
    assertTrue(lookups.get() >= 3);
  }

  private void start() {
    start(tenant -> CompletableFuture.completedFuture(Optional.ofNullable(targets.get(tenant))));
  }

  private void start(WebhookTargets webhookTargets) {
    dispatcher = testKit.spawn(WebhookDispatcher.create(new WebhookOutbox(ds), webhookTargets, settings));
  }

  private static WebhookTarget target(String path) {
    return new WebhookTarget(receiver.url(path), SECRET);
  }

  /** {@code n} events of one conversation of {@code tenant}; returns their event ids in order. */
  private List<String> insert(String tenant, int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      String eventId = "Conversation|" + tenant + "/wa:c1:" + i;
      TestOutbox.insert(ds, tenant, eventId, TYPES.get((i - 1) % 4), tenant + "/wa:c1");
      ids.add(eventId);
    }
    return ids;
  }

  private List<String> outbox(String tenant) {
    return TestOutbox.eventIds(ds, "sb_webhook_outbox", tenant);
  }

  private static List<String> eventIdsOf(List<Receiver.Request> requests) {
    return requests.stream().map(r -> r.header(EVENT_ID_HEADER)).toList();
  }

  private static void await(Runnable assertion) {
    testKit.createTestProbe().awaitAssert(PATIENCE, Duration.ofMillis(50), () -> {
      assertion.run();
      return null;
    });
  }
}

package io.switchboard.gateway.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.RoutingPorts.LookupResult;
import io.switchboard.routing.rules.Action.ToTeam;
import io.switchboard.routing.rules.CrmLookup;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.pattern.CircuitBreaker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The CRM client's circuit breakers: one per endpoint and timeout, and not more than it keeps. */
class CrmClientTest {
  private static final ReceiverKit kit = new ReceiverKit("CrmClientTest", "");
  private static final Receiver receiver = kit.receiver;

  @AfterAll
  static void shutdown() throws Exception {
    kit.close();
  }

  private static CrmClient client(int maxBreakers) {
    return new CrmClient(kit.testKit.system(), 5, Duration.ofSeconds(30), maxBreakers);
  }

  private static CrmLookup lookup(String url, Duration timeout) {
    return new CrmLookup("crm", CrmLookup.Method.GET, url, Map.of(), null, timeout, Map.of("tier", "$.tier"),
        new ToTeam("fallback"));
  }

  @Test
  void twoTimeoutsToOneHostGetTwoBreakers() {
    CrmClient crm = client(100);
    CircuitBreaker quick = crm.breaker(URI.create("https://crm.example.com/contacts?email=a"), Duration.ofMillis(200));
    CircuitBreaker patient = crm.breaker(URI.create("https://crm.example.com/contacts?email=a"), Duration.ofSeconds(5));

    assertNotSame(quick, patient);
    // path, query, the default port written out and the host's case do not make another endpoint
    assertSame(quick, crm.breaker(URI.create("https://CRM.example.com:443/orders"), Duration.ofMillis(200)));
    assertNotSame(quick, crm.breaker(URI.create("https://crm.example.com:8443/contacts"), Duration.ofMillis(200)));
    assertNotSame(quick, crm.breaker(URI.create("http://crm.example.com/contacts"), Duration.ofMillis(200)));
    assertEquals(4, crm.breakerCount());
  }

  @Test
  void aQuickLookupDoesNotCutTheTimeoutOfAPatientOneToTheSameHost() throws Exception {
    CompletableFuture<HttpResponse> never = new CompletableFuture<>();
    receiver.on("/crm/slow", Receiver.hang(never));
    // answers after 600 ms: more than the quick lookup's timeout, well within the patient one's
    receiver.on("/crm/late", (r, nth) -> CompletableFuture.supplyAsync(
        () -> HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, "{\"tier\":\"gold\"}"),
        CompletableFuture.delayedExecutor(600, TimeUnit.MILLISECONDS)));
    CrmClient crm = client(100);
    try {
      LookupResult quick = crm.lookup(lookup(receiver.url("/crm/slow"), Duration.ofMillis(200)), Map.of())
          .toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertFalse(quick.ok());

      // with one breaker per host this one was failed at 200 ms, the first lookup's timeout
      LookupResult patient = crm.lookup(lookup(receiver.url("/crm/late"), Duration.ofSeconds(5)), Map.of())
          .toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertTrue(patient.ok(), patient.error());
      assertEquals(Map.of("tier", "gold"), patient.fields());
    } finally {
      never.complete(HttpResponse.create());
    }
  }

  @Test
  void theLeastRecentlyUsedBreakerIsForgottenBeyondTheBound() {
    CrmClient crm = client(3);
    Duration second = Duration.ofSeconds(1);
    CircuitBreaker a = crm.breaker(URI.create("https://a.example.com/"), second);
    CircuitBreaker b = crm.breaker(URI.create("https://b.example.com/"), second);
    crm.breaker(URI.create("https://c.example.com/"), second);
    crm.breaker(URI.create("https://a.example.com/"), second); // used again: b is the least recently used now
    crm.breaker(URI.create("https://d.example.com/"), second);

    assertEquals(3, crm.breakerCount());
    assertSame(a, crm.breaker(URI.create("https://a.example.com/"), second), "kept");
    assertNotSame(b, crm.breaker(URI.create("https://b.example.com/"), second), "forgotten, so made anew");
    for (int i = 0; i < 50; i++) crm.breaker(URI.create("https://crm" + i + ".example.com/"), second);
    assertEquals(3, crm.breakerCount());
  }
}

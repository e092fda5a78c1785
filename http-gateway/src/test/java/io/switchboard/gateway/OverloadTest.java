package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Overload is answered 503 with Retry-After and a JSON error, never a hang or a crash. */
class OverloadTest {
  @Test
  void anEntityThatDoesNotAnswerInTimeIsA503WithRetryAfter() {
    try (TestGateway gw = new TestGateway("switchboard.gateway.ask-timeout = 1ms")) {
      TestGateway.Answer a = gw.call("GET", "/v1/admin/tenants/slow", TestGateway.ADMIN, null);
      assertEquals(503, a.status(), a.raw());
      assertEquals("unavailable", a.error());
      assertTrue(a.headers().firstValue("Retry-After").isPresent());
    }
  }

  @Test
  void beyondTheInFlightLimitRequestsAreTurnedAwayWithRetryAfterWhileHealthAndMetricsStillAnswer() {
    try (TestGateway gw = new TestGateway("switchboard.gateway.max-in-flight = 0\nswitchboard.gateway.retry-after = 3s")) {
      TestGateway.Answer a = gw.call("GET", "/v1/admin/tenants/acme", TestGateway.ADMIN, null);
      assertEquals(503, a.status(), a.raw());
      assertEquals("unavailable", a.error());
      assertEquals("3", a.headers().firstValue("Retry-After").orElse(null));
      assertTrue(a.text("message").contains("overloaded"), a.raw());
      assertEquals(200, gw.call("GET", "/health/alive", null, null).status(), "alive under overload");
      assertEquals(200, gw.call("GET", "/metrics", null, null).status(), "metrics under overload");
    }
  }
}

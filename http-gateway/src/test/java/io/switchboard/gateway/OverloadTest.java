package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Overload is answered 503 with Retry-After and a JSON error, never a hang or a crash. */
class OverloadTest {
  /**
   * An entity that cannot answer in time: the tenant entity's recovery waits on a real PostgreSQL lock
   * (a second session holds the journal and snapshot tables exclusively), so the ask times out whatever
   * the machine's speed. The answer is a 503 with Retry-After; once the lock goes, the same request is
   * answered by the recovered entity (it was not left failing).
   */
  @Test
  void anEntityThatDoesNotAnswerInTimeIsA503WithRetryAfterAndAnswersOnceItCan() throws Exception {
    String url = System.getenv().getOrDefault("SWITCHBOARD_TEST_PG_URL",
        "jdbc:postgresql://127.0.0.1:5432/switchboard_test");
    String schema = "overload_" + Long.toUnsignedString(System.nanoTime(), 36);
    try (TestGateway gw = new TestGateway("""
        switchboard.gateway.ask-timeout = 1s
        switchboard.persistence.store = postgres
        switchboard.persistence.postgres.url = "%s"
        switchboard.persistence.postgres.schema = "%s"
        """.formatted(url, schema));
         Connection lock = DriverManager.getConnection(url, "postgres", "")) {
      lock.setAutoCommit(false);
      try (Statement st = lock.createStatement()) {
        st.execute("LOCK TABLE " + schema + ".event_journal, " + schema + ".snapshot IN ACCESS EXCLUSIVE MODE");
      }
      TestGateway.Answer a = gw.call("GET", "/v1/admin/tenants/slow", TestGateway.ADMIN, null);
      assertEquals(503, a.status(), a.raw());
      assertEquals("unavailable", a.error());
      assertTrue(a.headers().firstValue("Retry-After").isPresent());
      lock.rollback();
      TestGateway.Answer after = gw.call("GET", "/v1/admin/tenants/slow", TestGateway.ADMIN, null);
      assertEquals(404, after.status(), after.raw());
      assertEquals("not_found", after.error());
    } finally {
      try (Connection c = DriverManager.getConnection(url, "postgres", "");
           Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
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

package io.switchboard.gateway.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.switchboard.gateway.Hmac;
import io.switchboard.gateway.TestGateway;
import io.switchboard.gateway.TestGateway.Answer;
import io.switchboard.persistence.Store;
import io.switchboard.persistence.StoreSettings;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Secrets stored in clear by a version before they were sealed (the fixture of {@link
 * JournalCompatibilityTest}, whose tenant's {@code Configured} event holds its app secret and verify
 * token in clear): still read, so WhatsApp's signature checks with that app secret and Meta's
 * verification passes with that token; the next configuration of the tenant stores them sealed and
 * hashed, and they keep working.
 */
class TenantSecretsCompatTest {
  static final String FIXTURE = "801085c";
  static final String VERIFY_TOKEN = "compat-verify";

  @Test
  void plainSecretsOfAnOldEventStillVerifyAndTheNextConfigureSealsThem() throws Exception {
    Path h2 = Files.createTempDirectory("compat-secrets");
    String config = "switchboard.persistence.h2.dir = \"" + h2.toString().replace("\\", "/") + "\"";
    StoreSettings store = StoreSettings.from(ConfigFactory.parseString(config + "\nswitchboard.persistence.store = h2")
        .withFallback(ConfigFactory.load()));
    Store.createSchema(store);
    try (InputStream in = getClass().getResourceAsStream("/compat/" + FIXTURE + "/store.json")) {
      StoreDump.load(store, new ObjectMapper().readTree(in));
    }
    List<byte[]> before = configuredEvents(store);
    assertEquals(1, before.size());
    assertTrue(contains(before.get(0), CompatScenario.APP_SECRET), "the fixture's event holds the app secret in clear");

    try (TestGateway gw = new TestGateway(config)) {
      assertVerifies(gw, "wamid.secrets-compat-1");

      Answer again = gw.call("PUT", "/v1/admin/tenants/" + CompatScenario.TENANT, TestGateway.ADMIN,
          Map.of("displayName", "Compat Ltd", "appSecret", CompatScenario.APP_SECRET, "defaultTeam", "desk",
              "verifyToken", VERIFY_TOKEN));
      assertEquals(200, again.status(), again.raw());
      List<byte[]> after = configuredEvents(store);
      assertEquals(2, after.size());
      byte[] latest = after.get(1);
      assertFalse(contains(latest, CompatScenario.APP_SECRET), "configured again: the app secret is sealed");
      assertFalse(contains(latest, VERIFY_TOKEN), "configured again: the verify token is hashed");
      assertTrue(contains(latest, "enc:v1:"));

      assertVerifies(gw, "wamid.secrets-compat-2");
    }
  }

  private static void assertVerifies(TestGateway gw, String messageId) {
    String body = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"field\":"
        + "\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":"
        + "\"15550001111\",\"phone_number_id\":\"900\"},\"contacts\":[{\"profile\":{\"name\":\"Nia\"},"
        + "\"wa_id\":\"5511900000077\"}],\"messages\":[{\"from\":\"5511900000077\",\"id\":\"" + messageId + "\","
        + "\"timestamp\":\"" + (System.currentTimeMillis() / 1000) + "\",\"type\":\"text\",\"text\":{\"body\":"
        + "\"hi\"}}]}}]}]}";
    byte[] raw = body.getBytes(StandardCharsets.UTF_8);
    Answer signed = gw.send("POST", "/v1/webhooks/whatsapp/" + CompatScenario.TENANT, null, raw,
        Map.of("Content-Type", "application/json", "X-Hub-Signature-256", Hmac.sign(CompatScenario.APP_SECRET, raw)));
    assertEquals(200, signed.status(), signed.raw());
    Answer forged = gw.send("POST", "/v1/webhooks/whatsapp/" + CompatScenario.TENANT, null, raw,
        Map.of("Content-Type", "application/json", "X-Hub-Signature-256", Hmac.sign("forged", raw)));
    assertEquals(401, forged.status(), forged.raw());
    Answer verified = gw.call("GET", "/v1/webhooks/whatsapp/" + CompatScenario.TENANT
        + "?hub.mode=subscribe&hub.challenge=99&hub.verify_token=" + VERIFY_TOKEN, null, null);
    assertEquals(200, verified.status(), verified.raw());
    assertEquals("99", verified.raw());
  }

  /** The payloads of the tenant's {@code Configured} events, oldest first. */
  private static List<byte[]> configuredEvents(StoreSettings store) throws Exception {
    List<byte[]> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
         PreparedStatement ps = c.prepareStatement("SELECT \"event_payload\" FROM \"event_journal\""
             + " WHERE \"persistence_id\" = ? AND \"event_ser_manifest\" LIKE '%$Configured' ORDER BY \"sequence_number\"")) {
      ps.setString(1, "Tenant|" + CompatScenario.TENANT);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(rs.getBytes(1));
      }
    }
    return out;
  }

  private static boolean contains(byte[] hay, String text) {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) continue outer;
      }
      return true;
    }
    return false;
  }
}

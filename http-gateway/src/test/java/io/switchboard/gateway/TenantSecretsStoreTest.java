package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.switchboard.gateway.TestGateway.Answer;
import io.switchboard.gateway.tenant.SecretCipher;
import io.switchboard.gateway.tenant.TenantData;
import io.switchboard.gateway.tenant.TenantDirectory;
import io.switchboard.persistence.StoreSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A tenant's secrets at rest (docs/ARCHITECTURE.md, "Tenant secrets"), on the real stores: configured
 * through the admin API, no byte of the app secret, the webhook secret or the verify token is anywhere
 * in the store (every table of it, the journal's serialized events included) nor in this node's copy of
 * the tenant (what Distributed Data spreads to the others); the admin API still says only whether each
 * is set; and a node started again on the same store checks WhatsApp's signature with the app secret
 * and answers Meta's verification with the token.
 */
class TenantSecretsStoreTest {
  static final String TENANT = "vault";
  static final String APP_SECRET = "app-secret-at-rest-7f3a0c";
  static final String WEBHOOK_SECRET = "hook-secret-at-rest-91c2d4";
  static final String VERIFY_TOKEN = "verify-token-at-rest-55d0e1";

  @Test
  void onH2() throws Exception {
    Path[] h2 = new Path[1];
    run("", gw -> {
      h2[0] = gw.dir.resolve("h2");
      return StoreSettings.from(ConfigFactory.parseString("switchboard.persistence.store = h2")
          .withFallback(ConfigFactory.parseMap(Map.of("switchboard.persistence.h2.dir", h2[0].toString())))
          .withFallback(ConfigFactory.load()));
    }, () -> "switchboard.persistence.h2.dir = \"" + h2[0].toString().replace("\\", "/") + "\"");
  }

  @Test
  void onPostgres() throws Exception {
    String url = System.getenv().getOrDefault("SWITCHBOARD_TEST_PG_URL",
        "jdbc:postgresql://127.0.0.1:5432/switchboard_test");
    String schema = "secrets_" + Long.toUnsignedString(System.nanoTime(), 36);
    String config = """
        switchboard.persistence.store = postgres
        switchboard.persistence.postgres.url = "%s"
        switchboard.persistence.postgres.schema = "%s"
        """.formatted(url, schema);
    try {
      run(config, gw -> StoreSettings.from(ConfigFactory.parseString(config).withFallback(ConfigFactory.load())),
          () -> config);
    } finally {
      try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
    }
  }

  interface StoreOf {
    StoreSettings of(TestGateway gw) throws Exception;
  }

  private void run(String config, StoreOf storeOf, Supplier<String> sameStore) throws Exception {
    try (TestGateway gw = new TestGateway(config)) {
      String key = gw.tenant(TENANT, Map.of("displayName", "Vault", "appSecret", APP_SECRET, "verifyToken", VERIFY_TOKEN,
          "webhookUrl", gw.receiver.url("/hooks/" + TENANT), "webhookSecret", WEBHOOK_SECRET, "defaultTeam", "desk"));
      assertEquals(200, gw.call("PUT", "/v1/tenants/" + TENANT + "/teams/desk", key,
          Map.of("members", List.of(), "strategy", "MANUAL")).status());

      Answer view = gw.call("GET", "/v1/admin/tenants/" + TENANT, TestGateway.ADMIN, null);
      assertEquals(200, view.status(), view.raw());
      assertTrue(view.body().get("appSecretSet").asBoolean() && view.body().get("webhookSecretSet").asBoolean()
          && view.body().get("verifyTokenSet").asBoolean(), view.raw());
      assertNoSecretIn(view.raw(), "the admin API's answer");

      TenantData copy = TenantDirectory.get(gw.gateway.system()).cached(TENANT);
      assertTrue(SecretCipher.isSealed(copy.settings().appSecret()), "the replicated copy holds the app secret sealed");
      assertTrue(SecretCipher.isSealed(copy.settings().webhookSecret()));
      assertNoSecretIn(copy.toString(), "the tenant's replicated copy");

      assertSecretsWork(gw, "wamid.vault1");
      assertStoreHoldsNoSecret(storeOf.of(gw));
    }
    // a new node on the same store: the events recover, the key is found again (the H2 store's key file, the
    // configured key on PostgreSQL), and the sealed app secret checks the signature
    try (TestGateway again = new TestGateway(sameStore.get())) {
      assertSecretsWork(again, "wamid.vault2");
    }
  }

  private static void assertSecretsWork(TestGateway gw, String messageId) {
    byte[] raw = message(messageId);
    Answer signed = gw.send("POST", "/v1/webhooks/whatsapp/" + TENANT, null, raw,
        Map.of("Content-Type", "application/json", "X-Hub-Signature-256", Hmac.sign(APP_SECRET, raw)));
    assertEquals(200, signed.status(), signed.raw());
    assertEquals(1, signed.body().get("accepted").asInt(), signed.raw());
    Answer forged = gw.send("POST", "/v1/webhooks/whatsapp/" + TENANT, null, raw,
        Map.of("Content-Type", "application/json", "X-Hub-Signature-256", Hmac.sign("not-the-secret", raw)));
    assertEquals(401, forged.status(), forged.raw());

    String query = "/v1/webhooks/whatsapp/" + TENANT + "?hub.mode=subscribe&hub.challenge=4711&hub.verify_token=";
    Answer verified = gw.call("GET", query + VERIFY_TOKEN, null, null);
    assertEquals(200, verified.status(), verified.raw());
    assertEquals("4711", verified.raw());
    assertEquals(403, gw.call("GET", query + "wrong", null, null).status());
  }

  static byte[] message(String id) {
    return ("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"field\":"
        + "\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":"
        + "\"15550001111\",\"phone_number_id\":\"900\"},\"contacts\":[{\"profile\":{\"name\":\"Rita\"},"
        + "\"wa_id\":\"5511987650001\"}],\"messages\":[{\"from\":\"5511987650001\",\"id\":\"" + id + "\","
        + "\"timestamp\":\"" + (System.currentTimeMillis() / 1000) + "\",\"type\":\"text\",\"text\":{\"body\":"
        + "\"hello\"}}]}}]}]}").getBytes(StandardCharsets.UTF_8);
  }

  private static void assertNoSecretIn(String text, String where) {
    for (String secret : List.of(APP_SECRET, WEBHOOK_SECRET, VERIFY_TOKEN)) {
      assertFalse(text.contains(secret), where + " holds " + secret + ": " + text);
    }
  }

  /**
   * Every value of every table of the store, raw: the journal's payloads are CBOR, which holds a text
   * as its UTF-8 bytes, so a secret stored in clear shows as its bytes. The journal must hold the
   * sealed form (that proves the payloads were read where a secret would be).
   */
  static void assertStoreHoldsNoSecret(StoreSettings store) throws Exception {
    List<byte[]> secrets = List.of(APP_SECRET.getBytes(StandardCharsets.UTF_8),
        WEBHOOK_SECRET.getBytes(StandardCharsets.UTF_8), VERIFY_TOKEN.getBytes(StandardCharsets.UTF_8));
    byte[] sealed = SecretCipher.PREFIX.getBytes(StandardCharsets.UTF_8);
    List<String> found = new ArrayList<>();
    int sealedInJournal = 0;
    int tables = 0;
    try (Connection c = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password())) {
      DatabaseMetaData md = c.getMetaData();
      List<String> names = new ArrayList<>();
      String schema = store.kind() == StoreSettings.Kind.H2 ? "PUBLIC" : store.pgSchema();
      try (ResultSet rs = md.getTables(null, schema, "%", new String[] {"TABLE"})) {
        while (rs.next()) names.add(rs.getString("TABLE_NAME"));
      }
      for (String table : names) {
        tables++;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM \"" + table + "\"")) {
          ResultSetMetaData cols = rs.getMetaData();
          while (rs.next()) {
            for (int i = 1; i <= cols.getColumnCount(); i++) {
              int type = cols.getColumnType(i);
              byte[] value = type == Types.BLOB || type == Types.BINARY || type == Types.VARBINARY
                  || type == Types.LONGVARBINARY ? rs.getBytes(i)
                  : rs.getString(i) == null ? null : rs.getString(i).getBytes(StandardCharsets.UTF_8);
              if (value == null) continue;
              for (byte[] s : secrets) {
                if (indexOf(value, s) >= 0) {
                  found.add(table + "." + cols.getColumnName(i) + ": " + new String(s, StandardCharsets.UTF_8));
                }
              }
              if (table.equals("event_journal") && indexOf(value, sealed) >= 0) sealedInJournal++;
            }
          }
        }
      }
    }
    assertTrue(tables >= 3, "read the store's tables: " + tables);
    assertTrue(found.isEmpty(), "secrets in clear in the store: " + found);
    assertTrue(sealedInJournal > 0, "the tenant's event holds its secrets sealed");
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) continue outer;
      }
      return i;
    }
    return -1;
  }
}

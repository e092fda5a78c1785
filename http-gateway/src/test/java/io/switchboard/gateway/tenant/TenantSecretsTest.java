package io.switchboard.gateway.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.switchboard.gateway.cluster.ClusterConfig;
import io.switchboard.gateway.whatsapp.VerificationHandshake;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a node's key comes from, and what of a tenant's settings is sealed, hashed or left as it is. */
class TenantSecretsTest {
  @TempDir
  Path dir;

  private static Config config(Map<String, Object> values) {
    return ConfigFactory.parseMap(values).withFallback(ConfigFactory.load());
  }

  private Config h2() {
    return config(Map.of("switchboard.persistence.store", "h2", "switchboard.persistence.h2.dir", dir.toString()));
  }

  @Test
  void onH2WithNothingConfiguredAKeyIsGeneratedOnceBesideTheDatabaseReadableByItsOwnerOnly() throws Exception {
    TenantSecrets first = TenantSecrets.from(h2());
    Path file = dir.resolve(TenantSecrets.H2_KEY_FILE);
    assertTrue(Files.isRegularFile(file));
    if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
          Files.getPosixFilePermissions(file));
    }
    assertEquals(32, Base64.getDecoder().decode(Files.readString(file).trim()).length);

    // the next start reads the same key: what the first sealed, it opens
    TenantSecrets again = TenantSecrets.from(h2());
    assertEquals(first.cipher().currentKeyId(), again.cipher().currentKeyId());
    assertEquals("s", again.cipher().open("c", first.cipher().seal("c", "s")));
    assertTrue(first.describe().contains("generated for this H2 store"), first.describe());
  }

  @Test
  void onPostgresWithoutAKeyTheNodeRefusesToStartSayingWhatToSet() {
    Config pg = config(Map.of("switchboard.persistence.store", "postgres"));
    ClusterConfig.RefusedException e = assertThrows(ClusterConfig.RefusedException.class, () -> TenantSecrets.from(pg));
    assertTrue(e.getMessage().contains("SWITCHBOARD_SECRETS_KEY"), e.getMessage());
  }

  @Test
  void aConfiguredKeyOrKeyFileWinsAndOldKeysStillOpen() throws Exception {
    byte[] key = SecretCipher.newKey();
    byte[] old = SecretCipher.newKey();
    String sealedUnderOld = new SecretCipher(old, List.of()).seal("c", "before");
    TenantSecrets configured = TenantSecrets.from(config(Map.of("switchboard.persistence.store", "postgres",
        "switchboard.gateway.secrets.key", Base64.getEncoder().encodeToString(key),
        "switchboard.gateway.secrets.old-keys", " " + Base64.getEncoder().encodeToString(old) + " ,")));
    assertEquals(SecretCipher.keyId(key), configured.cipher().currentKeyId());
    assertEquals("before", configured.cipher().open("c", sealedUnderOld));
    assertFalse(configured.describe().contains(Base64.getEncoder().encodeToString(key)));

    Path file = dir.resolve("mounted.key");
    Files.writeString(file, Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII);
    TenantSecrets fromFile = TenantSecrets.from(config(Map.of("switchboard.persistence.store", "postgres",
        "switchboard.gateway.secrets.key-file", file.toString())));
    assertEquals(SecretCipher.keyId(key), fromFile.cipher().currentKeyId());
    assertFalse(Files.exists(dir.resolve(TenantSecrets.H2_KEY_FILE)), "nothing generated when a key is given");
  }

  @Test
  void theAppAndWebhookSecretsAreSealedTheVerifyTokenHashedTheRestLeftAsItIs() {
    TenantSecrets secrets = TenantSecrets.from(h2());
    TenantSettings plain = new TenantSettings("Acme", "verify-me", "app-secret", "https://hooks.example/acme",
        "hook-secret", "acme/desk", Map.of("900", "acme/sales"));
    TenantSettings stored = secrets.protect("acme", plain);

    assertTrue(SecretCipher.isSealed(stored.appSecret()), stored.appSecret());
    assertTrue(SecretCipher.isSealed(stored.webhookSecret()), stored.webhookSecret());
    assertEquals(VerificationHandshake.stored("verify-me"), stored.verifyToken());
    assertEquals(200, VerificationHandshake.answer("subscribe", "verify-me", "1", stored.verifyToken()).status());
    assertFalse(stored.toString().contains("app-secret") || stored.toString().contains("hook-secret")
        || stored.toString().contains("verify-me"), stored.toString());
    assertEquals(new TenantSettings("Acme", stored.verifyToken(), stored.appSecret(), "https://hooks.example/acme",
        stored.webhookSecret(), "acme/desk", Map.of("900", "acme/sales")), stored);

    assertEquals("app-secret", secrets.appSecret("acme", stored));
    assertEquals("hook-secret", secrets.webhookSecret("acme", stored));
    // each is bound to its tenant and field: swapped, they do not open
    TenantSettings swapped = new TenantSettings("Acme", null, stored.webhookSecret(), null, stored.appSecret(), null, null);
    assertThrows(IllegalStateException.class, () -> secrets.appSecret("acme", swapped));
    assertThrows(IllegalStateException.class, () -> secrets.appSecret("other", stored));
  }

  @Test
  void settingsWithoutSecretsStayWithout() {
    TenantSecrets secrets = TenantSecrets.from(h2());
    TenantSettings none = secrets.protect("acme", new TenantSettings("Acme", null, null, null, null, null, null));
    assertNull(none.appSecret());
    assertNull(none.verifyToken());
    assertNull(secrets.webhookSecret("acme", none));
  }
}

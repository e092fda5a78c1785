package io.switchboard.gateway.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretCipherTest {
  static final String CONTEXT = "tenant acme appSecret";
  static final String SECRET = "meta-app-secret-0123456789abcdef";

  @Test
  void aSealedSecretOpensToItselfAndHoldsNoPlainText() {
    SecretCipher c = new SecretCipher(SecretCipher.newKey(), List.of());
    String sealed = c.seal(CONTEXT, SECRET);

    assertTrue(sealed.startsWith("enc:v1:" + c.currentKeyId() + ":"), sealed);
    assertFalse(sealed.contains(SECRET));
    assertEquals(SECRET, c.open(CONTEXT, sealed));
    // unicode survives (secrets are any text the admin typed)
    assertEquals("clé-秘密-🔑", c.open(CONTEXT, c.seal(CONTEXT, "clé-秘密-🔑")));
  }

  @Test
  void eachSealHasItsOwnIv() {
    SecretCipher c = new SecretCipher(SecretCipher.newKey(), List.of());
    String a = c.seal(CONTEXT, SECRET);
    String b = c.seal(CONTEXT, SECRET);

    assertNotEquals(a, b, "the same secret sealed twice must not look the same");
    byte[] rawA = Base64.getDecoder().decode(a.substring(a.lastIndexOf(':') + 1));
    byte[] rawB = Base64.getDecoder().decode(b.substring(b.lastIndexOf(':') + 1));
    assertEquals(12 + SECRET.length() + 16, rawA.length, "12-byte IV, ciphertext, 16-byte tag");
    assertFalse(Arrays.equals(Arrays.copyOf(rawA, 12), Arrays.copyOf(rawB, 12)));
  }

  @Test
  void plainTextFromBeforeSealingIsReadAsItIs() {
    SecretCipher c = new SecretCipher(SecretCipher.newKey(), List.of());
    assertEquals("an-old-plain-secret", c.open(CONTEXT, "an-old-plain-secret"));
    assertNull(c.open(CONTEXT, null));
    assertEquals("", c.open(CONTEXT, ""));
    assertNull(c.seal(CONTEXT, null));
    assertEquals("", c.seal(CONTEXT, ""), "nothing configured stays nothing configured");
  }

  @Test
  void anotherKeyDoesNotOpenIt() {
    String sealed = new SecretCipher(SecretCipher.newKey(), List.of()).seal(CONTEXT, SECRET);
    SecretCipher other = new SecretCipher(SecretCipher.newKey(), List.of());

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> other.open(CONTEXT, sealed));
    assertTrue(e.getMessage().contains("does not hold"), e.getMessage());
    assertFalse(e.getMessage().contains(SECRET));
  }

  @Test
  void anAlteredValueFailsTheTag() {
    SecretCipher c = new SecretCipher(SecretCipher.newKey(), List.of());
    String sealed = c.seal(CONTEXT, SECRET);
    char last = sealed.charAt(sealed.length() - 2);
    String altered = sealed.substring(0, sealed.length() - 2) + (last == 'A' ? 'B' : 'A') + sealed.charAt(sealed.length() - 1);

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.open(CONTEXT, altered));
    assertTrue(e.getMessage().contains("does not open"), e.getMessage());
  }

  @Test
  void aValueMovedToAnotherTenantOrFieldDoesNotOpen() {
    SecretCipher c = new SecretCipher(SecretCipher.newKey(), List.of());
    String sealed = c.seal(CONTEXT, SECRET);

    assertThrows(IllegalStateException.class, () -> c.open("tenant other appSecret", sealed));
    assertThrows(IllegalStateException.class, () -> c.open("tenant acme webhookSecret", sealed));
  }

  @Test
  void rotationANewKeyWithTheOldOneReadsBothAndSealsUnderTheNew() {
    byte[] oldKey = SecretCipher.newKey();
    byte[] newKey = SecretCipher.newKey();
    String underOld = new SecretCipher(oldKey, List.of()).seal(CONTEXT, "sealed-before-rotation");

    SecretCipher rotated = new SecretCipher(newKey, List.of(oldKey));
    assertEquals("sealed-before-rotation", rotated.open(CONTEXT, underOld));
    String underNew = rotated.seal(CONTEXT, SECRET);
    assertTrue(underNew.startsWith("enc:v1:" + SecretCipher.keyId(newKey) + ":"));
    assertEquals(SECRET, rotated.open(CONTEXT, underNew));
    assertEquals(2, rotated.keyCount());

    // once the old key is dropped, what is still under it no longer opens (and says which key it needs)
    SecretCipher dropped = new SecretCipher(newKey, List.of());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> dropped.open(CONTEXT, underOld));
    assertTrue(e.getMessage().contains(SecretCipher.keyId(oldKey)), e.getMessage());
  }

  @Test
  void keysAreTheBase64Of32BytesAndTheMessageNeverShowsTheValue() {
    byte[] key = SecretCipher.newKey();
    assertEquals(SecretCipher.keyId(key),
        SecretCipher.keyId(SecretCipher.parseKey(Base64.getEncoder().encodeToString(key), "k")));
    assertEquals(SecretCipher.keyId(key),
        SecretCipher.keyId(SecretCipher.parseKey(Base64.getUrlEncoder().withoutPadding().encodeToString(key) + "\n", "k")));

    String tooShort = Base64.getEncoder().encodeToString(new byte[16]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SecretCipher.parseKey(tooShort, "switchboard.gateway.secrets.key"));
    assertTrue(e.getMessage().startsWith("switchboard.gateway.secrets.key holds 16 bytes, not 32"), e.getMessage());
    assertFalse(e.getMessage().contains(tooShort));
    IllegalArgumentException notBase64 = assertThrows(IllegalArgumentException.class,
        () -> SecretCipher.parseKey("not base64 at all!", "the key file f"));
    assertFalse(notBase64.getMessage().contains("not base64 at all!"), notBase64.getMessage());
  }
}

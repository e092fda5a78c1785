package io.switchboard.gateway.tenant;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM for the tenant secrets that must be read back (the WhatsApp app secret checks inbound
 * signatures, the webhook secret signs outbound POSTs). A sealed value is
 * {@code enc:v1:<keyId>:<base64(iv || ciphertext || tag)>}: a fresh random 12-byte IV per value, and the
 * id of the key it was sealed under, so that a node holding the current key and the older ones reads
 * values of either while keys rotate. The key id is a fingerprint of the key (the first 8 hex digits of a
 * SHA-256 of it), so an operator configures keys only, never ids that could disagree with them. The
 * caller's {@code context} (tenant and field) is authenticated with each value: a value copied to
 * another tenant or field does not open.
 *
 * <p>A value without the prefix is plain text, as events written before secrets were sealed hold them,
 * and {@link #open} returns it as it is. Never logs or puts a key or a secret in an exception message.
 */
public final class SecretCipher {
  public static final String PREFIX = "enc:v1:";
  public static final int KEY_BYTES = 32;
  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String currentId;
  /** By key id, the current key first. */
  private final Map<String, SecretKey> keys;

  /**
   * @param current the key new values are sealed under (32 bytes)
   * @param older keys that only open values sealed under them (rotation)
   */
  public SecretCipher(byte[] current, List<byte[]> older) {
    Map<String, SecretKey> all = new LinkedHashMap<>();
    this.currentId = keyId(current);
    all.put(currentId, aes(current));
    for (byte[] k : older) all.putIfAbsent(keyId(k), aes(k));
    this.keys = Map.copyOf(all);
  }

  /** A new random key, for a store that has none yet. */
  public static byte[] newKey() {
    byte[] k = new byte[KEY_BYTES];
    RANDOM.nextBytes(k);
    return k;
  }

  /**
   * The 32 bytes of a base64 key (standard or URL alphabet, padding optional).
   *
   * @param where what to name in the message when it is not one (a setting, a file), never the value
   */
  public static byte[] parseKey(String base64, String where) {
    String s = base64.trim();
    byte[] k;
    try {
      k = (s.indexOf('-') >= 0 || s.indexOf('_') >= 0 ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + " is not base64 (generate a key with: openssl rand -base64 32)");
    }
    if (k.length != KEY_BYTES) {
      throw new IllegalArgumentException(where + " holds " + k.length + " bytes, not " + KEY_BYTES
          + " (generate a key with: openssl rand -base64 32)");
    }
    return k;
  }

  /** The id stored with each value sealed under {@code key}. */
  public static String keyId(byte[] key) {
    if (key.length != KEY_BYTES) throw new IllegalArgumentException("an AES-256 key has " + KEY_BYTES + " bytes");
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      // a label of its own, so the id is no plain hash of the key that another system might also publish
      sha.update("switchboard tenant-secrets key id".getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(sha.digest(key), 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public String currentKeyId() {
    return currentId;
  }

  /** How many keys open values (the current one and the older ones). */
  public int keyCount() {
    return keys.size();
  }

  public static boolean isSealed(String stored) {
    return stored != null && stored.startsWith(PREFIX);
  }

  /** {@code plain} sealed under the current key; null and empty stay as they are (nothing to hide). */
  public String seal(String context, String plain) {
    if (plain == null || plain.isEmpty()) return plain;
    byte[] iv = new byte[IV_BYTES];
    RANDOM.nextBytes(iv);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, keys.get(currentId), new GCMParameterSpec(TAG_BITS, iv));
      c.updateAAD(aad(context));
      byte[] sealed = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
      byte[] out = ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array();
      return PREFIX + currentId + ":" + Base64.getEncoder().withoutPadding().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /**
   * The plain text of {@code stored}: opened when sealed, as it is when plain (written before sealing).
   *
   * @throws IllegalStateException when it was sealed under a key this node does not hold, or does not
   *     open under it (another key of the same id, altered, or moved from another {@code context})
   */
  public String open(String context, String stored) {
    if (!isSealed(stored)) return stored;
    int colon = stored.indexOf(':', PREFIX.length());
    if (colon < 0) throw new IllegalStateException("a sealed secret of " + context + " is malformed (no key id)");
    String id = stored.substring(PREFIX.length(), colon);
    SecretKey key = keys.get(id);
    if (key == null) {
      throw new IllegalStateException("a secret of " + context + " was sealed under key " + id
          + ", which this node does not hold (current key " + currentId + "): add that key to "
          + "switchboard.gateway.secrets.old-keys (SWITCHBOARD_SECRETS_OLD_KEYS)");
    }
    byte[] in;
    try {
      in = Base64.getDecoder().decode(stored.substring(colon + 1));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("a sealed secret of " + context + " is malformed (not base64)");
    }
    if (in.length < IV_BYTES + TAG_BITS / 8) {
      throw new IllegalStateException("a sealed secret of " + context + " is malformed (too short)");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, IV_BYTES));
      c.updateAAD(aad(context));
      return new String(c.doFinal(in, IV_BYTES, in.length - IV_BYTES), StandardCharsets.UTF_8);
    } catch (AEADBadTagException e) {
      throw new IllegalStateException("a secret of " + context + " does not open under key " + id
          + " (altered, or sealed for another tenant or field)");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  private static byte[] aad(String context) {
    return ("switchboard:" + context).getBytes(StandardCharsets.UTF_8);
  }

  private static SecretKey aes(byte[] key) {
    if (key.length != KEY_BYTES) throw new IllegalArgumentException("an AES-256 key has " + KEY_BYTES + " bytes");
    return new SecretKeySpec(key, "AES");
  }
}

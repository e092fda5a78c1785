package io.switchboard.gateway;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 signatures in the {@code sha256=<lowercase hex>} form both WhatsApp (inbound,
 * {@code X-Hub-Signature-256}) and Switchboard's own outbound webhooks use.
 */
public final class Hmac {
  private Hmac() {}

  public static final String PREFIX = "sha256=";

  /** {@code sha256=} and the lowercase hex HMAC-SHA256 of {@code body} keyed with {@code secret}. */
  public static String sign(String secret, byte[] body) {
    return PREFIX + HexFormat.of().formatHex(mac(secret, body));
  }

  /**
   * Whether {@code header} ({@code sha256=<hex>}, hex in either case) is the signature of the raw
   * {@code body} under {@code secret}. Compared in constant time; null or malformed headers do not match.
   */
  public static boolean verify(String secret, byte[] body, String header) {
    if (secret == null || secret.isEmpty() || header == null) return false;
    String h = header.trim();
    if (!h.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) return false;
    byte[] given;
    try {
      given = HexFormat.of().parseHex(h.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(given, mac(secret, body));
  }

  private static byte[] mac(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}

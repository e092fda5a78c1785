package io.switchboard.gateway.tenant;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * API keys: {@code sb_<tenant>.<keyId>.<secret>}. The tenant and key id say where to look; only the
 * SHA-256 of the 256-bit random secret is stored (a slow hash adds nothing for a random secret of
 * that size), and it is compared in constant time.
 */
public final class ApiKeys {
  private ApiKeys() {}

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern KEY = Pattern.compile("sb_([a-z0-9][a-z0-9-]{0,62})\\.([0-9a-f]{12})\\.([A-Za-z0-9_-]{43})");

  /** A new key: shown to the admin once, stored as {@link #hash} of its secret. */
  public record Generated(String tenant, String keyId, String secret) {
    public String token() {
      return "sb_" + tenant + "." + keyId + "." + secret;
    }
  }

  /** A key as presented by a client, split into its parts. */
  public record Presented(String tenant, String keyId, String secret) {}

  public static Generated generate(String tenant) {
    byte[] id = new byte[6];
    byte[] secret = new byte[32];
    RANDOM.nextBytes(id);
    RANDOM.nextBytes(secret);
    return new Generated(tenant, HexFormat.of().formatHex(id),
        Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
  }

  public static Optional<Presented> parse(String token) {
    if (token == null || token.length() > 200) return Optional.empty();
    var m = KEY.matcher(token.trim());
    return m.matches() ? Optional.of(new Presented(m.group(1), m.group(2), m.group(3))) : Optional.empty();
  }

  public static String hash(String secret) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code secret} hashes to {@code storedHash}, in constant time. */
  public static boolean matches(String secret, String storedHash) {
    return MessageDigest.isEqual(hash(secret).getBytes(StandardCharsets.US_ASCII),
        storedHash.getBytes(StandardCharsets.US_ASCII));
  }
}

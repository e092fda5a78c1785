package io.switchboard.gateway.whatsapp;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The answer to Meta's webhook verification request,
 * {@code GET <callback>?hub.mode=subscribe&hub.verify_token=<token>&hub.challenge=<n>}: 200 with the
 * raw challenge as the body when the token is the channel's configured verify token, 403 otherwise,
 * 400 when a parameter is missing. The GET carries no signature, so the token is the only proof;
 * it is compared in constant time. The token is never read back, only compared, so it is stored as its
 * SHA-256 ({@link #stored}); a token stored in clear (by a version before that) still matches.
 */
public final class VerificationHandshake {
  private VerificationHandshake() {}

  /** The prefix of a stored token's hash ({@link #stored}); a stored value without it is the token in clear. */
  public static final String HASHED = "sha256:";

  /** Longer challenges are refused (400); Meta's are short numbers. */
  public static final int MAX_CHALLENGE_CHARS = 1024;

  /**
   * What to send back.
   *
   * @param status 200, 400 or 403
   * @param body the raw challenge on 200 (send it as {@code text/plain}, never HTML: it is caller
   *     input); a short reason otherwise
   */
  public record Answer(int status, String body) {
    public boolean accepted() {
      return status == 200;
    }
  }

  /**
   * Answers one verification request; the arguments are the raw query parameters, null when absent.
   *
   * @param mode {@code hub.mode}, must be {@code subscribe}
   * @param verifyToken {@code hub.verify_token}
   * @param challenge {@code hub.challenge}, echoed verbatim on success
   * @param configuredToken the channel's verify token as stored ({@link #stored}, or in clear); null or
   *     empty means none is configured, and nothing matches it
   */
  public static Answer answer(String mode, String verifyToken, String challenge, String configuredToken) {
    if (isEmpty(mode) || isEmpty(verifyToken) || isEmpty(challenge)) {
      return new Answer(400, "hub.mode, hub.verify_token and hub.challenge are required");
    }
    if (challenge.length() > MAX_CHALLENGE_CHARS) {
      return new Answer(400, "hub.challenge is longer than " + MAX_CHALLENGE_CHARS + " characters");
    }
    if (!"subscribe".equals(mode)) return new Answer(403, "hub.mode must be subscribe");
    if (isEmpty(configuredToken)) return new Answer(403, "no verify token is configured for this channel");
    if (!sameToken(verifyToken, configuredToken)) return new Answer(403, "hub.verify_token does not match");
    return new Answer(200, challenge);
  }

  /**
   * How a configured token is kept: {@code sha256:} and the lowercase hex SHA-256 of its UTF-8 (a token
   * is chosen by the tenant and need not be random, but it guards only this handshake, which Meta
   * repeats in clear on every subscription). Null and empty stay as they are: no token configured.
   */
  public static String stored(String token) {
    return isEmpty(token) ? token : HASHED + HexFormat.of().formatHex(sha256(token));
  }

  /** Compares digests, so neither the content nor the length of the configured token leaks through timing. */
  private static boolean sameToken(String given, String configured) {
    if (configured.startsWith(HASHED)) {
      return MessageDigest.isEqual(stored(given).getBytes(StandardCharsets.US_ASCII),
          configured.getBytes(StandardCharsets.US_ASCII));
    }
    return MessageDigest.isEqual(sha256(given), sha256(configured));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  private static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }
}

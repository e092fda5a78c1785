package io.switchboard;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.UUID;

/**
 * The reservation an agent holds a conversation under: a routing round's ({@code r<attempt>}: an
 * offer or a transfer of that round, so a re-sent offer is the same reservation) or a claim's
 * ({@code c<uuid>}, one per claim). On the wire and in the journal it is that string, as before the
 * type existed ({@link #text()}, {@link #of(String)}).
 *
 * <p>Round tokens of the first {@value #CACHED_ROUNDS} rounds are one shared instance each: nearly every
 * hold is one of them, and the same token is held by the conversation, its agent and its releases, so a
 * running conversation costs no token of its own (a string per hold did: 48 bytes).
 */
public final class HoldToken {

  static final int CACHED_ROUNDS = 64;
  private static final HoldToken[] ROUNDS = new HoldToken[CACHED_ROUNDS];

  static {
    for (int i = 0; i < CACHED_ROUNDS; i++) ROUNDS[i] = new HoldToken(i, null);
  }

  /** The round, or -1 for any other token. */
  private final int round;
  /** The token's text unless it is a round's (built on demand then). */
  private final String text;

  private HoldToken(int round, String text) {
    this.round = round;
    this.text = text;
  }

  /** The token of routing round {@code attempt}. */
  public static HoldToken round(int attempt) {
    if (attempt < 0) throw new IllegalArgumentException("a round is not negative: " + attempt);
    return attempt < CACHED_ROUNDS ? ROUNDS[attempt] : new HoldToken(attempt, null);
  }

  /** A new claim's token, unique. */
  public static HoldToken claim() {
    return new HoldToken(-1, "c" + UUID.randomUUID());
  }

  /** The token a string names, as stored or sent ({@code r<n>}, {@code c<uuid>}); null for null. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static HoldToken of(String text) {
    if (text == null) return null;
    int n = roundOf(text);
    return n >= 0 ? round(n) : new HoldToken(-1, text);
  }

  /** {@code r} and a number in its plain decimal spelling (what {@link #text()} writes back), else -1. */
  private static int roundOf(String text) {
    int len = text.length();
    if (len < 2 || len > 10 || text.charAt(0) != 'r' || (text.charAt(1) == '0' && len > 2)) return -1;
    int n = 0;
    for (int i = 1; i < len; i++) {
      char ch = text.charAt(i);
      if (ch < '0' || ch > '9') return -1;
      n = n * 10 + (ch - '0');
    }
    return n;
  }

  public boolean isClaim() {
    return round < 0 && text.startsWith("c");
  }

  public boolean isRound(int attempt) {
    return round == attempt;
  }

  /** The round of a round's token; -1 for a claim. */
  public int round() {
    return round;
  }

  @JsonValue
  public String text() {
    return text != null ? text : "r" + round;
  }

  @Override
  public boolean equals(Object o) {
    return o == this || (o instanceof HoldToken h && h.round == round && (round >= 0 || h.text.equals(text)));
  }

  @Override
  public int hashCode() {
    return round >= 0 ? round : text.hashCode();
  }

  @Override
  public String toString() {
    return text();
  }
}

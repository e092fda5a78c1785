package io.switchboard;

/**
 * The reply to a command that may be refused. A refusal has a stable machine-readable code
 * (what the gateway puts in {@code {"error": code}}) and a message a person can act on.
 */
public record Outcome(boolean ok, String code, String message) implements CborSerializable {
  public static Outcome ok(String message) {
    return new Outcome(true, "ok", message);
  }

  public static Outcome refused(String code, String message) {
    return new Outcome(false, code, message);
  }
}

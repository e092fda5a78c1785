package io.switchboard;

import java.util.Locale;

/**
 * The reply to a command that may be refused. A refusal has a stable machine-readable code
 * (what the gateway puts in {@code {"error": code}}) and a message a person can act on.
 *
 * <p>{@code code} stays a string on the wire (between nodes, a node of the previous version reads it),
 * but it is only ever made from a {@link Code}: nobody parses the message to learn what happened. A
 * repeated delivery that was already accepted is ok with code {@code duplicate} ({@link #alreadyAccepted()}).
 */
public record Outcome(boolean ok, String code, String message) implements CborSerializable {

  /** What an outcome says, as the gateway's {@code error} field spells it (lower snake case). */
  public enum Code {
    OK,
    /** Accepted before: nothing was written again (a message id, an event id seen before). */
    DUPLICATE,
    /** Text the journal cannot hold ({@link Storable}). */
    INVALID_INPUT,
    NOT_FOUND,
    NOT_OPEN,
    NOT_ASSIGNED,
    NOT_A_MEMBER,
    ALREADY_ASSIGNED,
    ALREADY_HOLDING,
    OFFER_EXPIRED,
    CAPACITY_FULL,
    AGENT_OFFLINE,
    AGENT_AWAY,
    /** The agent started again a moment ago and takes no offer until every assignment of its grants is known. */
    AGENT_SETTLING,
    UNKNOWN_AGENTS,
    SERVICE_WINDOW_CLOSED,
    NO_ROUTE,
    NO_CHANNEL,
    BAD_TRANSFER,
    BAD_CONVERSATION_ID,
    DELIVERY_FAILED,
    INVALID_RULES,
    TOO_MANY_KEYS,
    CONFLICT,
    /** A code this node does not know (sent by a node of a newer version). */
    REFUSED;

    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
      return wire;
    }

    /** The code spelled {@code wire}; {@link #REFUSED} for one this version does not know. */
    public static Code of(String wire) {
      for (Code c : values()) {
        if (c.wire.equals(wire)) return c;
      }
      return REFUSED;
    }

    /** An agent's presence as a refusal ({@code agent_away}, {@code agent_offline}). */
    public static Code agentNot(Enum<?> presence) {
      return of("agent_" + presence.name().toLowerCase(Locale.ROOT));
    }
  }

  public static Outcome ok(String message) {
    return new Outcome(true, Code.OK.wire(), message);
  }

  /** Accepted already, by an earlier delivery of the same thing: ok, and nothing was written. */
  public static Outcome duplicate(String message) {
    return new Outcome(true, Code.DUPLICATE.wire(), message);
  }

  public static Outcome refused(Code code, String message) {
    return new Outcome(false, code.wire(), message);
  }

  /** This outcome's code (a code this version does not know is {@link Code#REFUSED}). */
  public Code codeValue() {
    return Code.of(code);
  }

  public boolean is(Code c) {
    return c.wire().equals(code);
  }

  /** An ok for something accepted before ({@link #duplicate(String)}). */
  public boolean alreadyAccepted() {
    return ok && is(Code.DUPLICATE);
  }

  /** The same outcome, told with {@code newMessage}. */
  public Outcome withMessage(String newMessage) {
    return new Outcome(ok, code, newMessage);
  }
}

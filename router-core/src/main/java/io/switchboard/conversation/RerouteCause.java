package io.switchboard.conversation;

import java.util.Arrays;
import java.util.List;

/**
 * Why a conversation was re-routed ({@link Conversation.Rerouted#cause}): its agent did not reply within the reply
 * window, or stayed offline past the offline grace. The API's {@code reroutes} counts every one of them and breaks
 * them down by these causes, in this order, on a conversation and in the statistics alike (the read models'
 * {@code reroutes_<code>} columns); the metrics' {@code cause} label is the code. An escalation instead of a
 * re-route gives the cause as its reason's prefix ({@link #reason}).
 *
 * <p>What is stored and shown (events, read models, HTTP, metric labels) is the {@link #codeValue} string, as
 * before this type: the enum is only how the code decides on a cause.
 */
public enum RerouteCause {
  REPLY_WINDOW_LAPSED("reply_window_lapsed"),
  AGENT_OFFLINE("agent_offline");

  /** Every cause's code, in order. */
  public static final List<String> CODES = Arrays.stream(values()).map(RerouteCause::codeValue).toList();

  private final String code;

  RerouteCause(String code) {
    this.code = code;
  }

  /** The string events, read models, the API and the metrics carry. */
  public String codeValue() {
    return code;
  }

  /** An escalation's reason for this cause: {@code "<code>: <detail>"}. */
  public String reason(String detail) {
    return code + ": " + detail;
  }

  /**
   * The cause spelled {@code code} (a stored {@code Rerouted}'s cause), or null for null and for a code this
   * version does not know (written by a newer one): such a re-route counts in the total only.
   */
  public static RerouteCause of(String code) {
    if (code == null) return null;
    for (RerouteCause c : values()) {
      if (c.code.equals(code)) return c;
    }
    return null;
  }

  /** The cause an escalation's reason names ({@link #reason}: the code, alone or before {@code ":"}), else null. */
  public static RerouteCause ofReason(String reason) {
    if (reason == null) return null;
    int colon = reason.indexOf(':');
    return of(colon < 0 ? reason : reason.substring(0, colon));
  }
}

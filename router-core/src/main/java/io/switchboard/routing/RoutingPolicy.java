package io.switchboard.routing;

import io.switchboard.CborSerializable;
import java.time.Duration;

/**
 * The part of a team's configuration a conversation needs while it is assigned: its clocks and
 * where it goes when they run out. Travels with every offer, so the conversation never asks.
 *
 * @param replyWindow zero or null: no reply window
 * @param escalation null: park the conversation as escalated with no target (still visible)
 * @param idleAutoResolve zero or null: never auto-resolve
 * @param offlineGrace how long the assigned agent may stay offline before the conversation is told
 *     (and re-routes itself); null (policies stored before the field): the server-wide
 *     {@code switchboard.core.offline-grace}
 * @param wrapUp how long the agent's unit stays held after a resolve, for the notes after the conversation
 *     (ended early by the agent); zero or null (policies stored before the field): no wrap-up
 */
public record RoutingPolicy(
    Duration replyWindow,
    int maxReroutes,
    EscalationTarget escalation,
    boolean rerouteAnsweredOnOffline,
    Duration idleAutoResolve,
    Duration offlineGrace,
    Duration wrapUp) implements CborSerializable {

  public RoutingPolicy(Duration replyWindow, int maxReroutes, EscalationTarget escalation,
      boolean rerouteAnsweredOnOffline, Duration idleAutoResolve) {
    this(replyWindow, maxReroutes, escalation, rerouteAnsweredOnOffline, idleAutoResolve, null, null);
  }

  public RoutingPolicy(Duration replyWindow, int maxReroutes, EscalationTarget escalation,
      boolean rerouteAnsweredOnOffline, Duration idleAutoResolve, Duration offlineGrace) {
    this(replyWindow, maxReroutes, escalation, rerouteAnsweredOnOffline, idleAutoResolve, offlineGrace, null);
  }

  /** When the wrap-up after a resolve at {@code resolvedAt} ends; null: this policy has none. */
  public java.time.Instant wrapUpEnd(java.time.Instant resolvedAt) {
    return wrapUp == null || wrapUp.isZero() || wrapUp.isNegative() ? null : resolvedAt.plus(wrapUp);
  }

  /** The offline grace of this policy, or {@code serverDefault} when it names none. */
  public Duration offlineGraceOr(Duration serverDefault) {
    return offlineGrace != null ? offlineGrace : serverDefault;
  }

  public boolean hasReplyWindow() {
    return replyWindow != null && !replyWindow.isZero() && !replyWindow.isNegative();
  }

  public boolean hasIdleAutoResolve() {
    return idleAutoResolve != null && !idleAutoResolve.isZero() && !idleAutoResolve.isNegative();
  }
}

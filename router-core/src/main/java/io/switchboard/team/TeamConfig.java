package io.switchboard.team;

import io.switchboard.Canonical;
import io.switchboard.CborSerializable;
import io.switchboard.routing.BusinessHours;
import io.switchboard.routing.EscalationTarget;
import io.switchboard.routing.RoutingPolicy;
import io.switchboard.routing.StrategyKind;
import java.time.Duration;
import java.util.List;

/**
 * A team's routing configuration.
 *
 * @param members agent ids in round-robin order
 * @param replyWindow how long an assigned agent has to answer; zero: no window
 * @param maxReroutes re-routes after lapsed reply windows before the conversation escalates
 * @param escalation supervisor agent or escalation team; null parks escalations with no target
 * @param queueWaitLimit longest wait for any agent before overflow / escalation; null: no limit
 * @param overflowTeam where conversations go when the wait limit passes or the team is closed
 * @param businessHours null: always open
 * @param idleAutoResolve silence after which an answered conversation resolves; null: never
 * @param rerouteAnsweredOnOffline whether an agent going offline also gives up answered conversations
 * @param offlineGrace how long a member may stay offline before its conversations of this team are
 *     re-routed; null (configurations stored before the field): the server-wide setting
 * @param wrapUp how long a member's unit stays held after resolving a conversation of this team; null or zero:
 *     none (the unit is free at the resolve)
 */
public record TeamConfig(
    List<String> members,
    StrategyKind strategy,
    Duration replyWindow,
    int maxReroutes,
    EscalationTarget escalation,
    Duration queueWaitLimit,
    String overflowTeam,
    BusinessHours businessHours,
    Duration idleAutoResolve,
    boolean rerouteAnsweredOnOffline,
    Duration offlineGrace,
    Duration wrapUp) implements CborSerializable {

  public TeamConfig(List<String> members, StrategyKind strategy, Duration replyWindow, int maxReroutes,
      EscalationTarget escalation, Duration queueWaitLimit, String overflowTeam, BusinessHours businessHours,
      Duration idleAutoResolve, boolean rerouteAnsweredOnOffline, Duration offlineGrace) {
    this(members, strategy, replyWindow, maxReroutes, escalation, queueWaitLimit, overflowTeam, businessHours,
        idleAutoResolve, rerouteAnsweredOnOffline, offlineGrace, null);
  }

  public TeamConfig {
    members = members == null ? List.of() : List.copyOf(members);
    if (strategy == null) throw new IllegalArgumentException("strategy is required");
    if (maxReroutes < 0) throw new IllegalArgumentException("maxReroutes must be >= 0");
    if (offlineGrace != null && offlineGrace.isNegative()) throw new IllegalArgumentException("offlineGrace must be >= 0");
    if (wrapUp != null && wrapUp.isNegative()) throw new IllegalArgumentException("wrapUp must be >= 0");
    if (wrapUp != null && wrapUp.isZero()) wrapUp = null; // zero is none
    if (members.stream().distinct().count() != members.size()) {
      throw new IllegalArgumentException("members must not repeat");
    }
  }

  /** A plain team: members, a strategy and a reply window, nothing else. */
  public static TeamConfig of(List<String> members, StrategyKind strategy, Duration replyWindow) {
    return new TeamConfig(members, strategy, replyWindow, 3, null, null, null, null, null, false, null);
  }

  public TeamConfig withEscalation(EscalationTarget target, int maxReroutes) {
    return new TeamConfig(members, strategy, replyWindow, maxReroutes, target, queueWaitLimit, overflowTeam,
        businessHours, idleAutoResolve, rerouteAnsweredOnOffline, offlineGrace, wrapUp);
  }

  public TeamConfig withQueueWait(Duration limit, String overflow) {
    return new TeamConfig(members, strategy, replyWindow, maxReroutes, escalation, limit, overflow,
        businessHours, idleAutoResolve, rerouteAnsweredOnOffline, offlineGrace, wrapUp);
  }

  public TeamConfig withBusinessHours(BusinessHours hours) {
    return new TeamConfig(members, strategy, replyWindow, maxReroutes, escalation, queueWaitLimit, overflowTeam,
        hours, idleAutoResolve, rerouteAnsweredOnOffline, offlineGrace, wrapUp);
  }

  public TeamConfig withIdleAutoResolve(Duration idle) {
    return new TeamConfig(members, strategy, replyWindow, maxReroutes, escalation, queueWaitLimit, overflowTeam,
        businessHours, idle, rerouteAnsweredOnOffline, offlineGrace, wrapUp);
  }

  public TeamConfig withRerouteAnsweredOnOffline(boolean reroute) {
    return new TeamConfig(members, strategy, replyWindow, maxReroutes, escalation, queueWaitLimit, overflowTeam,
        businessHours, idleAutoResolve, reroute, offlineGrace, wrapUp);
  }

  public TeamConfig withOfflineGrace(Duration grace) {
    return new TeamConfig(members, strategy, replyWindow, maxReroutes, escalation, queueWaitLimit, overflowTeam,
        businessHours, idleAutoResolve, rerouteAnsweredOnOffline, grace, wrapUp);
  }

  public TeamConfig withWrapUp(Duration wrapUp) {
    return new TeamConfig(members, strategy, replyWindow, maxReroutes, escalation, queueWaitLimit, overflowTeam,
        businessHours, idleAutoResolve, rerouteAnsweredOnOffline, offlineGrace, wrapUp);
  }

  /** One shared instance per distinct policy ({@link Canonical}): every offer's hold and conversation keeps it. */
  public RoutingPolicy policy() {
    return Canonical.of(new RoutingPolicy(replyWindow, maxReroutes, escalation, rerouteAnsweredOnOffline,
        idleAutoResolve, offlineGrace, wrapUp));
  }
}

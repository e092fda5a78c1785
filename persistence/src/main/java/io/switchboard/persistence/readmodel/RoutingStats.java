package io.switchboard.persistence.readmodel;

import java.time.Duration;

/**
 * Routing figures of one team or agent, summed over its whole history.
 *
 * @param scope {@code team} or {@code agent}
 * @param subject the team's or agent's id ({@code tenant/name})
 * @param assignments conversations assigned (a conversation re-routed and assigned again counts twice)
 * @param firstResponses episodes whose first agent reply came from this team / agent
 * @param averageFirstResponse from the episode's first message to that reply, null when none
 * @param reroutes conversations taken from this agent (or from an agent of this team) and routed again,
 *     every cause
 * @param reroutesByCause the same by cause, every {@code RerouteCause} named (stores
 *     written before the breakdown count only later re-routes in it)
 * @param escalations conversations escalated away
 * @param resolutions conversations resolved
 */
public record RoutingStats(
    String scope,
    String subject,
    long assignments,
    long firstResponses,
    Duration averageFirstResponse,
    Duration maxFirstResponse,
    long reroutes,
    java.util.Map<String, Long> reroutesByCause,
    long escalations,
    long resolutions) {}

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
 * @param reroutes conversations taken away (reply window lapsed, agent offline)
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
    long escalations,
    long resolutions) {}

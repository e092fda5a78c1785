package io.switchboard.routing;

import io.switchboard.CborSerializable;
import java.time.Instant;

/**
 * A conversation asking its team for an agent. {@code attempt} identifies the routing round: an
 * offer made for an older round is refused by the conversation. The whole request travels with
 * every offer and refusal, so a team that restarted can still re-queue it.
 */
public record RoutingRequest(String conversationId, int attempt, int priority, Need need, Instant waitingSince)
    implements CborSerializable {

  public String channel() {
    return need.channel();
  }
}

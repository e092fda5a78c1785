package io.switchboard.gateway.live;

import io.switchboard.RoutingObserver;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The one line of the agents' live streams that the journal does not hold: {@code window_closing}
 * (a heads-up from a timer), published at once on the cluster-wide topic. Assignments, re-routes,
 * escalations and resolutions reach the streams from the durable log the projection writes
 * ({@code sb_agent_event}), so nothing here can lose them.
 */
public final class LiveEvents implements RoutingObserver {
  private final ActorRef<AgentEvents.Command> topics;

  public LiveEvents(ActorRef<AgentEvents.Command> topics) {
    this.topics = topics;
  }

  /** {@code tenant/channel:contact} → {@code channel:contact}; {@code tenant/name} → {@code name}. */
  static String local(String id) {
    if (id == null) return null;
    int slash = id.indexOf('/');
    return slash < 0 ? id : id.substring(slash + 1);
  }

  @Override
  public void replyWindowClosing(String conversationId, String agentId, Instant deadline) {
    if (agentId == null) return;
    topics.tell(new AgentEvents.Publish(new AgentEvents.Live(agentId, new AgentEvent("window_closing",
        local(agentId), local(conversationId), null, null, Instant.now(), deadline))));
  }
}

package io.switchboard.gateway.live;

import io.switchboard.EntityIds;
import io.switchboard.RoutingObserver;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The lines of the agents' live streams that the read models' log does not hold: {@code window_closing}
 * (a heads-up from a timer) and the wrap-ups ({@code wrap_up_started} with its end as the deadline,
 * {@code wrap_up_ended} with its reason; the agent's events, which are not projected), published at once
 * on the cluster-wide topic. Assignments, re-routes,
 * escalations and resolutions reach the streams from the durable log the projection writes
 * ({@code sb_agent_event}), so nothing here can lose them.
 */
public final class LiveEvents implements RoutingObserver {
  private final ActorRef<AgentEvents.Command> topics;

  public LiveEvents(ActorRef<AgentEvents.Command> topics) {
    this.topics = topics;
  }

  @Override
  public void replyWindowClosing(String conversationId, String agentId, Instant deadline) {
    if (agentId == null) return;
    topics.tell(new AgentEvents.Publish(new AgentEvents.Live(agentId, new AgentEvent("window_closing",
        EntityIds.localName(agentId), EntityIds.localName(conversationId), null, null, Instant.now(), deadline))));
  }

  @Override
  public void wrapUpStarted(String agentId, String conversationId, Instant until) {
    topics.tell(new AgentEvents.Publish(new AgentEvents.Live(agentId, new AgentEvent("wrap_up_started",
        EntityIds.localName(agentId), EntityIds.localName(conversationId), null, null, Instant.now(), until))));
  }

  @Override
  public void wrapUpEnded(String agentId, String conversationId, String reason) {
    topics.tell(new AgentEvents.Publish(new AgentEvents.Live(agentId, new AgentEvent("wrap_up_ended",
        EntityIds.localName(agentId), EntityIds.localName(conversationId), null, reason, Instant.now(), null))));
  }
}

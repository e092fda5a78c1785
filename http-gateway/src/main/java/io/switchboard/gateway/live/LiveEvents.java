package io.switchboard.gateway.live;

import io.switchboard.RoutingObserver;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorRef;

/** Turns what the routing core reports into lines of the agents' live streams. */
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

  private void send(String agentId, String type, String conversationId, String team, String reason, Instant deadline) {
    if (agentId == null) return;
    topics.tell(new AgentEvents.Publish(agentId, new AgentEvent(type, local(agentId), local(conversationId),
        local(team), reason, Instant.now(), deadline)));
  }

  @Override
  public void assigned(String conversationId, String agentId, String teamId, Duration waited) {
    send(agentId, "assigned", conversationId, teamId, null, null);
  }

  @Override
  public void rerouted(String conversationId, String fromAgent, String teamId, String cause) {
    send(fromAgent, "rerouted", conversationId, teamId, cause, null);
  }

  @Override
  public void escalated(String conversationId, String fromAgent, String supervisor, String toTeam, String reason) {
    send(fromAgent, "escalated", conversationId, toTeam, reason, null);
    send(supervisor, "escalated", conversationId, toTeam, reason, null);
  }

  @Override
  public void resolved(String conversationId, String agentId, String reason) {
    send(agentId, "resolved", conversationId, null, reason, null);
  }

  @Override
  public void replyWindowClosing(String conversationId, String agentId, Instant deadline) {
    send(agentId, "window_closing", conversationId, null, null, deadline);
  }
}

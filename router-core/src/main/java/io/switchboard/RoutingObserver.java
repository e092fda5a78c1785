package io.switchboard;

import io.switchboard.conversation.RerouteCause;
import java.time.Duration;
import java.time.Instant;

/**
 * What the routing core tells live observers once an event is persisted: the agents' live event
 * streams and the metrics. Entities call it from inside their handlers, so an implementation must be
 * quick, thread-safe and never block (a tell, a counter). Best effort: nothing is re-sent after a
 * crash; the durable record is the journal and what is fed from it (read models, webhooks).
 */
public interface RoutingObserver {
  RoutingObserver NONE = new RoutingObserver() {};

  /** A contact's message was stored; {@code opensEpisode}: it opened the conversation (again). */
  default void messageReceived(String conversationId, boolean opensEpisode) {}

  /** @param waited from the start of this routing round (the opening message, a re-route, a transfer) */
  default void assigned(String conversationId, String agentId, String teamId, Duration waited) {}

  /** Taken away from {@code fromAgent} and routed again. */
  default void rerouted(String conversationId, String fromAgent, String teamId, RerouteCause cause) {}

  /** @param fromAgent may be null; @param supervisor and @param toTeam: at most one is set */
  default void escalated(String conversationId, String fromAgent, String supervisor, String toTeam, String reason) {}

  default void resolved(String conversationId, String agentId, String reason) {}

  /** The assigned agent's reply window ends at {@code deadline}, soon (see reply-window-warning). */
  default void replyWindowClosing(String conversationId, String agentId, Instant deadline) {}

  /** A team's waiting queue changed to {@code length} entries. */
  default void queueLength(String teamId, int length) {}

  /** After resolving {@code conversationId}, {@code agentId} keeps its unit until {@code until} (its team's wrap-up). */
  default void wrapUpStarted(String agentId, String conversationId, Instant until) {}

  /** @param reason {@code deadline}, or {@code ended} by the agent */
  default void wrapUpEnded(String agentId, String conversationId, String reason) {}
}

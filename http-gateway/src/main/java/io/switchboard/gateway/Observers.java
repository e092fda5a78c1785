package io.switchboard.gateway;

import io.switchboard.RoutingObserver;
import io.switchboard.conversation.RerouteCause;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Several observers as one: each is told everything, in order. */
final class Observers implements RoutingObserver {
  private final List<RoutingObserver> all;

  Observers(RoutingObserver... all) {
    this.all = List.of(all);
  }

  @Override
  public void messageReceived(String conversationId, boolean opensEpisode) {
    all.forEach(o -> o.messageReceived(conversationId, opensEpisode));
  }

  @Override
  public void assigned(String conversationId, String agentId, String teamId, Duration waited) {
    all.forEach(o -> o.assigned(conversationId, agentId, teamId, waited));
  }

  @Override
  public void rerouted(String conversationId, String fromAgent, String teamId, RerouteCause cause) {
    all.forEach(o -> o.rerouted(conversationId, fromAgent, teamId, cause));
  }

  @Override
  public void escalated(String conversationId, String fromAgent, String supervisor, String toTeam, String reason) {
    all.forEach(o -> o.escalated(conversationId, fromAgent, supervisor, toTeam, reason));
  }

  @Override
  public void resolved(String conversationId, String agentId, String reason) {
    all.forEach(o -> o.resolved(conversationId, agentId, reason));
  }

  @Override
  public void replyWindowClosing(String conversationId, String agentId, Instant deadline) {
    all.forEach(o -> o.replyWindowClosing(conversationId, agentId, deadline));
  }

  @Override
  public void queueLength(String teamId, int length) {
    all.forEach(o -> o.queueLength(teamId, length));
  }

  @Override
  public void wrapUpStarted(String agentId, String conversationId, Instant until) {
    all.forEach(o -> o.wrapUpStarted(agentId, conversationId, until));
  }

  @Override
  public void wrapUpEnded(String agentId, String conversationId, String reason) {
    all.forEach(o -> o.wrapUpEnded(agentId, conversationId, reason));
  }
}

package io.switchboard.testkit;

import io.switchboard.RoutingObserver;
import io.switchboard.conversation.RerouteCause;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what entities tell their observer, as readable lines, for tests to assert on. */
public final class RecordingObserver implements RoutingObserver {
  private final List<String> lines = new CopyOnWriteArrayList<>();

  public List<String> lines() {
    return List.copyOf(lines);
  }

  /** The lines that start with {@code prefix} (e.g. "assigned "). */
  public List<String> of(String prefix) {
    return lines.stream().filter(l -> l.startsWith(prefix)).toList();
  }

  @Override
  public void messageReceived(String conversationId, boolean opensEpisode) {
    lines.add("message " + conversationId + (opensEpisode ? " opens" : ""));
  }

  @Override
  public void assigned(String conversationId, String agentId, String teamId, Duration waited) {
    lines.add("assigned " + conversationId + " " + agentId + " " + teamId + " waited " + waited);
  }

  @Override
  public void rerouted(String conversationId, String fromAgent, String teamId, RerouteCause cause) {
    lines.add("rerouted " + conversationId + " from " + fromAgent + " " + cause.codeValue());
  }

  @Override
  public void escalated(String conversationId, String fromAgent, String supervisor, String toTeam, String reason) {
    lines.add("escalated " + conversationId + " from " + fromAgent + " to " + (supervisor != null ? supervisor : toTeam));
  }

  @Override
  public void resolved(String conversationId, String agentId, String reason) {
    lines.add("resolved " + conversationId + " " + agentId);
  }

  @Override
  public void replyWindowClosing(String conversationId, String agentId, Instant deadline) {
    lines.add("closing " + conversationId + " " + agentId + " at " + deadline);
  }

  @Override
  public void queueLength(String teamId, int length) {
    lines.add("queue " + teamId + " " + length);
  }

  @Override
  public void wrapUpStarted(String agentId, String conversationId, Instant until) {
    lines.add("wrap-up " + conversationId + " " + agentId + " until " + until);
  }

  @Override
  public void wrapUpEnded(String agentId, String conversationId, String reason) {
    lines.add("wrap-up-ended " + conversationId + " " + agentId + " " + reason);
  }
}

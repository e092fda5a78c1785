package io.switchboard.conversation;

import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation.Event;
import io.switchboard.conversation.Conversation.QueueCheck;
import io.switchboard.conversation.Conversation.Redeliver;
import io.switchboard.conversation.Conversation.Release;
import io.switchboard.conversation.Conversation.ReleaseAcknowledged;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.team.Team;
import java.util.HashSet;
import java.util.List;
import org.apache.pekko.persistence.typed.javadsl.Effect;

/**
 * The at-least-once layer (docs/ARCHITECTURE.md "Re-sends"): asking the team for an agent again,
 * re-sending releases until acknowledged, and answering a recovered team's queue check.
 *
 * <p>Stateless: every method takes the conversation's entity {@code e} (its fields and soft state) and
 * the current state {@code s}; {@link ConversationEntity} dispatches the commands here.
 */
final class Redelivery {

  private Redelivery() {}

  static Effect<Event, State> onReleaseAcknowledged(ConversationEntity e, ReleaseAcknowledged c) {
    if (e.releasesAcked == null) e.releasesAcked = new HashSet<>(4);
    e.releasesAcked.add(new Release(c.agentId(), c.hold()));
    Sleep.settleWakeAgain(e);
    return e.Effect().none();
  }

  static Effect<Event, State> onQueueCheck(ConversationEntity e, State s, QueueCheck c) {
    if (s.status() == Status.WAITING && c.team().equals(s.team()) && c.attempt() == s.attempt()) askTeam(e, s);
    else e.directory.team(c.team(), new Team.Withdraw(e.conversationId, c.attempt()));
    return e.Effect().none();
  }

  static Effect<Event, State> onRedeliver(ConversationEntity e, State s, Redeliver c) {
    e.redeliveryDue = null;
    if (s.status() == Status.WAITING) e.directory.team(s.team(), new Team.RequestAgent(e.request(s)));
    sendReleases(e, s);
    Deadlines.scheduleRedelivery(e, s);
    return e.Effect().none();
  }

  static void askTeam(ConversationEntity e, State s) {
    e.directory.team(s.team(), new Team.RequestAgent(e.request(s)));
    Deadlines.scheduleRedelivery(e, s);
  }

  static List<Release> unackedReleases(ConversationEntity e, State s) {
    if (s.releases().isEmpty()) return List.of();
    if (e.releasesAcked == null) return s.releases();
    return s.releases().stream().filter(r -> !e.releasesAcked.contains(r)).toList();
  }

  static void sendReleases(ConversationEntity e, State s) {
    for (Release r : unackedReleases(e, s)) {
      e.directory.agent(r.agentId(), new Agent.Release(e.conversationId, r.hold(), r.wrapUpUntil()));
    }
  }
}

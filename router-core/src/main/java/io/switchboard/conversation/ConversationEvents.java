package io.switchboard.conversation;

import io.switchboard.conversation.Conversation.AgentReplied;
import io.switchboard.conversation.Conversation.Assigned;
import io.switchboard.conversation.Conversation.ContactEventRecorded;
import io.switchboard.conversation.Conversation.ContactFieldsLearned;
import io.switchboard.conversation.Conversation.Escalated;
import io.switchboard.conversation.Conversation.Event;
import io.switchboard.conversation.Conversation.MessageReceived;
import io.switchboard.conversation.Conversation.Overflowed;
import io.switchboard.conversation.Conversation.Pending;
import io.switchboard.conversation.Conversation.PolicyLearned;
import io.switchboard.conversation.Conversation.Rerouted;
import io.switchboard.conversation.Conversation.Resolved;
import io.switchboard.conversation.Conversation.RulesDecided;
import io.switchboard.conversation.Conversation.ServiceWindowClosed;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.conversation.Conversation.StepAnswered;
import io.switchboard.conversation.Conversation.StepFailed;
import io.switchboard.conversation.Conversation.StepRetried;
import io.switchboard.conversation.Conversation.StepStarted;
import io.switchboard.conversation.Conversation.TransferRequested;
import io.switchboard.conversation.Conversation.TransferredToTeam;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandlerBuilder;

/**
 * The conversation's event handler: how each persisted event changes the {@link State}. It is pure (it
 * runs again on replay), so it holds no entity: {@link Conversation#init} builds it once per node and
 * every conversation of the node shares it.
 */
final class ConversationEvents {

  private ConversationEvents() {}

  /** The event handler (pure: a function of the state and the event, and of the setting given). */
  static EventHandler<State, Event> eventHandlerFor(int recentMessageIds) {
    return EventHandlerBuilder.<State, Event>builder().forAnyState()
        .onEvent(MessageReceived.class, (s, e) -> {
          StateBuilder b = s.toBuilder();
          if (!s.isOpen()) {
            b.unassign().waitIn(e.team(), e.at(), "new_message");
            b.priority = e.hint().priority();
            b.requiredSkills = e.hint().requiredSkills();
            b.language = e.hint().language() != null ? e.hint().language() : s.language();
            b.reroutes = 0;
            b.reroutesByCause = Map.of();
            b.lapsedAgents = Set.of();
            b.visitedTeams = e.team() == null ? Set.of() : Set.of(e.team());
            b.stepsDone = Set.of();
            b.pending = null;
            b.routing = null;
            b.preferredAgent = s.previousAgent(); // a returning contact prefers its previous agent
            b.episodes++;
            b.poolOnly = false;
            b.routedBy = null;
          }
          b.awaitingReply = true;
          b.replyDeadline = e.replyDeadline();
          b.idleDeadline = null;
          b.lastInboundAt = e.at();
          b.serviceWindowClosesAt = e.serviceWindowClosesAt();
          b.serviceWindowClosed = false;
          b.messages++;
          List<String> ids = new ArrayList<>(s.recentMessageIds());
          ids.add(e.messageId());
          int max = recentMessageIds;
          b.recentMessageIds = List.copyOf(ids.size() > max ? ids.subList(ids.size() - max, ids.size()) : ids);
          return b.build();
        })
        .onEvent(Assigned.class, (s, e) -> {
          StateBuilder b = s.toBuilder().unassign();
          b.status = Status.ASSIGNED;
          b.agentId = e.agentId();
          b.hold = e.hold();
          if (e.team() != null) b.team = e.team();
          b.policy = e.policy();
          b.assignedAt = e.at();
          b.replyDeadline = e.replyDeadline();
          b.idleDeadline = e.idleDeadline();
          b.escalatedTo = null;
          b.reason = null;
          b.preferredAgent = null;
          return b.build();
        })
        .onEvent(AgentReplied.class, (s, e) -> {
          StateBuilder b = s.toBuilder();
          b.answered = true;
          b.awaitingReply = false;
          b.replyDeadline = null;
          b.idleDeadline = e.idleDeadline();
          return b.build();
        })
        .onEvent(Rerouted.class, (s, e) -> {
          StateBuilder b = s.toBuilder().unassign().waitIn(s.team(), e.at(), e.cause());
          Map<String, Integer> byCause = new TreeMap<>(s.reroutesByCause());
          byCause.merge(e.cause(), 1, Integer::sum);
          b.reroutesByCause = Map.copyOf(byCause);
          if (e.lapsed()) {
            Set<String> lapsed = new LinkedHashSet<>(s.lapsedAgents());
            lapsed.add(e.fromAgent());
            b.lapsedAgents = Set.copyOf(lapsed);
            b.reroutes++;
          }
          return b.build();
        })
        .onEvent(Escalated.class, (s, e) -> {
          StateBuilder b = s.toBuilder().unassign();
          if (e.team() != null) {
            b.waitIn(e.team(), e.at(), e.reason()).visit(e.team());
            b.reroutes = 0;
          } else {
            b.status = Status.ESCALATED;
            b.escalatedTo = e.supervisor();
            b.reason = e.reason();
          }
          return b.build();
        })
        .onEvent(Overflowed.class, (s, e) -> s.toBuilder().waitIn(e.toTeam(), e.at(), e.reason()).visit(e.toTeam())
            .build())
        .onEvent(PolicyLearned.class, (s, e) -> {
          StateBuilder b = s.toBuilder();
          b.policy = e.policy();
          return b.build();
        })
        .onEvent(TransferRequested.class, (s, e) -> {
          StateBuilder b = s.toBuilder();
          b.attempt++;
          b.transferTo = e.toAgent();
          return b.build();
        })
        .onEvent(TransferredToTeam.class, (s, e) -> {
          StateBuilder b = s.toBuilder().unassign().waitIn(e.toTeam(), e.at(), "transferred by " + e.requestedBy())
              .visit(e.toTeam());
          b.reroutes = 0;
          b.preferredAgent = null;
          return b.build();
        })
        .onEvent(Resolved.class, (s, e) -> {
          StateBuilder b = s.toBuilder().unassign();
          if (s.agentId() != null) b.previousAgent = s.agentId();
          b.preferredAgent = null;
          b.status = Status.RESOLVED;
          b.reason = e.reason();
          b.escalatedTo = null;
          b.awaitingReply = false;
          return b.build();
        })
        .onEvent(ContactFieldsLearned.class, (s, e) -> {
          StateBuilder b = s.toBuilder();
          b.mergeFields(e.fields());
          return b.build();
        })
        .onEvent(ContactEventRecorded.class, (s, e) -> {
          StateBuilder b = s.toBuilder();
          b.mergeFields(e.fields());
          List<String> ids = new ArrayList<>(s.recentMessageIds());
          ids.add(e.eventId());
          int max = recentMessageIds;
          b.recentMessageIds = List.copyOf(ids.size() > max ? ids.subList(ids.size() - max, ids.size()) : ids);
          return b.build();
        })
        .onEvent(StepStarted.class, (s, e) -> {
          StateBuilder b = s.toBuilder();
          b.status = Status.ROUTING;
          b.pending = new Pending(e.stepId(), e.rule(), e.question(), e.lookup(), 1, e.deadline(),
              e.question() == null ? null : e.question().text());
          b.priority = e.priority();
          b.reason = e.reason();
          b.routing = e.routing();
          b.mergeFields(e.setFields());
          b.addTags(e.tags());
          return b.build();
        })
        .onEvent(StepAnswered.class, (s, e) -> {
          StateBuilder b = s.toBuilder();
          b.mergeFields(e.fields());
          b.stepDone(e.stepId());
          b.pending = null;
          return b.build();
        })
        .onEvent(StepRetried.class, (s, e) -> {
          StateBuilder b = s.toBuilder();
          Pending p = s.pending();
          if (p != null) {
            b.pending = new Pending(p.stepId(), p.rule(), p.question(), p.lookup(), e.attempt(), e.deadline(),
                e.message() + "\n\n" + p.question().text());
          }
          return b.build();
        })
        .onEvent(StepFailed.class, (s, e) -> {
          StateBuilder b = s.toBuilder();
          b.stepDone(e.stepId());
          b.pending = null;
          b.reason = e.reason();
          return b.build();
        })
        .onEvent(RulesDecided.class, (s, e) -> {
          StateBuilder b = s.toBuilder();
          if (s.status() == Status.ROUTING && e.team() != null) {
            b.waitIn(e.team(), e.at(), e.reason()).visit(e.team());
          } else if (s.status() == Status.ROUTING) {
            b.status = Status.ESCALATED; // nowhere to go (rules that match nothing, no default): parked, visibly
          }
          b.routing = null;
          b.pending = null;
          b.priority = e.priority();
          b.reason = e.reason();
          if (e.preferredAgent() != null) b.preferredAgent = e.preferredAgent();
          if (!e.skills().isEmpty()) b.requiredSkills = withSkills(s.requiredSkills(), e.skills());
          b.poolOnly = e.poolOnly();
          b.routedBy = e.reason();
          b.mergeFields(e.setFields());
          b.addTags(e.tags());
          return b.build();
        })
        .onEvent(ServiceWindowClosed.class, (s, e) -> {
          StateBuilder b = s.toBuilder();
          b.serviceWindowClosed = true;
          return b.build();
        })
        .build();
  }

  /**
   * The message's own required skills with a rule's team action's skills added (a skill both name
   * needs the higher level), so a skill-based team matches agents against both.
   */
  static Map<String, Integer> withSkills(Map<String, Integer> own, Map<String, Integer> rule) {
    Map<String, Integer> all = new TreeMap<>(own == null ? Map.of() : own);
    rule.forEach((skill, level) -> all.merge(skill, level, Math::max));
    return Map.copyOf(all);
  }
}

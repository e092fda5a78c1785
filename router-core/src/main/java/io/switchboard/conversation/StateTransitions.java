package io.switchboard.conversation;

import io.switchboard.conversation.Conversation.AgentReplied;
import io.switchboard.conversation.Conversation.Assigned;
import io.switchboard.conversation.Conversation.ContactEventRecorded;
import io.switchboard.conversation.Conversation.Escalated;
import io.switchboard.conversation.Conversation.MessageReceived;
import io.switchboard.conversation.Conversation.Overflowed;
import io.switchboard.conversation.Conversation.Pending;
import io.switchboard.conversation.Conversation.PolicyLearned;
import io.switchboard.conversation.Conversation.Release;
import io.switchboard.conversation.Conversation.Rerouted;
import io.switchboard.conversation.Conversation.ServiceWindowClosed;
import io.switchboard.conversation.Conversation.Resolved;
import io.switchboard.conversation.Conversation.RulesDecided;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.conversation.Conversation.StepAnswered;
import io.switchboard.conversation.Conversation.StepFailed;
import io.switchboard.conversation.Conversation.StepRetried;
import io.switchboard.conversation.Conversation.StepStarted;
import io.switchboard.conversation.Conversation.TransferRequested;
import io.switchboard.conversation.Conversation.TransferredToTeam;
import io.switchboard.conversation.state.Assignment;
import io.switchboard.conversation.state.Clocks;
import io.switchboard.conversation.state.ContactMemory;
import io.switchboard.conversation.state.Round;
import io.switchboard.conversation.state.RuleFlow;
import io.switchboard.routing.RoutingPolicy;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How each event changes the conversation's {@link State}: one method per event, which {@link State}
 * implements (it is here so that {@link Conversation} stays the protocol). Each builds the next state from
 * the records of the one before, through their own transitions ({@link Round}, {@link Assignment},
 * {@link Clocks}, {@link RuleFlow}, {@link ContactMemory}), and shares the records an event does not touch.
 * Pure: {@link ConversationEvents} calls them on replay too.
 */
interface StateTransitions {

  Status status();

  Round round();

  Assignment assignment();

  Clocks clocks();

  RuleFlow rules();

  ContactMemory contact();

  List<Release> releases();

  RoutingPolicy policy();

  String escalatedTo();

  boolean isOpen();

  String agentId();

  // ---- transitions: one per event ({@link ConversationEvents}) ----

  default State messageReceived(MessageReceived e, int recentMessageIds) {
    boolean opens = !isOpen();
    State s = !opens ? (State) this : new State(Status.WAITING,
        round().newEpisode(e.team(), e.at(), e.hint(), contact().previousAgent()), null, clocks(), RuleFlow.EMPTY,
        contact(), Assignment.released(assignment(), releases()), policy(), null);
    return new State(s.status(), s.round(), s.assignment(),
        s.clocks().messageReceived(e.at(), e.replyDeadline(), e.serviceWindowClosesAt()), s.rules(),
        s.contact().messageReceived(e.messageId(), opens, recentMessageIds), s.releases(), s.policy(),
        s.escalatedTo());
  }

  default State assigned(Assigned e) {
    return new State(Status.ASSIGNED, round().assigned(e.team()), Assignment.of(e.agentId(), e.hold(), e.at()),
        clocks().assigned(e.replyDeadline(), e.idleDeadline()), rules(), contact(),
        Assignment.released(assignment(), releases()), e.policy(), null);
  }

  default State agentReplied(AgentReplied e) {
    Assignment a = assignment() == null ? new Assignment(null, null, null, true, null) : assignment().replied();
    return with(a, clocks().replyAnswered(e.idleDeadline()), contact());
  }

  default State rerouted(Rerouted e) {
    return unassigned(Status.WAITING, round().rerouted(e.fromAgent(), e.cause(), e.lapsed(), e.at()), null);
  }

  /** To the escalation team (routing continues there), else parked with the supervisor. */
  default State escalated(Escalated e) {
    return e.team() != null ? unassigned(Status.WAITING, round().movedTo(e.team(), e.at(), e.reason(), true), null)
        : unassigned(Status.ESCALATED, round().because(e.reason()), e.supervisor());
  }

  default State overflowed(Overflowed e) {
    return new State(Status.WAITING, round().movedTo(e.toTeam(), e.at(), e.reason(), false), assignment(),
        clocks(), rules(), contact(), releases(), policy(), null);
  }

  default State policyLearned(PolicyLearned e) {
    return new State(status(), round(), assignment(), clocks(), rules(), contact(), releases(), e.policy(),
        escalatedTo());
  }

  default State transferRequested(TransferRequested e) {
    return new State(status(), round().nextAttempt(), Assignment.transferring(assignment(), e.toAgent()),
        clocks(), rules(), contact(), releases(), policy(), escalatedTo());
  }

  default State transferredToTeam(TransferredToTeam e) {
    Round r = round().movedTo(e.toTeam(), e.at(), "transferred by " + e.requestedBy(), true);
    return unassigned(Status.WAITING, r.withoutPreferredAgent(), null);
  }

  default State resolved(Resolved e) {
    return new State(Status.RESOLVED, round().withoutPreferredAgent().because(e.reason()), null,
        clocks().resolved(), rules(), contact().resolvedBy(agentId()),
        Assignment.released(assignment(), releases(), policy() == null ? null : policy().wrapUpEnd(e.at())),
        policy(), null);
  }

  default State learned(Map<String, String> fields, Set<String> tags) {
    return with(assignment(), clocks(), contact().learned(fields, tags));
  }

  default State contactEventRecorded(ContactEventRecorded e, int recentMessageIds) {
    return with(assignment(), clocks(), contact().eventRecorded(e.eventId(), e.fields(), recentMessageIds));
  }

  default State stepStarted(StepStarted e) {
    Pending p = new Pending(e.stepId(), e.rule(), e.question(), e.lookup(), 1, e.deadline(),
        e.question() == null ? null : e.question().text());
    return new State(Status.ROUTING, round().stepStarted(e.priority(), e.reason()), assignment(), clocks(),
        rules().started(p, e.routing()), contact().learned(e.setFields(), e.tags()), releases(), policy(),
        escalatedTo());
  }

  default State stepAnswered(StepAnswered e) {
    return new State(status(), round(), assignment(), clocks(), rules().stepDone(e.stepId()),
        contact().learned(e.fields(), null), releases(), policy(), escalatedTo());
  }

  default State stepRetried(StepRetried e) {
    return new State(status(), round(), assignment(), clocks(), rules().retried(e.attempt(), e.deadline(),
        e.message()), contact(), releases(), policy(), escalatedTo());
  }

  default State stepFailed(StepFailed e) {
    return new State(status(), round().because(e.reason()), assignment(), clocks(), rules().stepDone(e.stepId()),
        contact(), releases(), policy(), escalatedTo());
  }

  default State rulesDecided(RulesDecided e) {
    boolean routes = status() == Status.ROUTING && e.team() != null;
    Round r = routes ? round().movedTo(e.team(), e.at(), e.reason(), false) : round();
    // nowhere to go (rules that match nothing, no default): parked, visibly
    Status next = routes ? Status.WAITING : status() == Status.ROUTING ? Status.ESCALATED : status();
    return new State(next, r.decided(e.reason(), e.priority(), e.preferredAgent(), e.skills(), e.poolOnly()),
        assignment(), clocks(), rules().decided(), contact().learned(e.setFields(), e.tags()), releases(), policy(),
        routes ? null : escalatedTo());
  }

  default State serviceWindowEnded(ServiceWindowClosed e) {
    return with(assignment(), clocks().serviceWindowEnded(), contact());
  }

  private State with(Assignment a, Clocks c, ContactMemory m) {
    return new State(status(), round(), a, c, rules(), m, releases(), policy(), escalatedTo());
  }

  /** Leaves the current agent (if any, remembered to be released) for {@code next} in {@code r}. */
  private State unassigned(Status next, Round r, String supervisor) {
    return new State(next, r, null, clocks().unassigned(), rules(), contact(),
        Assignment.released(assignment(), releases()), policy(), supervisor);
  }
}

package io.switchboard.conversation;

import io.switchboard.conversation.Conversation.AgentReplied;
import io.switchboard.conversation.Conversation.Assigned;
import io.switchboard.conversation.Conversation.ContactEventRecorded;
import io.switchboard.conversation.Conversation.ContactFieldsLearned;
import io.switchboard.conversation.Conversation.Escalated;
import io.switchboard.conversation.Conversation.Event;
import io.switchboard.conversation.Conversation.MessageReceived;
import io.switchboard.conversation.Conversation.Overflowed;
import io.switchboard.conversation.Conversation.PolicyLearned;
import io.switchboard.conversation.Conversation.Rerouted;
import io.switchboard.conversation.Conversation.Resolved;
import io.switchboard.conversation.Conversation.RulesDecided;
import io.switchboard.conversation.Conversation.ServiceWindowClosed;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.StepAnswered;
import io.switchboard.conversation.Conversation.StepFailed;
import io.switchboard.conversation.Conversation.StepRetried;
import io.switchboard.conversation.Conversation.StepStarted;
import io.switchboard.conversation.Conversation.TransferRequested;
import io.switchboard.conversation.Conversation.TransferredToTeam;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandlerBuilder;

/**
 * The conversation's event handler: which transition of the {@link State} each persisted event is
 * ({@link StateTransitions}). It is pure (it runs again on replay), so it holds no entity:
 * {@link Conversation#init} builds it once per node and every conversation of the node shares it.
 */
final class ConversationEvents {

  private ConversationEvents() {}

  /** The event handler (pure: a function of the state and the event, and of the setting given). */
  static EventHandler<State, Event> eventHandlerFor(int recentMessageIds) {
    return EventHandlerBuilder.<State, Event>builder().forAnyState()
        .onEvent(MessageReceived.class, (s, e) -> s.messageReceived(e, recentMessageIds))
        .onEvent(Assigned.class, State::assigned)
        .onEvent(AgentReplied.class, State::agentReplied)
        .onEvent(Rerouted.class, State::rerouted)
        .onEvent(Escalated.class, State::escalated)
        .onEvent(Overflowed.class, State::overflowed)
        .onEvent(PolicyLearned.class, State::policyLearned)
        .onEvent(TransferRequested.class, State::transferRequested)
        .onEvent(TransferredToTeam.class, State::transferredToTeam)
        .onEvent(Resolved.class, State::resolved)
        .onEvent(ContactFieldsLearned.class, (s, e) -> s.learned(e.fields(), null))
        .onEvent(ContactEventRecorded.class, (s, e) -> s.contactEventRecorded(e, recentMessageIds))
        .onEvent(StepStarted.class, State::stepStarted)
        .onEvent(StepAnswered.class, State::stepAnswered)
        .onEvent(StepRetried.class, State::stepRetried)
        .onEvent(StepFailed.class, State::stepFailed)
        .onEvent(RulesDecided.class, State::rulesDecided)
        .onEvent(ServiceWindowClosed.class, State::serviceWindowEnded)
        .build();
  }
}

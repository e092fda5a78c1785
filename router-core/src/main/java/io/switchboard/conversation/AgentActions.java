package io.switchboard.conversation;

import io.switchboard.HoldToken;
import io.switchboard.Outcome;
import io.switchboard.Outcome.Code;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation.Release;
import io.switchboard.conversation.Conversation.AgentReplied;
import io.switchboard.conversation.Conversation.AgentReply;
import io.switchboard.conversation.Conversation.AgentWentOffline;
import io.switchboard.conversation.Conversation.Event;
import io.switchboard.conversation.Conversation.Rerouted;
import io.switchboard.conversation.Conversation.Resolve;
import io.switchboard.conversation.Conversation.Resolved;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.conversation.Conversation.Transfer;
import io.switchboard.conversation.Conversation.TransferDeclined;
import io.switchboard.conversation.Conversation.TransferRequested;
import io.switchboard.conversation.Conversation.TransferredToTeam;
import io.switchboard.routing.RoutingPolicy;
import io.switchboard.team.Team;
import java.time.Instant;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;

/**
 * What the assigned agent or a supervisor does: reply (within the 24 h service window unless a
 * template), transfer to an agent or a team, resolve; and an agent that stayed offline, re-routed.
 *
 * <p>Stateless: every method takes the conversation's entity {@code e} (its fields and soft state) and
 * the current state {@code s}; {@link ConversationEntity} dispatches the commands here.
 */
final class AgentActions {

  private AgentActions() {}

  static Effect<Event, State> onAgentReply(ConversationEntity e, State s, AgentReply c) {
    if (s.status() != Status.ASSIGNED || !c.agentId().equals(s.agentId())) {
      return e.Effect().reply(c.replyTo(), Outcome.refused(Code.NOT_ASSIGNED,
          "conversation " + e.conversationId + " is not assigned to " + c.agentId()));
    }
    Instant now = e.clock.instant();
    if (!c.template() && (s.clocks().serviceWindowClosed() || !now.isBefore(s.clocks().serviceWindowClosesAt()))) {
      return e.Effect().reply(c.replyTo(), Outcome.refused(Code.SERVICE_WINDOW_CLOSED,
          "the customer service window closed at " + s.clocks().serviceWindowClosesAt()
              + " (24 h after the contact's last message): only a template message can be sent"));
    }
    RoutingPolicy policy = e.policyOf(s);
    Instant idle = policy.hasIdleAutoResolve() ? now.plus(policy.idleAutoResolve()) : null;
    return e.Effect().persist(new AgentReplied(c.agentId(), c.template(), now, idle, !s.answered()))
        .thenRun(ns -> Deadlines.armTimers(e, ns))
        .thenReply(c.replyTo(), ns -> Outcome.ok(c.template() ? "template sent" : "reply sent"));
  }

  static Effect<Event, State> onTransfer(ConversationEntity e, State s, Transfer c) {
    if (!s.isOpen()) {
      return e.Effect().reply(c.replyTo(),
          Outcome.refused(Code.NOT_OPEN, "conversation " + e.conversationId + " is not open"));
    }
    if ((c.toAgent() == null) == (c.toTeam() == null)) {
      return e.Effect().reply(c.replyTo(), Outcome.refused(Code.BAD_TRANSFER, "name exactly one of toAgent, toTeam"));
    }
    Instant now = e.clock.instant();
    if (c.toTeam() != null) {
      String fromAgent = s.agentId();
      HoldToken fromHold = s.hold();
      String fromTeam = s.team();
      boolean wasWaiting = s.status() == Status.WAITING;
      return e.Effect().persist(new TransferredToTeam(fromAgent, fromHold, c.toTeam(), c.requestedBy(), now))
          .thenRun(ns -> {
            if (fromAgent != null) e.directory.agent(fromAgent, new Agent.Release(e.conversationId, fromHold));
            if (wasWaiting && !fromTeam.equals(c.toTeam())) {
              e.directory.team(fromTeam, new Team.Withdraw(e.conversationId, s.attempt()));
            }
            Redelivery.askTeam(e, ns);
            Deadlines.armTimers(e, ns);
          })
          .thenReply(c.replyTo(), ns -> Outcome.ok("transferred to team " + c.toTeam()));
    }
    if (c.toAgent().equals(s.agentId())) {
      return e.Effect().reply(c.replyTo(), Outcome.refused(Code.ALREADY_ASSIGNED,
          "conversation " + e.conversationId + " is already assigned to " + c.toAgent()));
    }
    return e.Effect().persist(new TransferRequested(c.toAgent(), c.requestedBy(), now))
        .thenRun(ns -> e.directory.agent(c.toAgent(), new Agent.Offer(e.request(ns), HoldToken.round(ns.attempt()),
            ns.team(), e.policyOf(ns), true, c.replyTo())));
  }

  static Effect<Event, State> onTransferDeclined(ConversationEntity e, State s, TransferDeclined c) {
    e.reply(c.replyTo(), Outcome.refused(Code.of(c.reason()), "agent " + c.agentId() + " cannot take the conversation: "
        + c.reason()));
    if (s.status() == Status.WAITING && c.hold().isRound(s.attempt())) Redelivery.askTeam(e, s);
    return e.Effect().none();
  }

  static Effect<Event, State> onResolve(ConversationEntity e, State s, Resolve c) {
    if (!s.isOpen()) {
      return e.Effect().reply(c.replyTo(),
          Outcome.refused(Code.NOT_OPEN, "conversation " + e.conversationId + " is not open"));
    }
    return resolve(e, s, "resolved by " + c.requestedBy()).thenReply(c.replyTo(), ns -> Outcome.ok("resolved"));
  }

  static EffectBuilder<Event, State> resolve(ConversationEntity e, State s, String reason) {
    String agent = s.agentId();
    HoldToken hold = s.hold();
    boolean wasWaiting = s.status() == Status.WAITING;
    return e.Effect().persist(new Resolved(agent, hold, reason, e.clock.instant()))
        .thenRun(ns -> {
          if (agent != null) {
            Release given = ns.releases().isEmpty() ? null : ns.releases().get(ns.releases().size() - 1);
            e.directory.agent(agent, new Agent.Release(e.conversationId, hold, given == null ? null : given.wrapUpUntil()));
          }
          if (wasWaiting) e.directory.team(s.team(), new Team.Withdraw(e.conversationId, s.attempt()));
          Deadlines.armTimers(e, ns);
          e.observer.resolved(e.conversationId, agent, reason);
        });
  }

  static Effect<Event, State> onAgentWentOffline(ConversationEntity e, State s, AgentWentOffline c) {
    if (s.status() != Status.ASSIGNED || !c.agentId().equals(s.agentId()) || !c.hold().equals(s.hold())) {
      return e.Effect().none();
    }
    if (s.answered() && !e.policyOf(s).rerouteAnsweredOnOffline()) return e.Effect().none();
    return reroute(e, s, RerouteCause.AGENT_OFFLINE, false);
  }

  static Effect<Event, State> reroute(ConversationEntity e, State s, RerouteCause cause, boolean lapsed) {
    String agent = s.agentId();
    HoldToken hold = s.hold();
    return e.Effect().persist(new Rerouted(agent, hold, cause.codeValue(), lapsed, e.clock.instant()))
        .thenRun(ns -> {
          e.directory.agent(agent, new Agent.Release(e.conversationId, hold));
          Redelivery.askTeam(e, ns);
          Deadlines.armTimers(e, ns);
          e.observer.rerouted(e.conversationId, agent, ns.team(), cause);
        });
  }
}

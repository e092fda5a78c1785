package io.switchboard.conversation;

import io.switchboard.HoldToken;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.Outcome.Code;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation.AssignTo;
import io.switchboard.conversation.Conversation.Assigned;
import io.switchboard.conversation.Conversation.Escalated;
import io.switchboard.conversation.Conversation.Event;
import io.switchboard.conversation.Conversation.Overflowed;
import io.switchboard.conversation.Conversation.PolicyLearned;
import io.switchboard.conversation.Conversation.Queued;
import io.switchboard.conversation.Conversation.Release;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.conversation.Conversation.TeamCannotServe;
import io.switchboard.routing.EscalationTarget;
import io.switchboard.routing.RoutingPolicy;
import io.switchboard.team.Team;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.persistence.typed.javadsl.Effect;

/**
 * Who holds the conversation: an agent's reservation ({@link Conversation.AssignTo}) accepted or
 * refused (invariant 1), the team's acknowledgement of a round ({@link Conversation.Queued}), and a team
 * that cannot serve it (overflow, else escalation).
 *
 * <p>Stateless: every method takes the conversation's entity {@code e} (its fields and soft state) and
 * the current state {@code s}; {@link ConversationEntity} dispatches the commands here.
 */
final class Assignments {

  private Assignments() {}

  static Effect<Event, State> onAssignTo(ConversationEntity e, State s, AssignTo c) {
    boolean expired = c.grantExpired(e.clock.instant(), e.settings.grants().ttl());
    if (e.pre != null) {
      if (c.hold().isRound(e.pre.next().attempt()) && !expired) return Intake.storeAssigned(e, c);
      return e.Effect().stash(); // a claim or an older round: decided once the opening message is stored
    }
    if (s.status() == Status.ASSIGNED && c.agentId().equals(s.agentId()) && c.hold().equals(s.hold())) {
      e.directory.agent(c.agentId(),
          new Agent.AssignmentConfirmed(e.conversationId, c.hold(), claimPolicy(c, e.policyOf(s))));
      e.reply(c.replyTo(), Outcome.ok("assigned to " + c.agentId()));
      return e.Effect().none();
    }
    if (expired || !acceptable(s, c) || !mayClaim(e, s, c)) {
      e.directory.agent(c.agentId(), new Agent.Release(e.conversationId, c.hold()));
      e.reply(c.replyTo(), !expired && acceptable(s, c) ? notAMember(s, c) : refusalFor(e, s, c));
      return e.Effect().none();
    }
    Instant now = e.clock.instant();
    RoutingPolicy policy = c.policy() != null ? c.policy() : e.policyOf(s);
    Instant replyDeadline = s.awaitingReply() && policy.hasReplyWindow() ? now.plus(policy.replyWindow()) : null;
    Instant idle = !s.awaitingReply() && policy.hasIdleAutoResolve() ? now.plus(policy.idleAutoResolve()) : null;
    Status before = s.status();
    String previous = s.agentId();
    HoldToken previousHold = s.hold();
    return e.Effect().persist(new Assigned(c.agentId(), c.hold(), c.team(), policy, now, replyDeadline, idle,
            previous, previousHold))
        .thenRun(ns -> {
          e.directory.agent(c.agentId(),
              new Agent.AssignmentConfirmed(e.conversationId, c.hold(), claimPolicy(c, policy)));
          if (previous != null) e.directory.agent(previous, new Agent.Release(e.conversationId, previousHold));
          if (before == Status.WAITING && s.team() != null) {
            e.directory.team(s.team(), new Team.Withdraw(e.conversationId, s.attempt()));
          }
          Deadlines.armTimers(e, ns);
          e.reply(c.replyTo(), Outcome.ok("assigned to " + c.agentId()));
          e.observer.assigned(e.conversationId, c.agentId(), ns.team(),
              s.round().waitingSince() == null ? Duration.ZERO : Duration.between(s.round().waitingSince(), now));
        });
  }

  /** A claimer learns the team policy with the confirmation (its reservation knew no team); others have it. */
  private static RoutingPolicy claimPolicy(AssignTo c, RoutingPolicy policy) {
    return c.hold().isClaim() ? policy : null;
  }

  private static boolean acceptable(State s, AssignTo c) {
    if (s.releases().contains(new Release(c.agentId(), c.hold()))) return false; // spent hold
    if (c.hold().isClaim()) return s.status() == Status.WAITING || s.status() == Status.ESCALATED;
    if (!c.hold().isRound(s.attempt())) return false;
    return s.status() == Status.WAITING
        || ((s.status() == Status.ASSIGNED || s.status() == Status.ESCALATED) && c.agentId().equals(s.transferTo()));
  }

  /**
   * Only the members of the conversation's team and its supervisor (the team's, or the one it is
   * escalated to) may claim it; offers and transfers are not claims.
   */
  private static boolean mayClaim(ConversationEntity e, State s, AssignTo c) {
    if (!c.hold().isClaim() || c.agentTeams() == null || s.team() == null) return true;
    EscalationTarget target = e.policyOf(s).escalation();
    return c.agentTeams().contains(s.team()) || c.agentId().equals(s.escalatedTo())
        || (target != null && c.agentId().equals(target.supervisorAgent()));
  }

  private static Outcome notAMember(State s, AssignTo c) {
    return Outcome.refused(Code.NOT_A_MEMBER, "agent " + EntityIds.localName(c.agentId()) + " is neither a member of team "
        + EntityIds.localName(s.team()) + " nor its supervisor: only they may claim its conversations");
  }

  private static Outcome refusalFor(ConversationEntity e, State s, AssignTo c) {
    return switch (s.status()) {
      case ASSIGNED -> Outcome.refused(Code.ALREADY_ASSIGNED,
          "conversation " + e.conversationId + " is already assigned to " + s.agentId());
      case RESOLVED, NEW -> Outcome.refused(Code.NOT_OPEN, "conversation " + e.conversationId + " is not open");
      default -> Outcome.refused(Code.OFFER_EXPIRED, "the offer to " + c.agentId() + " is no longer current");
    };
  }

  static Effect<Event, State> onQueued(ConversationEntity e, State s, Queued c) {
    if (s.status() != Status.WAITING || s.attempt() != c.attempt() || !c.team().equals(s.team())) {
      return e.Effect().none();
    }
    e.queuedAckAttempt = c.attempt();
    e.queueReason = c.reason();
    Sleep.settleWakeAgain(e);
    if (c.policy() == null || c.policy().equals(s.policy())) return e.Effect().none();
    return e.Effect().persist(new PolicyLearned(c.policy()));
  }

  static Effect<Event, State> onTeamCannotServe(ConversationEntity e, State s, TeamCannotServe c) {
    if (e.pre != null) {
      return c.attempt() == e.pre.next().attempt() ? Intake.storeWithoutAgent(e, s, c.attempt()) : e.Effect().stash();
    }
    if (s.status() != Status.WAITING || s.attempt() != c.attempt() || !c.team().equals(s.team())) {
      return e.Effect().none();
    }
    Instant now = e.clock.instant();
    if (c.overflowTeam() != null && !s.round().visitedTeams().contains(c.overflowTeam())) {
      return e.Effect().persist(new Overflowed(s.team(), c.overflowTeam(), c.code(), now))
          .thenRun(ns -> Redelivery.askTeam(e, ns));
    }
    return escalate(e, s, c.code() + ": " + c.message(), now);
  }

  /** The team's escalation target: its escalation team (once per episode), else its supervisor, else parked. */
  static Effect<Event, State> escalate(ConversationEntity e, State s, String reason, Instant now) {
    EscalationTarget target = e.policyOf(s).escalation();
    String team = target != null && target.team() != null && !s.round().visitedTeams().contains(target.team())
        ? target.team() : null;
    String supervisor = team == null && target != null ? target.supervisorAgent() : null;
    String fromAgent = s.agentId();
    HoldToken fromHold = s.hold();
    String fromTeam = s.team();
    boolean wasWaiting = s.status() == Status.WAITING;
    return e.Effect().persist(new Escalated(fromAgent, fromHold, reason, supervisor, team, now))
        .thenRun(ns -> {
          if (fromAgent != null) e.directory.agent(fromAgent, new Agent.Release(e.conversationId, fromHold));
          if (wasWaiting && fromTeam != null) {
            e.directory.team(fromTeam, new Team.Withdraw(e.conversationId, s.attempt()));
          }
          if (ns.status() == Status.WAITING) Redelivery.askTeam(e, ns);
          if (supervisor != null) e.directory.agent(supervisor, new Agent.EscalationNotice(e.conversationId, reason));
          Deadlines.armTimers(e, ns);
          e.observer.escalated(e.conversationId, fromAgent, supervisor, team, reason);
        });
  }
}

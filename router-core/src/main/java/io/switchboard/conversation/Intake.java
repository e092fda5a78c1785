package io.switchboard.conversation;

import io.switchboard.Outcome;
import io.switchboard.Outcome.Code;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation.AssignTo;
import io.switchboard.conversation.Conversation.Assigned;
import io.switchboard.conversation.Conversation.ContactChanged;
import io.switchboard.conversation.Conversation.ContactEventRecorded;
import io.switchboard.conversation.Conversation.ContactFieldsLearned;
import io.switchboard.conversation.Conversation.Event;
import io.switchboard.conversation.Conversation.Inbound;
import io.switchboard.conversation.Conversation.MessageReceived;
import io.switchboard.conversation.Conversation.PrerouteTimeout;
import io.switchboard.conversation.Conversation.Routing;
import io.switchboard.conversation.Conversation.RulesDecided;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.conversation.Conversation.StepStarted;
import io.switchboard.conversation.ConversationEntity.Preroute;
import io.switchboard.routing.RoutingHint;
import io.switchboard.routing.RoutingPolicy;
import io.switchboard.routing.rules.Answers;
import io.switchboard.routing.rules.Decision;
import io.switchboard.routing.rules.RulesEngine;
import io.switchboard.team.Team;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;

/**
 * What comes from the contact's side: an inbound message (routed by the rules when it opens an
 * episode, and routed to an agent before it is stored when the team can probe), a contact event, and the
 * writes that end a preroute probe (stored alone, or with its assignment).
 *
 * <p>Stateless: every method takes the conversation's entity {@code e} (its fields and soft state) and
 * the current state {@code s}; {@link ConversationEntity} dispatches the commands here.
 */
final class Intake {

  private Intake() {}

  static Effect<Event, State> onContactChanged(ConversationEntity e, State s, ContactChanged c) {
    if (s.recentMessageIds().contains(c.eventId())) {
      return e.Effect().reply(c.replyTo(), Outcome.duplicate("duplicate contact event " + c.eventId() + " already recorded"));
    }
    Instant at = c.at() == null ? e.clock.instant() : c.at();
    return e.Effect().persist(new ContactEventRecorded(c.eventId(), c.kind(), c.text(), c.fields(), at))
        .thenReply(c.replyTo(), x -> Outcome.ok("contact event recorded"));
  }

  static Effect<Event, State> onInbound(ConversationEntity e, State s, Inbound c) {
    if (s.recentMessageIds().contains(c.messageId())) {
      return e.Effect().reply(c.replyTo(), Outcome.duplicate("duplicate message " + c.messageId() + " already accepted"));
    }
    boolean opens = !s.isOpen();
    RoutingHint hint = c.hint() == null ? RoutingHint.toTeam(null) : c.hint();
    String team = opens && hint.team() != null ? hint.team() : s.team();
    Instant now = e.clock.instant();
    Map<String, String> learned = changed(s.contactFields(), c.fields());
    Event decided = null;
    if (opens && c.rules() != null) {
      Map<String, String> fields = new HashMap<>(s.contactFields());
      fields.putAll(learned);
      Routing routing = new Routing(c.rules(), c.text(), hint.language(), hint.team());
      Decision d = RulesEngine.decide(c.rules(), new RulesEngine.Context(c.text(), e.channel(), fields, hint.language(),
          s.contact().episodes() > 0, hint.priority(), now, Set.of()));
      decided = RuleSteps.decisionEvent(e, s, d, routing, now);
      if (decided instanceof RulesDecided r) team = r.team();
      if (decided instanceof StepStarted) team = team != null ? team : hint.team();
    }
    if (team == null && !(decided instanceof StepStarted) && s.status() != Status.ROUTING) {
      return e.Effect().reply(c.replyTo(), Outcome.refused(Code.NO_ROUTE,
          "conversation " + e.conversationId + " has no team: " + (decided instanceof RulesDecided r ? r.reason()
              : "the message names none and there is no previous one")));
    }
    Instant replyDeadline = null;
    if (s.status() == Status.ASSIGNED && e.policyOf(s).hasReplyWindow()) {
      replyDeadline = s.replyDeadline() != null ? s.replyDeadline() : now.plus(e.policyOf(s).replyWindow());
    }
    boolean startsReplyWindow = !opens && replyDeadline != null && s.replyDeadline() == null;
    Instant sent = c.sentAt() != null && c.sentAt().isBefore(now) ? c.sentAt() : now;
    List<Event> events = new ArrayList<>();
    events.add(new MessageReceived(c.messageId(), c.text(), now, hint, team, sent.plus(e.settings.serviceWindow()),
        replyDeadline, opens, startsReplyWindow));
    if (!learned.isEmpty()) events.add(new ContactFieldsLearned(learned));
    if (decided != null) events.add(decided);
    if (s.status() == Status.ROUTING && s.pending() != null && s.pending().question() != null) {
      events.addAll(RuleSteps.answerEvents(e, s, learned,
          Answers.check(s.pending().question(), c.text(), s.pending().attempt()), now));
    }
    if (opens && e.settings.prerouteTimeout() != null) {
      State next = e.applied(s, events);
      if (next.status() == Status.WAITING && !next.round().poolOnly()) {
        // Routed before it is stored: the message and its assignment become one write (or it is stored alone).
        e.pre = new Preroute(c, events, next, now);
        e.directory.team(next.team(), new Team.ProbeAgent(e.request(next)));
        e.timers.startSingleTimer(PrerouteTimeout.class, new PrerouteTimeout(next.attempt()),
            e.settings.prerouteTimeout());
        return e.Effect().none();
      }
    }
    return storeInbound(e, s, events, opens, c.replyTo());
  }

  /** Persists an inbound message's events; the side effects (asking the team, timers) and the answer follow. */
  private static EffectBuilder<Event, State> storeInbound(ConversationEntity e, State s, List<Event> events,
      boolean opens, ActorRef<Outcome> replyTo) {
    return e.Effect().persist(events)
        .thenRun(ns -> {
          RuleSteps.afterRouting(e, s, ns);
          e.observer.messageReceived(e.conversationId, opens);
          e.reply(replyTo, Outcome.ok("accepted"));
        });
  }

  /**
   * The probe of round {@code attempt} found nobody (or no answer came): the opening message is stored
   * alone and waits for an agent. Nothing for a round that is not the one being probed.
   */
  static Effect<Event, State> storeWithoutAgent(ConversationEntity e, State s, int attempt) {
    if (e.pre == null || attempt != e.pre.next().attempt()) return e.Effect().none();
    Preroute p = e.pre;
    e.pre = null;
    e.timers.cancel(PrerouteTimeout.class);
    return storeInbound(e, s, p.events(), true, p.inbound().replyTo()).thenUnstashAll();
  }

  /** The probe's agent reserved it: the opening message and the assignment in one write. */
  static Effect<Event, State> storeAssigned(ConversationEntity e, AssignTo c) {
    Preroute p = e.pre;
    e.pre = null;
    e.timers.cancel(PrerouteTimeout.class);
    Instant now = e.clock.instant();
    RoutingPolicy policy = c.policy() != null ? c.policy() : e.policyOf(p.next());
    List<Event> all = new ArrayList<>(p.events());
    all.add(new Assigned(c.agentId(), c.hold(), c.team(), policy, now,
        policy.hasReplyWindow() ? now.plus(policy.replyWindow()) : null, null));
    return e.Effect().persist(all)
        .thenRun(ns -> {
          e.directory.agent(c.agentId(), new Agent.AssignmentConfirmed(e.conversationId, c.hold()));
          Deadlines.armTimers(e, ns);
          e.observer.messageReceived(e.conversationId, true);
          e.observer.assigned(e.conversationId, c.agentId(), ns.team(), Duration.between(p.arrivedAt(), now));
          e.reply(p.inbound().replyTo(), Outcome.ok("accepted"));
        })
        .thenUnstashAll();
  }


  /** The fields of {@code incoming} that are new or different from {@code known}. */
  private static Map<String, String> changed(Map<String, String> known, Map<String, String> incoming) {
    if (incoming == null || incoming.isEmpty()) return Map.of();
    Map<String, String> out = new TreeMap<>();
    incoming.forEach((k, v) -> {
      if (k != null && v != null && !v.equals(known.get(k))) out.put(k, v);
    });
    return out;
  }
}

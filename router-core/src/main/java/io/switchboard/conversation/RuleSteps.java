package io.switchboard.conversation;

import io.switchboard.EntityIds;
import io.switchboard.RoutingPorts;
import io.switchboard.conversation.Conversation.Event;
import io.switchboard.conversation.Conversation.LookupFinished;
import io.switchboard.conversation.Conversation.Pending;
import io.switchboard.conversation.Conversation.Routing;
import io.switchboard.conversation.Conversation.RulesDecided;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.conversation.Conversation.StepAnswered;
import io.switchboard.conversation.Conversation.StepFailed;
import io.switchboard.conversation.Conversation.StepRetried;
import io.switchboard.conversation.Conversation.StepStarted;
import io.switchboard.routing.rules.Action;
import io.switchboard.routing.rules.Answers;
import io.switchboard.routing.rules.Decision;
import io.switchboard.routing.rules.Question;
import io.switchboard.routing.rules.RulesEngine;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.persistence.typed.javadsl.Effect;

/**
 * The routing rules at work: the event that carries out a decision, the steps a rule starts (a
 * question to the contact, a CRM lookup), their answers, retries, deadlines and fallbacks, and what
 * follows once routing events are stored.
 *
 * <p>Stateless: every method takes the conversation's entity {@code e} (its fields and soft state) and
 * the current state {@code s}; {@link ConversationEntity} dispatches the commands here.
 */
final class RuleSteps {

  private RuleSteps() {}

  /**
   * The event that carries out a decision of the rules: a route ({@link RulesDecided}), or the start
   * of a step ({@link StepStarted}). Rules name teams and agents within the tenant. No rule matching
   * (only with rules the validator refuses) routes to the message's own team, if any.
   */
  static Event decisionEvent(ConversationEntity e, State s, Decision d, Routing routing, Instant now) {
    if (d instanceof Decision.Route r) {
      return routeEvent(e, s, r.rule(), r.action(), r.reason(), r.priority(), r.setFields(), r.tags(), now);
    }
    if (d instanceof Decision.Ask a) {
      return new StepStarted(a.rule(), a.reason() + ": asking the contact", a.question(), null,
          now.plus(a.question().timeout()), a.priority(), a.setFields(), a.tags(), routing, now);
    }
    if (d instanceof Decision.Lookup l) {
      return new StepStarted(l.rule(), l.reason() + ": looking the contact up", null, l.lookup(),
          now.plus(l.lookup().timeout()), l.priority(), l.setFields(), l.tags(), routing, now);
    }
    Decision.Unrouted u = (Decision.Unrouted) d;
    String team = routing.hintTeam() != null ? routing.hintTeam() : s.team();
    return new RulesDecided(null, u.reason(), team, s.priority(), null, false, Map.of(), Set.of(), now, Map.of());
  }

  private static RulesDecided routeEvent(ConversationEntity e, State s, String rule, Action.Terminal route,
      String reason, int priority, Map<String, String> set, Set<String> tags, Instant now) {
    String tenant = EntityIds.tenantOf(e.conversationId) + "/";
    String preferred = null;
    if (route instanceof Action.ToAgent a) preferred = tenant + a.agent();
    if (route instanceof Action.PreviousAgent) preferred = s.contact().previousAgent();
    Map<String, Integer> skills = route instanceof Action.ToTeam t ? t.skills() : Map.of();
    return new RulesDecided(rule, reason, tenant + route.team(), priority, preferred, route instanceof Action.Pool,
        set, tags, now, skills);
  }

  /** After an accepted step: the rules decide again with what the step produced, the step marked done. */
  private static Event decideAgain(ConversationEntity e, State s, String stepId, Map<String, String> produced,
      Instant now) {
    Routing routing = s.rules().routing();
    Map<String, String> fields = new HashMap<>(s.contactFields());
    fields.putAll(produced);
    Set<String> done = new LinkedHashSet<>(s.rules().stepsDone());
    done.add(stepId);
    Decision d = RulesEngine.decide(routing.rules(), new RulesEngine.Context(routing.text(), e.channel(), fields,
        routing.hintLanguage(), s.contact().episodes() > 1, s.priority(), now, done));
    return decisionEvent(e, s, d, routing, now);
  }

  /** What an answer (or a timeout, as {@link Answers#timedOut}) does to the pending question. */
  static List<Event> answerEvents(ConversationEntity e, State s, Map<String, String> learned, Answers.Verdict verdict,
      Instant now) {
    Pending p = s.pending();
    List<Event> events = new ArrayList<>();
    if (verdict instanceof Answers.Accepted a) {
      Map<String, String> produced = Map.of(p.question().field(), a.value());
      events.add(new StepAnswered(p.stepId(), produced, now));
      Map<String, String> all = new HashMap<>(learned);
      all.putAll(produced);
      events.add(decideAgain(e, s, p.stepId(), all, now));
    } else if (verdict instanceof Answers.Retry r) {
      events.add(new StepRetried(p.stepId(), r.nextAttempt(), now.plus(p.question().timeout()), r.message()));
    } else {
      Answers.GiveUp g = (Answers.GiveUp) verdict;
      events.add(new StepFailed(p.stepId(), g.reason(), now));
      events.add(routeEvent(e, s, p.rule(), g.fallback(), g.reason() + ": fallback route", s.priority(), Map.of(),
          Set.of(), now));
    }
    return events;
  }

  /** A pending step's deadline: a question is asked again or given up, a lookup falls back. */
  static Effect<Event, State> onStepDeadline(ConversationEntity e, State s, Instant deadline) {
    Pending p = s.pending();
    if (s.status() != Status.ROUTING || p == null || !deadline.equals(p.deadline())) return e.Effect().none();
    Instant now = e.clock.instant();
    if (now.isBefore(deadline)) {
      Deadlines.armTimers(e, s);
      return e.Effect().none();
    }
    List<Event> events = p.question() != null
        ? answerEvents(e, s, Map.of(), Answers.timedOut(p.question(), p.attempt()), now)
        : lookupFailed(e, s, "the CRM lookup '" + p.stepId() + "' timed out after " + p.lookup().timeout(), now);
    return e.Effect().persist(events).thenRun(ns -> afterRouting(e, s, ns));
  }

  private static List<Event> lookupFailed(ConversationEntity e, State s, String reason, Instant now) {
    Pending p = s.pending();
    return List.of(new StepFailed(p.stepId(), reason, now),
        routeEvent(e, s, p.rule(), p.lookup().fallback(), reason + ": fallback route", s.priority(), Map.of(), Set.of(),
            now));
  }

  static Effect<Event, State> onLookupFinished(ConversationEntity e, State s, LookupFinished c) {
    Pending p = s.pending();
    if (s.status() != Status.ROUTING || p == null || p.lookup() == null || !p.stepId().equals(c.stepId())) {
      return e.Effect().none();
    }
    Instant now = e.clock.instant();
    List<Event> events = new ArrayList<>();
    if (c.result().ok()) {
      events.add(new StepAnswered(p.stepId(), c.result().fields(), now));
      events.add(decideAgain(e, s, p.stepId(), c.result().fields(), now));
    } else {
      events.addAll(lookupFailed(e, s, "the CRM lookup '" + p.stepId() + "' failed: " + c.result().error(), now));
    }
    return e.Effect().persist(events).thenRun(ns -> afterRouting(e, s, ns));
  }

  /**
   * Side effects once routing events are stored: a new or repeated question is sent to the contact, a
   * new lookup is started, a conversation that left ROUTING (or opened) asks its team; timers re-armed.
   */
  static void afterRouting(ConversationEntity e, State before, State now) {
    Pending p = now.pending();
    if (p != null && !p.equals(before.pending())) runStep(e, now);
    if (now.status() == Status.WAITING && (!before.isOpen() || before.status() == Status.ROUTING)) {
      Redelivery.askTeam(e, now);
    }
    Deadlines.armTimers(e, now);
  }

  /** Sends the pending question (its prompt for this attempt) or starts the pending lookup. */
  static void runStep(ConversationEntity e, State s) {
    Pending p = s.pending();
    if (p.question() != null) {
      Question q = p.question();
      e.ports.sendToContact(e.conversationId, p.prompt(), q.hasOptions() ? q.options() : null,
          e.conversationId + ":" + p.stepId() + ":" + p.attempt());
    } else {
      Map<String, String> fields = s.contactFields();
      e.context.pipeToSelf(e.ports.lookup(e.conversationId, p.lookup(), fields), (result, failure) ->
          new LookupFinished(p.stepId(), result != null ? result
              : RoutingPorts.LookupResult.failed(failure == null ? "no answer" : failure.toString())));
    }
  }
}

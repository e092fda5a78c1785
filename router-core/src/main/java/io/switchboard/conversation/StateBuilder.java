package io.switchboard.conversation;

import io.switchboard.conversation.Conversation.Pending;
import io.switchboard.conversation.Conversation.Release;
import io.switchboard.conversation.Conversation.Routing;
import io.switchboard.conversation.Conversation.State;
import io.switchboard.conversation.Conversation.Status;
import io.switchboard.routing.RoutingPolicy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Copy-and-change for the event handler ({@link ConversationEvents}): {@link State} stays an immutable
 * record. One field per component of the state, set by the handlers, then {@link #build()}.
 */
final class StateBuilder {

  /** How many released holds a conversation remembers, to refuse a stale reservation and re-send releases. */
  private static final int REMEMBERED_RELEASES = 8;

  Status status = Status.NEW;
  String team;
  int attempt;
  Instant waitingSince;
  int priority;
  Map<String, Integer> requiredSkills = Map.of();
  String language;
  RoutingPolicy policy;
  String agentId;
  String hold;
  Instant assignedAt;
  boolean answered;
  boolean awaitingReply;
  Instant replyDeadline;
  Instant idleDeadline;
  Instant lastInboundAt;
  Instant serviceWindowClosesAt;
  boolean serviceWindowClosed;
  int reroutes;
  Set<String> lapsedAgents = Set.of();
  Set<String> visitedTeams = Set.of();
  String previousAgent;
  String preferredAgent;
  String escalatedTo;
  String reason;
  String transferTo;
  List<Release> releases = List.of();
  List<String> recentMessageIds = List.of();
  long messages;
  int episodes;
  Map<String, String> contactFields = Map.of();
  Set<String> tags = Set.of();
  boolean poolOnly;
  String routedBy;
  Pending pending;
  Set<String> stepsDone = Set.of();
  Routing routing;
  Map<String, Integer> reroutesByCause = Map.of();

  StateBuilder() {}

  StateBuilder(State s) {
    status = s.status(); team = s.team(); attempt = s.attempt(); waitingSince = s.waitingSince();
    priority = s.priority(); requiredSkills = s.requiredSkills(); language = s.language(); policy = s.policy();
    agentId = s.agentId(); hold = s.hold(); assignedAt = s.assignedAt(); answered = s.answered();
    awaitingReply = s.awaitingReply(); replyDeadline = s.replyDeadline(); idleDeadline = s.idleDeadline();
    lastInboundAt = s.lastInboundAt(); serviceWindowClosesAt = s.serviceWindowClosesAt();
    serviceWindowClosed = s.serviceWindowClosed(); reroutes = s.reroutes(); lapsedAgents = s.lapsedAgents();
    visitedTeams = s.visitedTeams(); previousAgent = s.previousAgent();
    preferredAgent = s.preferredAgent(); escalatedTo = s.escalatedTo();
    reason = s.reason(); transferTo = s.transferTo(); releases = s.releases();
    recentMessageIds = s.recentMessageIds(); messages = s.messages(); episodes = s.episodes();
    contactFields = s.contactFields() == null ? Map.of() : s.contactFields();
    tags = s.tags() == null ? Set.of() : s.tags();
    poolOnly = s.poolOnly();
    routedBy = s.routedBy();
    pending = s.pending();
    stepsDone = s.stepsDone();
    routing = s.routing();
    reroutesByCause = s.reroutesByCause();
  }

  /** Leaves the current agent (if any), remembering to release it. */
  StateBuilder unassign() {
    if (agentId != null) {
      List<Release> r = new ArrayList<>(releases);
      r.add(new Release(agentId, hold));
      releases = List.copyOf(r.size() > REMEMBERED_RELEASES ? r.subList(r.size() - REMEMBERED_RELEASES, r.size()) : r);
    }
    agentId = null;
    hold = null;
    assignedAt = null;
    answered = false;
    replyDeadline = null;
    idleDeadline = null;
    transferTo = null;
    return this;
  }

  /** Starts a new routing round in {@code toTeam}. */
  StateBuilder waitIn(String toTeam, Instant at, String why) {
    status = Status.WAITING;
    team = toTeam;
    attempt++;
    waitingSince = at;
    reason = why;
    escalatedTo = null;
    return this;
  }

  void mergeFields(Map<String, String> more) {
    if (more == null || more.isEmpty()) return;
    Map<String, String> f = new TreeMap<>(contactFields);
    f.putAll(more);
    contactFields = Map.copyOf(f);
  }

  void addTags(Set<String> more) {
    if (more == null || more.isEmpty()) return;
    Set<String> t = new TreeSet<>(tags);
    t.addAll(more);
    tags = Set.copyOf(t);
  }

  void stepDone(String id) {
    Set<String> d = new LinkedHashSet<>(stepsDone);
    d.add(id);
    stepsDone = Set.copyOf(d);
  }

  StateBuilder visit(String t) {
    Set<String> v = new LinkedHashSet<>(visitedTeams);
    v.add(t);
    visitedTeams = Set.copyOf(v);
    return this;
  }

  State build() {
    return new State(status, team, attempt, waitingSince, priority, requiredSkills, language, policy, agentId, hold,
        assignedAt, answered, awaitingReply, replyDeadline, idleDeadline, lastInboundAt, serviceWindowClosesAt,
        serviceWindowClosed, reroutes, lapsedAgents, visitedTeams, previousAgent, preferredAgent, escalatedTo, reason, transferTo,
        releases, recentMessageIds, messages, episodes, contactFields, tags, poolOnly, routedBy, pending, stepsDone,
        routing, reroutesByCause);
  }
}

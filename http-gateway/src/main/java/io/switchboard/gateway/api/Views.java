package io.switchboard.gateway.api;

import io.switchboard.EntityIds;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.conversation.RerouteCause;
import io.switchboard.persistence.readmodel.ConversationSummary;
import io.switchboard.persistence.readmodel.RoutingStats;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What the API answers, as records; ids are shown within the tenant (names, {@code channel:contact}). */
public final class Views {
  private Views() {}

  /** Short for {@link EntityIds#localName}, which every view applies to its ids. */
  static String local(String id) {
    return EntityIds.localName(id);
  }

  /** A conversation as its entity holds it now (exact). */
  public record ConversationView(String conversation, String status, String team, String agent, int priority,
      String reason, String escalatedTo, Instant waitingSince, Instant assignedAt, Instant replyDeadline,
      Instant serviceWindowClosesAt, boolean serviceWindowOpen, boolean answered, int reroutes,
      Map<String, Integer> reroutesByCause, int episode, long messages, String waitingBecause, String routedBy,
      Map<String, String> contactFields, List<String> tags) {
    static ConversationView of(Conversation.View v, Instant now) {
      Conversation.State s = v.state();
      boolean open = !s.clocks().serviceWindowClosed() && s.clocks().serviceWindowClosesAt() != null
          && now.isBefore(s.clocks().serviceWindowClosesAt());
      return new ConversationView(local(v.conversationId()), s.status().name(), local(s.team()), local(s.agentId()),
          s.priority(), s.reason(), local(s.escalatedTo()), s.round().waitingSince(),
          s.assignment() == null ? null : s.assignment().assignedAt(), s.replyDeadline(),
          s.clocks().serviceWindowClosesAt(), open, s.answered(), s.round().reroutesTotal(),
          byCause(s.round().reroutesByCause()), s.contact().episodes(), s.contact().messages(), v.queueReason(),
          s.round().routedBy(), s.contactFields(), s.contact().tags().stream().sorted().toList());
    }
  }

  /** Every re-route cause named, in {@link RerouteCause} order (0 when none). */
  static Map<String, Integer> byCause(Map<String, Integer> counts) {
    Map<String, Integer> out = new java.util.LinkedHashMap<>();
    for (RerouteCause cause : RerouteCause.values()) out.put(cause.codeValue(), counts.getOrDefault(cause.codeValue(), 0));
    return out;
  }

  /** A conversation as the read model shows it (may trail the entity by a moment). */
  public record ConversationRow(String conversation, String channel, String contact, String status, String team,
      String agent, int priority, String reason, String escalatedTo, int episode, Instant openedAt,
      Instant waitingSince, Instant assignedAt, Instant firstResponseAt, int reroutes,
      Map<String, Integer> reroutesByCause, Instant updatedAt, String routedBy) {
    static ConversationRow of(ConversationSummary c) {
      return new ConversationRow(local(c.conversationId()), c.channel(), c.contact(), c.status().name(),
          local(c.team()), local(c.agentId()), c.priority(), c.reason(), local(c.escalatedTo()), c.episode(),
          c.openedAt(), c.waitingSince(), c.assignedAt(), c.firstResponseAt(), c.reroutes(), c.reroutesByCause(),
          c.updatedAt(),
          c.routedBy());
    }

    static List<ConversationRow> of(List<ConversationSummary> rows) {
      return rows.stream().map(ConversationRow::of).toList();
    }
  }

  public record Page<T>(List<T> items, int limit, int offset) {}

  public record MemberView(String agent, String presence, Map<String, Integer> load, int open) {}

  public record QueuedView(String conversation, int priority, String reason, Instant since, Instant deadline) {}

  public record TeamView(String team, List<String> members, String strategy, Duration replyWindow, int maxReroutes,
      String escalationSupervisor, String escalationTeam, Duration queueWait, String overflowTeam,
      Object businessHours, Duration idleAutoResolve, boolean rerouteAnsweredOnOffline, Duration offlineGrace,
      Duration wrapUp, List<QueuedView> queue, List<MemberView> memberStatus) {
    /** @param defaultGrace the server-wide offline grace, in force for a team that sets none */
    static TeamView of(Team.View v, Duration defaultGrace) {
      TeamConfig c = v.config();
      if (c == null) {
        return new TeamView(local(v.teamId()), List.of(), null, null, 0, null, null, null, null, null, null, false,
            null, null, List.of(), List.of());
      }
      return new TeamView(local(v.teamId()), c.members().stream().map(Views::local).toList(), c.strategy().name(),
          c.replyWindow(), c.maxReroutes(), c.escalation() == null ? null : local(c.escalation().supervisorAgent()),
          c.escalation() == null ? null : local(c.escalation().team()), c.queueWaitLimit(), local(c.overflowTeam()),
          c.businessHours(), c.idleAutoResolve(), c.rerouteAnsweredOnOffline(),
          c.offlineGrace() != null ? c.offlineGrace() : defaultGrace,
          c.wrapUp(),
          v.queue().stream().map(e -> new QueuedView(local(e.request().conversationId()), e.request().priority(),
              e.reason(), e.enqueuedAt(), e.deadline())).toList(),
          v.members().values().stream().map(m -> new MemberView(local(m.agentId()), m.presence().name(), m.load(),
              m.totalOpen())).toList());
    }
  }

  public record AgentView(String agent, String presence, Map<String, Integer> capacity, Map<String, Integer> skills,
      List<String> languages, String role, List<String> teams, List<String> holding, Map<String, Integer> load,
      Instant offlineGraceEnds, List<String> escalations, List<WrapUpView> wrapUps) {
    /** @param parked conversations escalated to this agent, as the read model shows them */
    static AgentView of(Agent.View v, List<String> parked) {
      Agent.State s = v.state();
      java.util.Set<String> escalations = new java.util.TreeSet<>(v.escalations());
      escalations.addAll(parked);
      return new AgentView(local(v.agentId()), s.presence().name(), s.profile().capacity(), s.profile().skills(),
          s.profile().languages().stream().sorted().toList(), s.profile().role().name(),
          s.teams().stream().map(Views::local).sorted().toList(),
          s.holds().entrySet().stream().filter(e -> !e.getValue().wrappingUp()).map(e -> local(e.getKey())).sorted()
              .toList(), s.load(), s.offlineGraceEnds(),
          escalations.stream().map(Views::local).sorted().toList(),
          s.holds().entrySet().stream().filter(e -> e.getValue().wrappingUp())
              .map(e -> new WrapUpView(local(e.getKey()), e.getValue().wrapUpUntil()))
              .sorted(java.util.Comparator.comparing(WrapUpView::conversation)).toList());
    }
  }

  /** A resolved conversation whose unit the agent still holds (counted in {@code load}) until {@code until}. */
  public record WrapUpView(String conversation, Instant until) {}

  public record StatsView(String subject, long assignments, long firstResponses, Duration averageFirstResponse,
      Duration maxFirstResponse, long reroutes, Map<String, Long> reroutesByCause, long escalations,
      long resolutions) {
    static List<StatsView> of(List<RoutingStats> stats) {
      return stats.stream().map(s -> new StatsView(local(s.subject()), s.assignments(), s.firstResponses(),
          s.averageFirstResponse(), s.maxFirstResponse(), s.reroutes(), s.reroutesByCause(), s.escalations(),
          s.resolutions())).toList();
    }
  }

  public record Counts(Map<String, Long> byStatus) {
    static Counts of(Map<Conversation.Status, Long> m) {
      Map<String, Long> out = new TreeMap<>();
      m.forEach((k, v) -> out.put(k.name(), v));
      return new Counts(out);
    }
  }

  public record Accepted(String status, String conversation, String message) {}

  /** A delivery receipt (sent, delivered, read, failed) of a message the business sent. */
  public record StatusView(String messageId, String status, String recipient, Instant at, String errors) {}
}

package io.switchboard.testkit;

import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.routing.Candidate;
import io.switchboard.routing.Strategies;
import io.switchboard.team.Team;
import io.switchboard.team.TeamConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The five invariants of DESIGN.md, checked on a snapshot of every entity's view (however the views were
 * gathered: one actor system with ManualTime in {@code RoutingInvariantsTest}, a cluster of several in
 * persistence's {@code ClusterNodeLossTest}) and on the entities' journals. Each check throws
 * {@link AssertionError} naming what broke; {@link #unsettled} lists what is still in flight instead.
 */
public final class Invariants {
  private Invariants() {}

  /** Every entity's view at about {@code now}. */
  public record Snapshot(Instant now, Map<String, Conversation.View> convs, Map<String, Agent.View> agents,
      Map<String, Team.View> teams) {}

  /**
   * Invariant 2 at every snapshot: an agent's load never grows past its capacity (a load already above a
   * capacity that was lowered may stay, not grow).
   *
   * @param previousLoad the loads of the previous snapshot
   * @return this snapshot's loads, the next call's {@code previousLoad}
   */
  public static Map<String, Map<String, Integer>> checkCapacity(Snapshot s, Map<String, Map<String, Integer>> previousLoad) {
    Map<String, Map<String, Integer>> loads = new HashMap<>();
    s.agents().forEach((id, v) -> {
      Map<String, Integer> load = v.state().load();
      loads.put(id, load);
      load.forEach((channel, n) -> {
        int cap = v.state().profile().capacityFor(channel);
        int before = previousLoad.getOrDefault(id, Map.of()).getOrDefault(channel, 0);
        if (n > cap && n > before) {
          throw new AssertionError("capacity overshoot: " + id + " holds " + n + " on " + channel + " (capacity "
              + cap + ", held " + before + " before): " + v.state().holds().keySet());
        }
      });
    });
    return loads;
  }

  /** What is still in flight: anything here is expected to disappear by itself, or by redelivery. */
  public static List<String> unsettled(Snapshot s) {
    List<String> p = new ArrayList<>();
    s.agents().forEach((a, v) -> v.state().holds().forEach((c, h) -> {
      if (h.wrappingUp()) { // a resolved conversation's unit, held until its wrap-up ends: it must end
        if (overdue(h.wrapUpUntil(), s.now())) p.add(a + " wrap-up of " + c + " overdue (until " + h.wrapUpUntil() + ")");
        return;
      }
      Conversation.View view = s.convs().get(c);
      if (view == null) {
        p.add(a + " holds " + c + ", a conversation outside the snapshot");
        return;
      }
      Conversation.State cs = view.state();
      if (cs.status() != Conversation.Status.ASSIGNED || !a.equals(cs.agentId()) || !h.hold().equals(cs.hold())) {
        p.add(a + " holds " + c + " (" + h.hold() + ") but it is " + cs.status() + " with " + cs.agentId());
      }
      if (v.state().offlineGraceEnds() != null && !v.state().offlineGraceEnds().isAfter(s.now())) {
        p.add(a + " offline grace overdue");
      }
    }));
    s.convs().forEach((c, v) -> {
      Conversation.State cs = v.state();
      switch (cs.status()) {
        case ASSIGNED -> {
          Agent.View av = s.agents().get(cs.agentId());
          Agent.Hold h = av == null ? null : av.state().holds().get(c);
          if (h == null || !h.hold().equals(cs.hold())) p.add(c + " assigned to " + cs.agentId() + " who does not hold it");
          if (overdue(cs.replyDeadline(), s.now())) p.add(c + " reply window overdue");
          if (overdue(cs.clocks().idleDeadline(), s.now())) p.add(c + " idle deadline overdue");
        }
        case WAITING -> {
          Team.View tv = s.teams().get(cs.team());
          boolean queued = tv != null && tv.queue().stream().anyMatch(e ->
              e.request().conversationId().equals(c) && e.request().attempt() == cs.attempt());
          if (!queued) p.add(c + " waits for " + cs.team() + " but is not in its queue");
          if (v.queueReason() == null) p.add(c + " waits with no reason known");
        }
        case ESCALATED -> {
          if (cs.reason() == null) p.add(c + " escalated with no reason");
        }
        default -> { }
      }
      if (cs.isOpen() && !cs.clocks().serviceWindowClosed() && overdue(cs.clocks().serviceWindowClosesAt(), s.now())) {
        p.add(c + " service window overdue");
      }
    });
    s.teams().forEach((tm, v) -> {
      for (Team.QueueEntry e : v.queue()) {
        String c = e.request().conversationId();
        Conversation.View view = s.convs().get(c);
        if (view == null) {
          p.add(tm + " queues " + c + ", a conversation outside the snapshot");
          continue;
        }
        Conversation.State cs = view.state();
        if (cs.status() != Conversation.Status.WAITING || !tm.equals(cs.team()) || cs.attempt() != e.request().attempt()) {
          p.add(tm + " queues " + c + "#" + e.request().attempt() + " but it is " + cs.status() + " in " + cs.team()
              + "#" + cs.attempt());
        }
        if (overdue(e.deadline(), s.now())) p.add(tm + " queue deadline of " + c + " overdue");
        String available = drainable(s, v, e);
        if (available != null) {
          p.add(tm + " leaves " + c + " waiting (" + e.reason() + ") while " + available + " is available; the team sees "
              + v.members().get(available));
        }
      }
    });
    return p;
  }

  private static boolean overdue(Instant deadline, Instant now) {
    return deadline != null && !deadline.isAfter(now);
  }

  /** The agent the team's strategy would give this entry now, if any: then the queue failed to drain. */
  private static String drainable(Snapshot s, Team.View team, Team.QueueEntry e) {
    TeamConfig cfg = team.config();
    if (cfg.businessHours() != null && !cfg.businessHours().isOpen(s.now())) return null;
    List<Candidate> candidates = new ArrayList<>();
    for (String m : cfg.members()) {
      Agent.View av = s.agents().get(m);
      if (av == null) continue;
      Agent.State as = av.state();
      candidates.add(new Candidate(m, as.presence(), as.loadOn(e.request().channel()),
          as.profile().capacityFor(e.request().channel()), as.holds().size(), as.lastAssignedAt(),
          as.profile().skills(), as.profile().languages()));
    }
    return Strategies.pick(cfg.strategy(), e.request().need(), candidates, null).orElse(null);
  }

  /**
   * Invariants 1-3 once settled: each assignment has exactly one holder (and each agent's load is its holds),
   * and every acknowledged message is stored, its conversation assigned, visibly waiting, escalated or resolved.
   *
   * @param acked messages acknowledged per conversation
   * @param maybe messages per conversation sent without an acknowledgement (stored or not)
   * @return the conversations assigned now
   */
  public static int checkSettled(Snapshot s, Map<String, Integer> acked, Map<String, Integer> maybe) {
    Map<String, Integer> holders = new HashMap<>();
    // a wrap-up holds a unit, not the conversation (it may have opened again, with another agent)
    s.agents().forEach((a, v) -> v.state().holds().forEach((c, h) -> {
      if (!h.wrappingUp()) holders.merge(c, 1, Integer::sum);
    }));
    holders.forEach((c, n) -> {
      if (n > 1) throw new AssertionError("double assignment: " + c + " is held by " + n + " agents");
    });
    acked.forEach((c, n) -> {
      Conversation.State cs = s.convs().get(c).state();
      if (cs.status() == Conversation.Status.NEW) throw new AssertionError("lost conversation " + c);
      long max = n + maybe.getOrDefault(c, 0);
      if (cs.contact().messages() < n || cs.contact().messages() > max) {
        throw new AssertionError(c + " stored " + cs.contact().messages() + " messages, acknowledged " + n + " (+" +
            maybe.getOrDefault(c, 0) + " unacknowledged)");
      }
    });
    return (int) s.convs().values().stream().filter(v -> v.state().status() == Conversation.Status.ASSIGNED).count();
  }

  /**
   * Invariant 5: assignment counts of equally available round-robin agents differ by at most one.
   *
   * @param counts conversations assigned (first choices) per agent
   */
  public static void checkRoundRobinFair(Map<String, Integer> counts) {
    int min = counts.values().stream().mapToInt(Integer::intValue).min().orElse(0);
    int max = counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    if (max - min > 1) throw new AssertionError("round-robin unfair: " + counts);
  }

  /** One deadline that fired: whose, which, when it was due and when it fired. */
  public record Fired(String entity, String kind, Instant due, Instant at) {}

  /**
   * Invariant 4 from the journals: each deadline fired at most once (a lapse follows the deadline it ends and
   * clears it), and never before it was due.
   *
   * @param eventsOf the events of a persistence id ({@code Conversation|id}, {@code Agent|id}, {@code Team|id}), in order
   * @return every deadline that fired
   */
  public static List<Fired> checkDeadlineHistory(Collection<String> convs, Collection<String> agents,
      Collection<String> teams, Function<String, List<?>> eventsOf) {
    List<Fired> fired = new ArrayList<>();
    for (String c : convs) {
      Instant reply = null, idle = null, window = null;
      for (Object ev : eventsOf.apply("Conversation|" + c)) {
        if (ev instanceof Conversation.MessageReceived e) {
          reply = e.replyDeadline() != null ? e.replyDeadline() : reply;
          idle = null;
          window = e.serviceWindowClosesAt();
        } else if (ev instanceof Conversation.Assigned e) {
          reply = e.replyDeadline();
          idle = e.idleDeadline();
        } else if (ev instanceof Conversation.AgentReplied e) {
          reply = null;
          idle = e.idleDeadline();
        } else if (ev instanceof Conversation.Rerouted e) {
          if (e.lapsed()) {
            if (reply == null || e.at().isBefore(reply)) {
              throw new AssertionError(c + " re-routed for a lapsed reply window at " + e.at() + ", deadline " + reply);
            }
            fired.add(new Fired(c, "reply-window", reply, e.at()));
          }
          reply = null;
          idle = null;
        } else if (ev instanceof Conversation.Escalated e) {
          if (e.reason().startsWith("reply_window_lapsed")) {
            if (reply == null || e.at().isBefore(reply)) {
              throw new AssertionError(c + " escalated for a lapsed window at " + e.at() + ", deadline " + reply);
            }
            fired.add(new Fired(c, "reply-window", reply, e.at()));
          }
          reply = null;
          idle = null;
        } else if (ev instanceof Conversation.Resolved e) {
          if (e.reason().startsWith("idle")) {
            if (idle == null || e.at().isBefore(idle)) {
              throw new AssertionError(c + " idle-resolved at " + e.at() + ", deadline " + idle);
            }
            fired.add(new Fired(c, "idle", idle, e.at()));
          }
          reply = null;
          idle = null;
        } else if (ev instanceof Conversation.TransferredToTeam) {
          reply = null;
          idle = null;
        } else if (ev instanceof Conversation.ServiceWindowClosed e) {
          if (window == null || e.at().isBefore(window)) {
            throw new AssertionError(c + " service window closed at " + e.at() + ", deadline " + window);
          }
          fired.add(new Fired(c, "service-window", window, e.at()));
          window = null;
        }
      }
    }
    for (String a : agents) {
      Instant grace = null;
      Map<String, Instant> wrapUps = new HashMap<>();
      for (Object ev : eventsOf.apply("Agent|" + a)) {
        if (ev instanceof Agent.WrapUpStarted e) wrapUps.put(e.conversationId(), e.until());
        if (ev instanceof Agent.WrapUpEnded e) {
          Instant until = wrapUps.remove(e.conversationId());
          if (until == null) throw new AssertionError(a + " ended a wrap-up of " + e.conversationId() + " never started");
          if (e.reason().equals("deadline")) {
            if (e.at().isBefore(until)) {
              throw new AssertionError(a + " wrap-up of " + e.conversationId() + " ended at " + e.at() + ", deadline " + until);
            }
            fired.add(new Fired(a, "wrap-up", until, e.at()));
          }
        }
        if (ev instanceof Agent.PresenceChanged e) grace = e.offlineGraceEnds();
        if (ev instanceof Agent.OfflineGraceExpired e) {
          if (grace == null || e.at().isBefore(grace)) {
            throw new AssertionError(a + " offline grace expired at " + e.at() + ", deadline " + grace);
          }
          fired.add(new Fired(a, "offline-grace", grace, e.at()));
          grace = null;
        }
      }
    }
    for (String tm : teams) {
      Map<String, Instant> deadlines = new HashMap<>();
      for (Object ev : eventsOf.apply("Team|" + tm)) {
        if (ev instanceof Team.Enqueued e) deadlines.put(e.entry().request().conversationId(), e.entry().deadline());
        if (ev instanceof Team.Dequeued e) {
          Instant d = deadlines.remove(e.conversationId());
          if (e.why().equals("expired")) {
            if (d == null || e.at().isBefore(d)) {
              throw new AssertionError(tm + " expired " + e.conversationId() + " at " + e.at() + ", deadline " + d);
            }
            fired.add(new Fired(tm + "/" + e.conversationId(), "queue-wait", d, e.at()));
          }
        }
      }
    }
    return fired;
  }
}

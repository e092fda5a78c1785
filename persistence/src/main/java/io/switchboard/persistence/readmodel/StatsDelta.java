package io.switchboard.persistence.readmodel;

import io.switchboard.EntityIds;
import io.switchboard.conversation.RerouteCause;
import java.util.LinkedHashMap;
import java.util.Map;

/** What one projection batch adds to the per-team and per-agent statistics, summed per subject. */
final class StatsDelta {
  enum Scope { TEAM, AGENT }

  record Key(Scope scope, String subject) {
    String tenant() {
      return EntityIds.tenantOf(subject);
    }
  }

  /** Counters in the column order of {@code sb_routing_stats}. */
  static final class Counts {
    long assignments;
    long firstResponses;
    long firstResponseMsTotal;
    long firstResponseMsMax;
    long reroutes;
    /** By {@code RerouteCause.ordinal()}. */
    final long[] reroutesByCause = new long[RerouteCause.values().length];
    long escalations;
    long resolutions;
  }

  private final Map<Key, Counts> counts = new LinkedHashMap<>();

  Map<Key, Counts> counts() {
    return counts;
  }

  boolean isEmpty() {
    return counts.isEmpty();
  }

  void assignment(String team, String agent) {
    both(team, agent, c -> c.assignments++);
  }

  void firstResponse(String team, String agent, long millis) {
    both(team, agent, c -> {
      c.firstResponses++;
      c.firstResponseMsTotal += millis;
      c.firstResponseMsMax = Math.max(c.firstResponseMsMax, millis);
    });
  }

  void reroute(String team, String agent, String cause) {
    RerouteCause known = RerouteCause.of(cause);
    int i = known == null ? -1 : known.ordinal();
    both(team, agent, c -> {
      c.reroutes++;
      if (i >= 0) c.reroutesByCause[i]++;
    });
  }

  void escalation(String team, String agent) {
    both(team, agent, c -> c.escalations++);
  }

  void resolution(String team, String agent) {
    both(team, agent, c -> c.resolutions++);
  }

  private void both(String team, String agent, java.util.function.Consumer<Counts> change) {
    if (team != null) change.accept(counts.computeIfAbsent(new Key(Scope.TEAM, team), k -> new Counts()));
    if (agent != null) change.accept(counts.computeIfAbsent(new Key(Scope.AGENT, agent), k -> new Counts()));
  }
}

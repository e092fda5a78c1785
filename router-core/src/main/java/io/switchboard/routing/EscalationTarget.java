package io.switchboard.routing;

import io.switchboard.CborSerializable;

/** Where a conversation goes when its team gives up: a supervisor agent, or an escalation team. */
public record EscalationTarget(String supervisorAgent, String team) implements CborSerializable {
  public EscalationTarget {
    if ((supervisorAgent == null) == (team == null)) {
      throw new IllegalArgumentException("an escalation target is either a supervisor agent or a team");
    }
  }

  public static EscalationTarget supervisor(String agentId) {
    return new EscalationTarget(agentId, null);
  }

  public static EscalationTarget team(String teamId) {
    return new EscalationTarget(null, teamId);
  }
}

package io.switchboard.conversation.state;

import io.switchboard.Canonical;
import io.switchboard.HoldToken;
import io.switchboard.conversation.Conversation.Release;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent holding the conversation: null unless ASSIGNED, or ESCALATED with a transfer pending
 * ({@code agentId} null then).
 *
 * @param hold the reservation the agent holds it under
 * @param answered the agent replied since it was assigned
 * @param transferTo the agent a transfer is offered to, until it accepts or declines
 */
public record Assignment(String agentId, HoldToken hold, Instant assignedAt, boolean answered, String transferTo) {
  public Assignment {
    agentId = Canonical.of(agentId); // one instance per agent, also when read from the journal
  }


  /** How many released holds a conversation remembers, to refuse a stale reservation and re-send releases. */
  static final int REMEMBERED_RELEASES = 8;

  public static Assignment of(String agentId, HoldToken hold, Instant at) {
    return new Assignment(agentId, hold, at, false, null);
  }

  public Assignment replied() {
    return answered ? this : new Assignment(agentId, hold, assignedAt, true, transferTo);
  }

  /** A transfer to {@code toAgent} is offered (on {@code current}, null when no agent holds it). */
  public static Assignment transferring(Assignment current, String toAgent) {
    return current == null ? new Assignment(null, null, null, false, toAgent)
        : new Assignment(current.agentId, current.hold, current.assignedAt, current.answered, toAgent);
  }

  /** {@code releases} with this agent's hold added when it leaves (the latest ones, re-sent until acknowledged). */
  public static List<Release> released(Assignment a, List<Release> releases) {
    return released(a, releases, null);
  }

  /** As {@link #released(Assignment, List)}, the agent keeping its unit until {@code wrapUpUntil} (null: none). */
  public static List<Release> released(Assignment a, List<Release> releases, Instant wrapUpUntil) {
    if (a == null || a.agentId == null) return releases;
    List<Release> r = new ArrayList<>(releases);
    r.add(new Release(a.agentId, a.hold, wrapUpUntil));
    return List.copyOf(r.size() > REMEMBERED_RELEASES ? r.subList(r.size() - REMEMBERED_RELEASES, r.size()) : r);
  }
}

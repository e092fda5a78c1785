package io.switchboard.conversation.state;

import java.time.Instant;

/**
 * The conversation's own clocks, each an instant persisted in its events (re-armed on recovery): the
 * reply window, idle auto-resolve and the 24 h customer service window. Which of them runs depends on
 * the status too ({@code Conversation.State#nextDeadline}).
 *
 * @param awaitingReply the contact wrote since the agent's last reply
 * @param replyDeadline the assigned agent's reply window (null: none)
 * @param idleDeadline when an answered, quiet conversation resolves itself (null: none)
 * @param lastInboundAt the contact's last message
 */
public record Clocks(boolean awaitingReply, Instant replyDeadline, Instant idleDeadline, Instant lastInboundAt,
    Instant serviceWindowClosesAt, boolean serviceWindowClosed) {

  public static final Clocks EMPTY = new Clocks(false, null, null, null, null, false);

  /** The contact wrote at {@code at}: it waits for a reply ({@code newReplyDeadline}), the service window restarts. */
  public Clocks messageReceived(Instant at, Instant newReplyDeadline, Instant serviceWindowEnds) {
    return new Clocks(true, newReplyDeadline, null, at, serviceWindowEnds, false);
  }

  /** An agent took it: its reply window and idle deadline (either may be null). */
  public Clocks assigned(Instant newReplyDeadline, Instant newIdleDeadline) {
    return new Clocks(awaitingReply, newReplyDeadline, newIdleDeadline, lastInboundAt, serviceWindowClosesAt,
        serviceWindowClosed);
  }

  /** The agent answered: no reply window until the contact writes again; idle auto-resolve from now. */
  public Clocks replyAnswered(Instant newIdleDeadline) {
    return new Clocks(false, null, newIdleDeadline, lastInboundAt, serviceWindowClosesAt, serviceWindowClosed);
  }

  /** No agent holds it: neither an agent's reply window nor idle auto-resolve runs. */
  public Clocks unassigned() {
    return replyDeadline == null && idleDeadline == null ? this
        : new Clocks(awaitingReply, null, null, lastInboundAt, serviceWindowClosesAt, serviceWindowClosed);
  }

  /** The episode ended: nobody owes the contact a reply. */
  public Clocks resolved() {
    Clocks c = unassigned();
    return !c.awaitingReply ? c
        : new Clocks(false, null, null, lastInboundAt, serviceWindowClosesAt, serviceWindowClosed);
  }

  public Clocks serviceWindowEnded() {
    return new Clocks(awaitingReply, replyDeadline, idleDeadline, lastInboundAt, serviceWindowClosesAt, true);
  }
}

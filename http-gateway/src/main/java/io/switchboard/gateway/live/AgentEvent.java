package io.switchboard.gateway.live;

import io.switchboard.CborSerializable;
import java.time.Instant;

/**
 * One line of an agent's live stream.
 *
 * @param type {@code assigned}, {@code rerouted} (taken away), {@code escalated} (taken away, or
 *     escalated to this supervisor), {@code resolved}, {@code window_closing}
 * @param conversation the conversation's key within the tenant ({@code channel:contact})
 * @param deadline for {@code window_closing}: when the reply window ends
 */
public record AgentEvent(String type, String agent, String conversation, String team, String reason, Instant at,
    Instant deadline) implements CborSerializable {}

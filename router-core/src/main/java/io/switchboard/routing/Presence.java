package io.switchboard.routing;

/** An agent's availability as the agent (or the idle timer) declared it. */
public enum Presence { ONLINE, AWAY, OFFLINE }

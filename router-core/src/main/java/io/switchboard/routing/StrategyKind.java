package io.switchboard.routing;

/** How a team chooses an agent for a waiting conversation. */
public enum StrategyKind { ROUND_ROBIN, LEAST_BUSY, SKILL_BASED, MANUAL }

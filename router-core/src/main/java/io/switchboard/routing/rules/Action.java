package io.switchboard.routing.rules;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.switchboard.CborSerializable;
import java.util.List;
import java.util.Map;

/**
 * What a matching {@link Rule} does, read from JSON by its {@code "type"}. A rule's {@code then} is
 * zero or more {@link Modifier}s followed by exactly one {@link Terminal} (the routing decision) or
 * {@link Step} (ask the contact, or look it up in a CRM, and decide again afterwards).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(Action.ToTeam.class),
    @JsonSubTypes.Type(Action.ToAgent.class),
    @JsonSubTypes.Type(Action.Pool.class),
    @JsonSubTypes.Type(Action.PreviousAgent.class),
    @JsonSubTypes.Type(Action.SetPriority.class),
    @JsonSubTypes.Type(Action.SetFields.class),
    @JsonSubTypes.Type(Action.Tag.class),
    @JsonSubTypes.Type(Question.class),
    @JsonSubTypes.Type(CrmLookup.class)
})
public sealed interface Action extends CborSerializable permits Action.Terminal, Action.Modifier, Action.Step {

  /**
   * Ends the rules: where the conversation goes. Every terminal names a team, the one whose queue,
   * pool or strategy takes the conversation (for {@link ToAgent}, the team used when the agent
   * cannot take it). Also the type of every step's {@code fallback}.
   */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
  @JsonSubTypes({
      @JsonSubTypes.Type(Action.ToTeam.class),
      @JsonSubTypes.Type(Action.ToAgent.class),
      @JsonSubTypes.Type(Action.Pool.class),
      @JsonSubTypes.Type(Action.PreviousAgent.class)
  })
  sealed interface Terminal extends Action permits ToTeam, ToAgent, Pool, PreviousAgent {
    /** The team that takes the conversation. */
    String team();
  }

  /** Changes the conversation or contact on the way; never decides alone. */
  sealed interface Modifier extends Action permits SetPriority, SetFields, Tag {
  }

  /**
   * Asks the outside world something before deciding: the conversation runs the step, saves what it
   * learnt as contact fields, marks the step done and decides again; on failure it takes
   * {@link #fallback()} without deciding again.
   */
  sealed interface Step extends Action permits Question, CrmLookup {
    /** Unique within the rules; what {@link RulesEngine.Context#stepsDone()} holds. */
    String id();

    /** Where the conversation goes when the step fails (no valid answer, CRM down). */
    Terminal fallback();
  }

  /**
   * Route to a team, whose strategy picks the agent. {@code skills} (optional, skill to minimum
   * level) is what a skill-based team matches agents against.
   */
  @JsonTypeName("team")
  record ToTeam(String team, Map<String, Integer> skills) implements Terminal {
    public ToTeam {
      skills = Copies.map(skills);
    }

    public ToTeam(String team) {
      this(team, Map.of());
    }
  }

  /**
   * Assign to a named agent; when that agent is not available, {@code fallbackTeam}'s strategy
   * decides (the agent stays preferred there).
   */
  @JsonTypeName("agent")
  record ToAgent(String agent, String fallbackTeam) implements Terminal {
    @Override
    public String team() {
      return fallbackTeam;
    }
  }

  /** Leave the conversation in the team's unassigned pool, for its agents to claim. */
  @JsonTypeName("pool")
  record Pool(String team) implements Terminal {
  }

  /**
   * Route to the team preferring the agent who last served this contact, when available; a new
   * contact, or an unavailable agent, gets the team's strategy.
   */
  @JsonTypeName("previousAgent")
  record PreviousAgent(String team) implements Terminal {
  }

  /** Set the conversation's priority (0-100, higher goes first in queues). */
  @JsonTypeName("setPriority")
  record SetPriority(Integer priority) implements Modifier {
  }

  /** Set contact fields (remembered across conversations). */
  @JsonTypeName("setFields")
  record SetFields(Map<String, String> fields) implements Modifier {
    public SetFields {
      fields = Copies.map(fields);
    }
  }

  /** Add tags to the conversation. */
  @JsonTypeName("tag")
  record Tag(List<String> tags) implements Modifier {
    public Tag {
      tags = Copies.list(tags);
    }
  }
}

package io.switchboard.routing.rules;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.switchboard.CborSerializable;
import java.util.Map;
import java.util.Set;

/**
 * What {@link RulesEngine#decide} concluded for one inbound message. Every variant but
 * {@link Unrouted} names the rule that matched and carries what its modifiers did: the priority
 * to use from now on, contact fields to save and tags to add (apply them before acting, also for a
 * step, so that the next decision sees them).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(Decision.Route.class),
    @JsonSubTypes.Type(Decision.Ask.class),
    @JsonSubTypes.Type(Decision.Lookup.class),
    @JsonSubTypes.Type(Decision.Unrouted.class)
})
public sealed interface Decision extends CborSerializable {

  /** Why, for people: which rule matched and on what ("rule 'else': no other rule matched"). */
  String reason();

  /** Route the conversation as {@code action} says. */
  @JsonTypeName("route")
  record Route(String rule, Action.Terminal action, int priority, Map<String, String> setFields,
               Set<String> tags, String reason) implements Decision {
    public Route {
      setFields = Copies.map(setFields);
      tags = Copies.set(tags);
    }
  }

  /** Ask the contact {@code question}; with the answer saved (or the fallback taken), decide again. */
  @JsonTypeName("ask")
  record Ask(String rule, Question question, int priority, Map<String, String> setFields,
             Set<String> tags, String reason) implements Decision {
    public Ask {
      setFields = Copies.map(setFields);
      tags = Copies.set(tags);
    }
  }

  /** Look the contact up; with the mapped fields saved (or the fallback taken), decide again. */
  @JsonTypeName("lookup")
  record Lookup(String rule, CrmLookup lookup, int priority, Map<String, String> setFields,
                Set<String> tags, String reason) implements Decision {
    public Lookup {
      setFields = Copies.map(setFields);
      tags = Copies.set(tags);
    }
  }

  /**
   * No rule matched: only possible with rules that {@link RulesValidator} would refuse (no else rule).
   * The conversation should stay where it is, visibly waiting with this reason.
   */
  @JsonTypeName("unrouted")
  record Unrouted(String reason) implements Decision {
  }
}

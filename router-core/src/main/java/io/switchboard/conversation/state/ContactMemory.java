package io.switchboard.conversation.state;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the conversation remembers of its contact across episodes.
 *
 * @param fields what is known of the contact (from the channel, answers, rules)
 * @param tags labels the rules gave the contact
 * @param previousAgent the agent of the last resolved episode (a returning contact prefers it)
 * @param recentMessageIds the latest message and contact-event ids, to acknowledge a duplicate again
 */
public record ContactMemory(Map<String, String> fields, Set<String> tags, String previousAgent, int episodes,
    long messages, List<String> recentMessageIds) {

  public static final ContactMemory EMPTY = new ContactMemory(Map.of(), Set.of(), null, 0, 0, List.of());

  public ContactMemory {
    fields = fields == null ? Map.of() : fields; // snapshots older than these fields
    tags = tags == null ? Set.of() : tags;
    recentMessageIds = recentMessageIds == null ? List.of() : recentMessageIds;
  }

  /** A message arrived ({@code opens}: it starts an episode); at most {@code max} ids are remembered. */
  public ContactMemory messageReceived(String messageId, boolean opens, int max) {
    return new ContactMemory(fields, tags, previousAgent, opens ? episodes + 1 : episodes, messages + 1,
        remember(messageId, max));
  }

  /** A contact event: its id is remembered like a message's, its fields merged. */
  public ContactMemory eventRecorded(String eventId, Map<String, String> more, int max) {
    return new ContactMemory(merged(more), tags, previousAgent, episodes, messages, remember(eventId, max));
  }

  public ContactMemory learned(Map<String, String> more, Set<String> moreTags) {
    if ((more == null || more.isEmpty()) && (moreTags == null || moreTags.isEmpty())) return this;
    Set<String> t = tags;
    if (moreTags != null && !moreTags.isEmpty()) {
      Set<String> all = new TreeSet<>(tags);
      all.addAll(moreTags);
      t = Set.copyOf(all);
    }
    return new ContactMemory(merged(more), t, previousAgent, episodes, messages, recentMessageIds);
  }

  /** The episode was resolved by {@code agentId} (null: nobody held it, the previous one stays). */
  public ContactMemory resolvedBy(String agentId) {
    return agentId == null ? this : new ContactMemory(fields, tags, agentId, episodes, messages, recentMessageIds);
  }

  private Map<String, String> merged(Map<String, String> more) {
    if (more == null || more.isEmpty()) return fields;
    Map<String, String> f = new TreeMap<>(fields);
    f.putAll(more);
    return Map.copyOf(f);
  }

  private List<String> remember(String id, int max) {
    List<String> ids = new ArrayList<>(recentMessageIds);
    ids.add(id);
    return List.copyOf(ids.size() > max ? ids.subList(ids.size() - max, ids.size()) : ids);
  }
}

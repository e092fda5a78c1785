package io.switchboard.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Snapshots of {@link Conversation.State}: version 1 (until the state was split) is one flat object of
 * 38 fields; version 2 nests them by concern ({@code round}, {@code assignment}, {@code clocks},
 * {@code rules}, {@code contact}, see {@code conversation.state}). A version-1 snapshot is rewritten
 * to the nested shape when it is read; new snapshots are written as version 2. Registered in
 * reference.conf under {@code pekko.serialization.jackson.migrations}, like {@code ProfileSetMigration}.
 * Fields a version-1 snapshot lacks (it is older than them) stay absent and take their defaults.
 */
public final class ConversationStateMigration extends JacksonMigration {

  static final String[] ROUND = {"team", "attempt", "waitingSince", "priority", "requiredSkills", "language",
      "preferredAgent", "poolOnly", "lapsedAgents", "visitedTeams", "reason", "routedBy", "reroutes",
      "reroutesByCause"};
  static final String[] ASSIGNMENT = {"agentId", "hold", "assignedAt", "answered", "transferTo"};
  static final String[] CLOCKS = {"awaitingReply", "replyDeadline", "idleDeadline", "lastInboundAt",
      "serviceWindowClosesAt", "serviceWindowClosed"};
  static final String[] RULES = {"pending", "routing", "stepsDone"};
  /** v1 name → v2 name in {@code contact}. */
  static final String[][] CONTACT = {{"contactFields", "fields"}, {"tags", "tags"}, {"previousAgent", "previousAgent"},
      {"episodes", "episodes"}, {"messages", "messages"}, {"recentMessageIds", "recentMessageIds"}};
  static final String[] TOP = {"status", "releases", "policy", "escalatedTo"};

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    if (fromVersion >= 2 || !(json instanceof ObjectNode flat)) return json;
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode state = f.objectNode();
    for (String k : TOP) copy(flat, k, state, k);
    state.set("round", group(flat, ROUND));
    boolean assigned = false;
    for (String k : ASSIGNMENT) {
      JsonNode v = flat.get(k);
      assigned |= v != null && !v.isNull() && !(v.isBoolean() && !v.booleanValue());
    }
    state.set("assignment", assigned ? group(flat, ASSIGNMENT) : f.nullNode());
    state.set("clocks", group(flat, CLOCKS));
    state.set("rules", group(flat, RULES));
    ObjectNode contact = f.objectNode();
    for (String[] k : CONTACT) copy(flat, k[0], contact, k[1]);
    state.set("contact", contact);
    return state;
  }

  private static ObjectNode group(ObjectNode flat, String[] names) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    for (String k : names) copy(flat, k, out, k);
    return out;
  }

  private static void copy(ObjectNode from, String name, ObjectNode to, String as) {
    JsonNode v = from.get(name);
    if (v != null) to.set(as, v);
  }
}

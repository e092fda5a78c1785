package io.switchboard.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * The path for an event that changes shape, shown on {@link Agent.ProfileSet}: version 1 stored a
 * flat profile with one capacity for every channel ({@code maxConversations}); version 2 nests an
 * {@link AgentProfile} with capacity per channel. Journals keep version-1 events forever, so they
 * are rewritten to the current shape when read; new events are written as version 2. Registered in
 * reference.conf under {@code pekko.serialization.jackson.migrations}.
 */
public final class ProfileSetMigration extends JacksonMigration {

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    if (fromVersion >= 2) return json;
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode capacity = f.objectNode();
    capacity.put("*", json.path("maxConversations").asInt(0));
    ObjectNode profile = f.objectNode();
    profile.set("capacity", capacity);
    profile.set("skills", json.has("skills") ? json.get("skills") : f.objectNode());
    profile.set("languages", json.has("languages") ? json.get("languages") : f.arrayNode());
    profile.put("role", json.path("role").asText("AGENT"));
    ObjectNode event = f.objectNode();
    event.set("profile", profile);
    return event;
  }
}

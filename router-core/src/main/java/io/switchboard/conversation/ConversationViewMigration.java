package io.switchboard.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * A {@link Conversation.View} (the answer to {@code Get}, sent between nodes) carries the conversation's
 * {@link Conversation.State}: one sent by a node of the version before the state was split (version 1)
 * holds the flat state, nested here as {@link ConversationStateMigration} nests a stored snapshot. So in a
 * rolling upgrade a node of this version reads the views of the nodes not upgraded yet; the other way
 * round an older node cannot read a version-2 view (its ask times out, 503), until every node runs this one.
 */
public final class ConversationViewMigration extends JacksonMigration {
  private final ConversationStateMigration state = new ConversationStateMigration();

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    if (fromVersion >= 2 || !(json instanceof ObjectNode view) || !(view.get("state") instanceof ObjectNode s)) {
      return json;
    }
    view.set("state", state.transform(fromVersion, s));
    return view;
  }
}

package io.switchboard;

/**
 * Entity ids are tenant-scoped: {@code tenant/rest}. A conversation id is
 * {@code tenant/channel:contact}, so its channel is known to anyone holding the id.
 */
public final class EntityIds {
  private EntityIds() {}

  public static String tenantOf(String id) {
    int slash = id.indexOf('/');
    if (slash <= 0 || slash == id.length() - 1) throw new IllegalArgumentException("id must be tenant/...: " + id);
    return id.substring(0, slash);
  }

  public static String conversationId(String tenant, String channel, String contact) {
    return tenant + "/" + channel + ":" + contact;
  }

  /** The channel part of a conversation id ({@code tenant/channel:contact}). */
  public static String channelOf(String conversationId) {
    int slash = conversationId.indexOf('/');
    int colon = conversationId.indexOf(':', slash + 1);
    if (slash <= 0 || colon <= slash + 1) {
      throw new IllegalArgumentException("conversation id must be tenant/channel:contact: " + conversationId);
    }
    return conversationId.substring(slash + 1, colon);
  }

  /** The name within the tenant ({@code tenant/name} → {@code name}), for messages people read. */
  public static String localName(String id) {
    int slash = id.indexOf('/');
    return slash < 0 ? id : id.substring(slash + 1);
  }
}

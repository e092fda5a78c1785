package io.switchboard;

/**
 * Entity ids are tenant-scoped: {@code tenant/rest}. A conversation id is
 * {@code tenant/channel:contact}, so its channel is known to anyone holding the id.
 */
public final class EntityIds {
  private EntityIds() {}

  /** The tenant part of an id: one shared instance per tenant ({@link Canonical}), not a copy per caller. */
  public static String tenantOf(String id) {
    int slash = id.indexOf('/');
    if (slash <= 0 || slash == id.length() - 1) throw new IllegalArgumentException("id must be tenant/...: " + id);
    return Canonical.of(id.substring(0, slash));
  }

  /** An agent's id: {@code tenant/name}. */
  public static String agentId(String tenant, String name) {
    return tenant + "/" + name;
  }

  /** A team's id: {@code tenant/name}. */
  public static String teamId(String tenant, String name) {
    return tenant + "/" + name;
  }

  public static String conversationId(String tenant, String channel, String contact) {
    return tenant + "/" + channel + ":" + contact;
  }

  /**
   * The channel part of a conversation id ({@code tenant/channel:contact}): one shared instance per channel
   * ({@link Canonical}; the conversation and its agent's hold keep it), not a copy per caller.
   */
  public static String channelOf(String conversationId) {
    int slash = conversationId.indexOf('/');
    int colon = conversationId.indexOf(':', slash + 1);
    if (slash <= 0 || colon <= slash + 1) {
      throw new IllegalArgumentException("conversation id must be tenant/channel:contact: " + conversationId);
    }
    return Canonical.of(conversationId.substring(slash + 1, colon));
  }

  /**
   * The contact part of a conversation id ({@code tenant/channel:contact}), everything after the
   * channel's colon (a contact may hold colons itself).
   */
  public static String contactOf(String conversationId) {
    int slash = conversationId.indexOf('/');
    int colon = conversationId.indexOf(':', slash + 1);
    if (slash <= 0 || colon <= slash + 1) {
      throw new IllegalArgumentException("conversation id must be tenant/channel:contact: " + conversationId);
    }
    return conversationId.substring(colon + 1);
  }

  /**
   * The name within the tenant ({@code tenant/name} → {@code name}, {@code tenant/channel:contact} →
   * {@code channel:contact}), for messages people read and for the API's tenant-relative names; null stays null.
   */
  public static String localName(String id) {
    if (id == null) return null;
    int slash = id.indexOf('/');
    return slash < 0 ? id : id.substring(slash + 1);
  }
}

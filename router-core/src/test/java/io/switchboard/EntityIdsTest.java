package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The id shapes on the wire and in storage: built and taken apart by one class. */
class EntityIdsTest {

  @Test
  void aConversationIdIsTakenApartIntoWhatBuiltIt() {
    String id = EntityIds.conversationId("acme", "whatsapp", "31600000001");
    assertEquals("acme/whatsapp:31600000001", id);
    assertEquals("acme", EntityIds.tenantOf(id));
    assertEquals("whatsapp", EntityIds.channelOf(id));
    assertEquals("31600000001", EntityIds.contactOf(id));
    assertEquals("whatsapp:31600000001", EntityIds.localName(id));
  }

  @Test
  void aContactMayHoldColonsAndSlashes() {
    String id = EntityIds.conversationId("acme", "web", "a:b/c");
    assertEquals("web", EntityIds.channelOf(id));
    assertEquals("a:b/c", EntityIds.contactOf(id));
  }

  @Test
  void agentAndTeamIdsAreTenantSlashName() {
    assertEquals("acme/alice", EntityIds.agentId("acme", "alice"));
    assertEquals("acme/sales", EntityIds.teamId("acme", "sales"));
    assertEquals("sales", EntityIds.localName(EntityIds.teamId("acme", "sales")));
    assertNull(EntityIds.localName(null));
  }

  @Test
  void aConversationIdWithoutChannelIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> EntityIds.contactOf("acme/31600000001"));
    assertThrows(IllegalArgumentException.class, () -> EntityIds.contactOf("acme:whatsapp"));
  }
}

package io.switchboard.gateway.tenant;

import io.switchboard.CborSerializable;
import java.util.Map;

/**
 * A tenant's configuration as the provider's admin set it, its secrets as stored ({@link TenantSecrets}):
 * sealed or hashed once the edge has protected them; in clear in events written before that.
 *
 * @param verifyToken WhatsApp's verification handshake token (hub.verify_token), stored as its SHA-256
 * @param appSecret the Meta app secret that signs WhatsApp webhooks, stored sealed (opened to check HMACs)
 * @param webhookUrl where Switchboard POSTs the tenant's events; null: no outbound webhook
 * @param webhookSecret the key of the HMAC on those POSTs, stored sealed
 * @param defaultTeam the team ({@code tenant/name}) a new conversation goes to when nothing else says
 * @param whatsappNumbers WhatsApp phone_number_id → team that number's conversations go to
 */
public record TenantSettings(
    String displayName,
    String verifyToken,
    String appSecret,
    String webhookUrl,
    String webhookSecret,
    String defaultTeam,
    Map<String, String> whatsappNumbers) implements CborSerializable {

  public TenantSettings {
    whatsappNumbers = whatsappNumbers == null ? Map.of() : Map.copyOf(whatsappNumbers);
  }

  /** The team for a WhatsApp message to {@code phoneNumberId}: that number's team, else the default. */
  public String teamForWhatsApp(String phoneNumberId) {
    String t = phoneNumberId == null ? null : whatsappNumbers.get(phoneNumberId);
    return t != null ? t : defaultTeam;
  }
}

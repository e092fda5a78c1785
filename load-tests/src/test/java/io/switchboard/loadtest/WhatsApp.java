package io.switchboard.loadtest;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** WhatsApp Cloud API notification bodies (text messages) and their {@code X-Hub-Signature-256}. */
final class WhatsApp {
  private WhatsApp() {}

  /** One inbound text message of {@code from}. */
  record Message(String from, String id, String text) {}

  /**
   * A notification with all {@code messages} in one change of {@code phoneNumberId}, as Meta
   * sends several contacts' messages together.
   */
  static String body(String phoneNumberId, List<Message> messages) {
    long now = Instant.now().getEpochSecond();
    StringBuilder contacts = new StringBuilder();
    StringBuilder msgs = new StringBuilder();
    for (Message m : messages) {
      if (contacts.length() > 0) {
        contacts.append(',');
        msgs.append(',');
      }
      contacts.append("{\"profile\":{\"name\":\"Load ").append(m.from()).append("\"},\"wa_id\":\"")
          .append(m.from()).append("\"}");
      msgs.append("{\"from\":\"").append(m.from()).append("\",\"id\":\"wamid.").append(m.id())
          .append("\",\"timestamp\":\"").append(now).append("\",\"type\":\"text\",\"text\":{\"body\":\"")
          .append(m.text()).append("\"}}");
    }
    return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"900000001\",\"changes\":[{\"field\":"
        + "\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":"
        + "\"15550000000\",\"phone_number_id\":\"" + phoneNumberId + "\"},\"contacts\":[" + contacts
        + "],\"messages\":[" + msgs + "]}}]}]}";
  }

  /** {@code sha256=<lowercase hex HMAC-SHA256 of the body under the app secret>}. */
  static String signature(String appSecret, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(appSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}

package io.switchboard.gateway.outbound;

import java.util.List;

/**
 * A message to a contact (an agent's reply, a bot's question), as the {@link ChannelConnector}
 * sends it. It carries text, a template, or both; options turn it into an interactive message.
 *
 * @param channel the channel the contact is reached on ({@code whatsapp}, ...)
 * @param to the contact's id on that channel
 * @param conversationId the conversation the message belongs to, for the connector's records
 * @param text the message text, or the body above the options; null for a template alone
 * @param template a pre-approved template (channels require one outside their reply window); nullable
 * @param options interactive buttons or list rows; nullable
 */
public record OutboundMessage(String tenant, String channel, String to, String conversationId, String text,
    TemplateRef template, List<Option> options) {

  /**
   * A template and the values of its placeholders.
   *
   * @param language its language code ({@code en}, {@code pt_BR})
   * @param params the placeholders' values, in order
   */
  public record TemplateRef(String name, String language, List<String> params) {
    public TemplateRef {
      required("template name", name);
      required("template language", language);
      params = params == null ? List.of() : List.copyOf(params);
    }
  }

  /**
   * One button or list row.
   *
   * @param id what the contact's answer carries back
   * @param title what the contact sees
   */
  public record Option(String id, String title) {
    public Option {
      required("option id", id);
      required("option title", title);
    }
  }

  public OutboundMessage {
    required("tenant", tenant);
    required("channel", channel);
    required("to", to);
    if ((text == null || text.isEmpty()) && template == null) {
      throw new IllegalArgumentException("an outbound message needs a text or a template");
    }
    if (options != null && options.isEmpty()) options = null;
    if (options != null) options = List.copyOf(options);
  }

  /** A plain text message. */
  public static OutboundMessage text(String tenant, String channel, String to, String conversationId, String text) {
    return new OutboundMessage(tenant, channel, to, conversationId, text, null, null);
  }

  private static void required(String what, String value) {
    if (value == null || value.isBlank()) throw new IllegalArgumentException("an outbound message needs a " + what);
  }
}

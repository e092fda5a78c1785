package io.switchboard.gateway.api;

import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.Outcome.Code;
import io.switchboard.gateway.outbound.ChannelConnector;
import io.switchboard.gateway.outbound.OutboundMessage;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** Agent replies go to the contact through the channel connector; a failed send is a 502 {@code delivery_failed}. */
public final class ConnectorReplies implements ConversationRoutes.Replies {
  private final ChannelConnector connector;
  private final Executor executor;

  public ConnectorReplies(ChannelConnector connector, Executor executor) {
    this.connector = connector;
    this.executor = executor;
  }

  @Override
  public CompletionStage<Outcome> send(String tenant, String conversationId, Requests.ReplyRequest reply) {
    String channel = EntityIds.channelOf(conversationId);
    String contact = EntityIds.contactOf(conversationId);
    OutboundMessage.TemplateRef template = reply.template() == null ? null : new OutboundMessage.TemplateRef(
        reply.template().name(), reply.template().language(), reply.template().parameters());
    OutboundMessage m = new OutboundMessage(tenant, channel, contact, conversationId, reply.text(), template, null);
    return connector.send(m).thenApplyAsync(r -> r.ok()
        ? Outcome.ok(r.providerMessageId() == null ? "sent" : "sent as " + r.providerMessageId())
        : Outcome.refused(Code.DELIVERY_FAILED, "the reply was recorded but the channel connector did not take it: "
            + r.error()), executor);
  }
}

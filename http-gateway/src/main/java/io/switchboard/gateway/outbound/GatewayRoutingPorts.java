package io.switchboard.gateway.outbound;

import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.Outcome.Code;
import io.switchboard.RoutingPorts;
import io.switchboard.routing.rules.CrmLookup;
import io.switchboard.routing.rules.Question;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** The routing rules' outside world on a gateway node: questions through the channel connector, lookups through {@link CrmClient}. */
public final class GatewayRoutingPorts implements RoutingPorts {
  private final ChannelConnector connector;
  private final CrmClient crm;
  private final Executor executor;

  public GatewayRoutingPorts(ChannelConnector connector, CrmClient crm, Executor executor) {
    this.connector = connector;
    this.crm = crm;
    this.executor = executor;
  }

  @Override
  public CompletionStage<Outcome> sendToContact(String conversationId, String text, List<Question.Option> options,
      String idempotencyKey) {
    String contact = EntityIds.contactOf(conversationId);
    List<OutboundMessage.Option> buttons = options == null ? null
        : options.stream().map(o -> new OutboundMessage.Option(o.id(), o.title())).toList();
    OutboundMessage m = new OutboundMessage(EntityIds.tenantOf(conversationId), EntityIds.channelOf(conversationId),
        contact, conversationId, text, null, buttons);
    return connector.send(m).thenApplyAsync(r -> r.ok() ? Outcome.ok("sent")
        : Outcome.refused(Code.DELIVERY_FAILED, r.error()), executor);
  }

  @Override
  public CompletionStage<LookupResult> lookup(String conversationId, CrmLookup lookup, Map<String, String> fields) {
    return crm.lookup(lookup, fields);
  }
}

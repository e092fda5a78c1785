/**
 * Switchboard's outbound traffic: what leaves the router for tenants and contacts.
 *
 * <ul>
 *   <li>{@link io.switchboard.gateway.outbound.WebhookDispatcher}: delivers the conversation events
 *       the read-model projection writes to {@code sb_webhook_outbox} to each tenant's webhook
 *       ({@link io.switchboard.gateway.outbound.WebhookTargets}), signed, in order, retried with
 *       backoff, dead-lettered to {@code sb_webhook_dead} when they keep failing;
 *   <li>the outbox and dead-letter tables themselves are persistence's
 *       {@link io.switchboard.persistence.outbox.WebhookOutbox} (all their SQL, the projection's insert
 *       with it), which the dispatcher calls on a dispatcher of its own;
 *   <li>{@link io.switchboard.gateway.outbound.ChannelConnector}: sends
 *       {@link io.switchboard.gateway.outbound.OutboundMessage}s (agent replies, bot questions) to the
 *       channel connector service;
 *   <li>{@link io.switchboard.gateway.outbound.OutboundSettings}: {@code switchboard.gateway.outbound}.
 * </ul>
 */
package io.switchboard.gateway.outbound;

package io.switchboard.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.switchboard.RoutingObserver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Prometheus metrics of this node, fed by the routing core (as its {@link RoutingObserver}) and by
 * the routes: messages in, time from a routing round's start to assignment (histogram), queue length
 * per team, re-routes, escalations, reply-window expiries, resolutions. Scraped at {@code /metrics}.
 */
public final class Metrics implements RoutingObserver {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer routing = Timer.builder("switchboard_routing_latency")
      .description("from the start of a routing round (the opening message, a re-route, a transfer) to the assignment")
      .publishPercentileHistogram()
      .minimumExpectedValue(Duration.ofMillis(1))
      .maximumExpectedValue(Duration.ofMinutes(10))
      .register(registry);
  private final Counter opened = Counter.builder("switchboard_conversations_opened").register(registry);
  private final Counter escalations = Counter.builder("switchboard_escalations").register(registry);
  private final Counter resolutions = Counter.builder("switchboard_resolutions").register(registry);
  private final Counter windowExpiries = Counter.builder("switchboard_reply_window_expiries")
      .description("reply windows that ended without an answer (re-routed or escalated)").register(registry);
  private final Map<String, AtomicInteger> queues = new ConcurrentHashMap<>();

  public String scrape() {
    return registry.scrape();
  }

  /** A message accepted (stored) on {@code channel} through {@code source} (api, whatsapp). */
  public void messageIn(String channel, String source) {
    registry.counter("switchboard_messages_in", "channel", channel, "source", source).increment();
  }

  public void messagesIgnored(String source, String why, int n) {
    if (n > 0) registry.counter("switchboard_webhook_parts_ignored", "source", source, "why", why).increment(n);
  }

  @Override
  public void messageReceived(String conversationId, boolean opensEpisode) {
    if (opensEpisode) opened.increment();
  }

  @Override
  public void assigned(String conversationId, String agentId, String teamId, Duration waited) {
    routing.record(waited);
  }

  @Override
  public void rerouted(String conversationId, String fromAgent, String teamId, String cause) {
    registry.counter("switchboard_reroutes", "cause", cause).increment();
    if ("reply_window_lapsed".equals(cause)) windowExpiries.increment();
  }

  @Override
  public void escalated(String conversationId, String fromAgent, String supervisor, String toTeam, String reason) {
    escalations.increment();
    if (reason != null && reason.startsWith("reply_window_lapsed")) windowExpiries.increment();
  }

  @Override
  public void resolved(String conversationId, String agentId, String reason) {
    resolutions.increment();
  }

  @Override
  public void queueLength(String teamId, int length) {
    queues.computeIfAbsent(teamId, t -> {
      AtomicInteger n = new AtomicInteger();
      Gauge.builder("switchboard_queue_length", n, AtomicInteger::get).tag("team", t).register(registry);
      return n;
    }).set(length);
  }
}

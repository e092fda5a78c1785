package io.switchboard.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.switchboard.RoutingObserver;
import io.switchboard.conversation.RerouteCause;
import java.time.Duration;
import java.time.Instant;
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
  private final Counter wrapUps = Counter.builder("switchboard_wrap_ups_started")
      .description("resolves after which the agent's unit stayed held for its team's wrap-up").register(registry);
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
  public void rerouted(String conversationId, String fromAgent, String teamId, RerouteCause cause) {
    registry.counter("switchboard_reroutes", "cause", cause.codeValue()).increment();
    if (cause == RerouteCause.REPLY_WINDOW_LAPSED) windowExpiries.increment();
  }

  @Override
  public void escalated(String conversationId, String fromAgent, String supervisor, String toTeam, String reason) {
    escalations.increment();
    if (RerouteCause.ofReason(reason) == RerouteCause.REPLY_WINDOW_LAPSED) windowExpiries.increment();
  }

  @Override
  public void resolved(String conversationId, String agentId, String reason) {
    resolutions.increment();
  }

  @Override
  public void wrapUpStarted(String agentId, String conversationId, Instant until) {
    wrapUps.increment();
  }

  @Override
  public void wrapUpEnded(String agentId, String conversationId, String reason) {
    registry.counter("switchboard_wrap_ups_ended", "reason", reason).increment();
  }

  @Override
  public void queueLength(String teamId, int length) {
    queues.computeIfAbsent(teamId, t -> {
      AtomicInteger n = new AtomicInteger();
      Gauge.builder("switchboard_queue_length", n, AtomicInteger::get).tag("team", t).register(registry);
      return n;
    }).set(length);
  }

  /**
   * This node's view of the cluster, read at each scrape: members by status and unreachable members
   * ({@code Cluster.state()}, a snapshot), and per shard region the shards and entities hosted here and
   * the shards that arrived or left (rebalances, hand-offs, a node's loss), as polled by {@code regions}.
   */
  public void cluster(org.apache.pekko.cluster.typed.Cluster cluster, io.switchboard.gateway.cluster.ShardRegionStatus regions) {
    for (String status : java.util.List.of("joining", "weakly_up", "up", "leaving", "exiting", "down")) {
      Gauge.builder("switchboard_cluster_members", () -> countMembers(cluster, status))
          .description("members of the cluster by status, as this node sees them").tag("status", status)
          .register(registry);
    }
    Gauge.builder("switchboard_cluster_unreachable_members", () -> cluster.state().getUnreachable().size())
        .description("members this node's failure detector finds unreachable").register(registry);
    for (String region : regions.names()) {
      Gauge.builder("switchboard_shard_region_shards", () -> regions.view(region).shards())
          .description("shards of this region hosted on this node").tag("region", region).register(registry);
      Gauge.builder("switchboard_shard_region_entities", () -> regions.view(region).entities())
          .description("running entities of this region on this node").tag("region", region).register(registry);
      io.micrometer.core.instrument.FunctionCounter.builder("switchboard_shard_region_shards_arrived", regions,
              r -> r.view(region).shardsArrived())
          .description("shards started on this node (allocated or rebalanced here)").tag("region", region)
          .register(registry);
      io.micrometer.core.instrument.FunctionCounter.builder("switchboard_shard_region_shards_left", regions,
              r -> r.view(region).shardsLeft())
          .description("shards that left this node (rebalanced or handed off)").tag("region", region)
          .register(registry);
    }
  }

  private static int countMembers(org.apache.pekko.cluster.typed.Cluster cluster, String status) {
    int n = 0;
    for (org.apache.pekko.cluster.Member m : cluster.state().getMembers()) {
      if (statusName(m.status()).equals(status)) n++;
    }
    return n;
  }

  private static String statusName(org.apache.pekko.cluster.MemberStatus s) {
    return s.toString().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase();
  }
}

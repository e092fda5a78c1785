package io.switchboard.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import io.switchboard.CoreSettings;
import io.switchboard.RouterCore;
import io.switchboard.gateway.api.AdminRoutes;
import io.switchboard.gateway.api.AgentRoutes;
import io.switchboard.agent.Agent;
import io.switchboard.conversation.Conversation;
import io.switchboard.gateway.api.ConnectorReplies;
import io.switchboard.gateway.cluster.ClusterConfig;
import io.switchboard.gateway.cluster.ShardRegionStatus;
import io.switchboard.gateway.cluster.SingleNodeGuard;
import io.switchboard.team.Team;
import java.util.List;
import org.apache.pekko.management.javadsl.PekkoManagement;
import io.switchboard.gateway.api.WhatsAppRoutes;
import io.switchboard.gateway.outbound.ChannelConnector;
import io.switchboard.gateway.outbound.CrmClient;
import io.switchboard.gateway.outbound.GatewayRoutingPorts;
import io.switchboard.persistence.outbox.WebhookOutbox;
import io.switchboard.gateway.outbound.OutboundSettings;
import io.switchboard.gateway.outbound.TenantWebhookTargets;
import io.switchboard.gateway.outbound.WebhookDispatcher;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import io.switchboard.gateway.api.Auth;
import io.switchboard.gateway.api.ConversationRoutes;
import io.switchboard.gateway.api.Entities;
import io.switchboard.gateway.api.Errors;
import io.switchboard.gateway.api.Json;
import io.switchboard.gateway.api.OpsRoutes;
import io.switchboard.gateway.api.RulesRoutes;
import io.switchboard.gateway.api.ServerLevel;
import io.switchboard.gateway.api.TeamRoutes;
import io.switchboard.gateway.api.Validation;
import io.switchboard.gateway.live.AgentEvents;
import io.switchboard.gateway.live.AgentStream;
import io.switchboard.gateway.live.LiveEvents;
import io.switchboard.gateway.tenant.Tenant;
import io.switchboard.gateway.tenant.TenantDirectory;
import io.switchboard.gateway.tenant.TenantSecrets;
import io.switchboard.persistence.Store;
import io.switchboard.persistence.StoreHealth;
import io.switchboard.persistence.StoreSettings;
import io.switchboard.persistence.readmodel.ReadModels;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;

/**
 * One Switchboard node: the store's schema, the actor system as a cluster member (joining itself
 * when no seed nodes are configured), the routing core, tenants, read models, agents' live
 * streams, and the HTTP API bound on {@code switchboard.gateway.host:port}. {@link #start} is what
 * {@link Main} and the tests call.
 */
public final class Gateway {
  private final ActorSystem<Void> system;
  private final ServerBinding binding;
  private final int managementPort;
  private final Metrics metrics;
  private final Readiness readiness;

  private Gateway(ActorSystem<Void> system, ServerBinding binding, int managementPort, Metrics metrics,
      Readiness readiness) {
    this.system = system;
    this.binding = binding;
    this.managementPort = managementPort;
    this.metrics = metrics;
    this.readiness = readiness;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  /** The port of Pekko Management's HTTP endpoint, or -1 when it is off. */
  public int managementPort() {
    return managementPort;
  }

  public Metrics metrics() {
    return metrics;
  }

  /** Why a node configured with a bootstrap file is not ready until {@link Main} has applied it. */
  static String applyingBootstrap(String file) {
    return "applying the bootstrap file " + file;
  }

  /**
   * Until {@code pending} completes, {@code /health/ready} answers 503 saying {@code because}: a node
   * that applies its bootstrap file must not be sent traffic before its teams and agents exist (an
   * opening message to a team not configured yet is escalated at once). If {@code pending} fails, the
   * node stays not ready.
   */
  public void notReadyUntil(CompletionStage<?> pending, String because) {
    readiness.pending.set(because);
    pending.whenComplete((x, failure) -> {
      if (failure == null) readiness.pending.compareAndSet(because, null);
      else readiness.pending.set(because + " failed: " + failure.getMessage());
    });
  }

  /** Unbinds and terminates the actor system (coordinated shutdown). */
  /**
   * Completes once this node serves the API: an Up member whose shard regions are registered. Until then
   * {@code /v1/} requests are answered 503 with Retry-After at once. Polls every 20 ms; fails after {@code within}.
   */
  public CompletionStage<Done> serving(Duration within) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    org.apache.pekko.actor.Cancellable poll = system.scheduler().scheduleAtFixedRate(Duration.ZERO,
        Duration.ofMillis(20), () -> {
          if (readiness.notServingBecause() == null) done.complete(Done.getInstance());
        }, system.executionContext());
    org.apache.pekko.actor.Cancellable giveUp = system.scheduler().scheduleOnce(within,
        () -> done.completeExceptionally(new IllegalStateException(
            "not serving after " + within + ": " + readiness.notServingBecause())), system.executionContext());
    return done.whenComplete((d, t) -> {
      poll.cancel();
      giveUp.cancel();
    });
  }

  public void stop() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the actor system did not terminate in time", e);
    }
  }

  /**
   * Creates the schema (blocking, before anything runs), starts the node and binds the API.
   *
   * @param app the application's configuration; the store's Pekko settings are layered over it
   */
  public static CompletionStage<Gateway> start(Config app) {
    app = ClusterConfig.withSeedNodes(app);
    StoreSettings store = StoreSettings.from(app);
    // before the store is touched: a node of several on H2 would make a store of its own
    ClusterConfig.refuseH2Cluster(store, app);
    CoreSettings core = CoreSettings.from(app);
    if (core.passivates() && (!app.getBoolean("switchboard.read-models.enabled") || core.readModelTags() <= 0)) {
      // a passivated conversation's deadlines are kept by the read models' wake-up index and keeper
      throw new IllegalArgumentException("switchboard.core.passivate-after needs the read models "
          + "(switchboard.read-models.enabled = on, read-model-tags > 0): their wake-up keeper is what wakes a stopped conversation "
          + "for its deadlines; set passivate-after = off to run without them");
    }
    // before the store is touched: on PostgreSQL without a key the node refuses to start
    TenantSecrets secrets = TenantSecrets.from(app);
    Store.createSchema(store);
    Config config = Store.pekkoConfig(store).withFallback(app);
    GatewaySettings settings = GatewaySettings.from(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), config.getString("switchboard.system-name"),
        config);
    Cluster cluster = Cluster.get(system);
    if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }

    Metrics metrics = new Metrics();
    ActorRef<AgentEvents.Command> topics = system.systemActorOf(AgentEvents.create(), "agent-events", Props.empty());
    OutboundSettings outbound = OutboundSettings.from(config);
    ChannelConnector connector = new ChannelConnector(system, outbound);
    CrmClient crm = new CrmClient(system, config.getInt("switchboard.gateway.crm.max-failures"),
        config.getDuration("switchboard.gateway.crm.reset-timeout"),
        config.getInt("switchboard.gateway.crm.max-breakers"));
    RouterCore.init(system, Clock.systemUTC(), new Observers(metrics, new LiveEvents(topics)),
        new GatewayRoutingPorts(connector, crm, system.executionContext()));
    Tenant.init(system);
    if (store.kind() == StoreSettings.Kind.H2) {
      system.systemActorOf(SingleNodeGuard.create(), "single-node-guard", Props.empty());
    }
    ShardRegionStatus regions = ShardRegionStatus.start(system, List.of(Conversation.ENTITY_TYPE_KEY,
        Agent.ENTITY_TYPE_KEY, Team.ENTITY_TYPE_KEY, Tenant.ENTITY_TYPE_KEY),
        config.getDuration("switchboard.cluster.registration-poll"), config.getDuration("switchboard.cluster.status-interval"));
    metrics.cluster(cluster, regions);
    // the agents whose live-stream log got lines, told to every node's streams (docs/ARCHITECTURE.md)
    // and no outbox rows for a tenant this node's copy knows to have no webhook (the dispatcher would drop them)
    TenantDirectory tenants = TenantDirectory.get(system);
    ReadModels readModels = ReadModels.start(system, store,
        written -> topics.tell(new AgentEvents.Publish(new AgentEvents.Changed(java.util.List.copyOf(written)))),
        tenant -> TenantWebhookTargets.knownWithout(tenants, tenant));
    // One dispatcher for the whole cluster: two would deliver the same outbox rows twice, out of order.
    ClusterSingleton.get(system).init(SingletonActor.of(WebhookDispatcher.create(new WebhookOutbox(readModels.dataSource()),
        new TenantWebhookTargets(tenants, TenantSecrets.get(system), system.executionContext()),
        OutboundSettings.from(config)), "webhook-dispatcher"));
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "http-client-pools",
        () -> Http.get(system).shutdownAllConnectionPools().thenApply(x -> Done.getInstance()));
    StoreHealth storeHealth = StoreHealth.start(system, StoreHealth.Settings.from(config));
    Readiness readiness = new Readiness(cluster, regions, readModels, storeHealth);
    // held from the start, not from when Main begins applying it: /health/ready answered 200 in between
    // and the fault test's first messages got 401 (the bootstrap's API key not stored yet)
    if (!settings.bootstrapFile().isBlank()) readiness.pending.set(applyingBootstrap(settings.bootstrapFile()));

    ObjectMapper json = Json.mapper();
    Errors errors = new Errors(json, settings.retryAfter());
    Validation valid = new Validation(settings.maxIdLength(), settings.maxTextLength());
    ClusterSharding sharding = ClusterSharding.get(system);
    Entities entities = new Entities(system, settings.askTimeout());
    Auth auth = new Auth(json, errors, valid, sharding, settings, tenants, TenantSecrets.get(system));
    AdminRoutes admin = new AdminRoutes(json, errors, valid, auth, sharding, settings.askTimeout());
    TeamRoutes teams = new TeamRoutes(json, errors, valid, entities, readModels.queries(), core.offlineGrace());
    AgentStream streams = new AgentStream(readModels.queries(), topics, json, settings.livePollInterval(),
        settings.sseKeepAlive());
    AgentRoutes agents = new AgentRoutes(json, errors, valid, entities, readModels.queries(), streams);
    ConversationRoutes conversations = new ConversationRoutes(json, errors, valid, entities, readModels.queries(),
        metrics, new ConnectorReplies(connector, system.executionContext()), Clock.systemUTC());
    WhatsAppRoutes whatsapp = new WhatsAppRoutes(json, errors, valid, auth, entities, readModels.queries(), metrics,
        settings.whatsappParallelism(), Materializer.matFromSystem(system));
    OpsRoutes ops = new OpsRoutes(json, errors, valid, metrics, readiness);
    RulesRoutes rules = new RulesRoutes(json, errors, valid, entities, auth);

    AllDirectives d = new AllDirectives() {};
    Route api = d.concat(
        ops.routes(),
        d.pathPrefix("v1", () -> d.concat(
            admin.routes(),
            whatsapp.routes(),
            d.pathPrefix("tenants", () -> d.pathPrefix(org.apache.pekko.http.javadsl.server.PathMatchers.segment(),
                tenant -> auth.tenant(tenant, tenantState -> d.concat(
                    teams.routes(tenant),
                    agents.routes(tenant),
                    rules.routes(tenant, tenantState),
                    conversations.routes(tenant, tenantState))))))));
    // pekko.http.server.request-timeout: answered like an ask timeout, not with the server's plain text
    Route sealed = d.withRequestTimeoutResponse(request -> errors.unavailable(
            "the request was not answered within the server's request timeout; retry later"),
        () -> d.withSizeLimit(settings.maxBodySize(), () -> d.handleExceptions(errors.exceptionHandler(),
            () -> d.handleRejections(errors.rejectionHandler(), () -> api))));

    Function<HttpRequest, CompletionStage<HttpResponse>> handler = limitInFlight(failFastWhileStoreFails(
        sealed.seal(errors.rejectionHandler(), errors.exceptionHandler()).handler(system), storeHealth, errors, system),
        settings, errors, system, readiness);
    CompletionStage<Integer> management = startManagement(system, config);
    return Http.get(system).newServerAt(settings.host(), settings.port()).withSettings(ServerLevel.settings(system))
        .bind(handler).thenCombine(management, (binding, managementPort) -> {
      // Graceful stop (SIGTERM, or system.terminate()): first refuse new requests (503, connection
      // closed) and turn not ready, then unbind, then let the requests in flight finish for at most
      // shutdown-deadline; only then do sharding (the entities' last writes), the projections and the
      // store stop, in CoordinatedShutdown's later phases (docs/ARCHITECTURE.md, "Graceful shutdown").
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "refuse-new-requests",
          () -> {
            readiness.stopping.set(true);
            streams.endAll(); // their clients reconnect elsewhere with Last-Event-ID
            return CompletableFuture.completedFuture(Done.getInstance());
          });
      binding.addToCoordinatedShutdown(settings.shutdownDeadline(), system);
      system.log().info("Switchboard listening on {}:{} (store: {}; tenants' secrets: {})", settings.host(),
          binding.localAddress().getPort(), store.describe(), secrets.describe());
      return new Gateway(system, binding, managementPort, metrics, readiness);
    });
  }

  /**
   * Pekko Management's HTTP endpoint ({@code /cluster/members}, {@code /cluster/shards/<type>}, read-only) on
   * {@code pekko.management.http} (the node's cluster host and {@code SWITCHBOARD_MANAGEMENT_PORT}); completes
   * with its port, or -1 when {@code switchboard.cluster.management} is off. Unbound at shutdown.
   */
  private static CompletionStage<Integer> startManagement(ActorSystem<?> system, Config config) {
    if (!config.getBoolean("switchboard.cluster.management")) return CompletableFuture.completedFuture(-1);
    PekkoManagement management = PekkoManagement.get(system);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "management-unbind",
        management::stop);
    return management.start().thenApply(uri -> uri.getPort());
  }

  /**
   * Beyond {@code max-in-flight} requests being answered on this node: 503 with Retry-After at once.
   * Health and metrics are answered whatever the load.
   */
  private static Function<HttpRequest, CompletionStage<HttpResponse>> limitInFlight(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler, GatewaySettings settings, Errors errors,
      ActorSystem<?> system, Readiness readiness) {
    AtomicInteger inFlight = new AtomicInteger();
    Materializer materializer = Materializer.matFromSystem(system);
    return request -> {
      String path = request.getUri().path();
      if (path.startsWith("/health/") || path.equals("/metrics")) return handler.apply(request); // observable under overload
      if (readiness.stopping.get()) {
        request.discardEntityBytes(materializer);
        return CompletableFuture.completedFuture(errors.unavailable("the node is shutting down; retry on another node")
            .addHeader(org.apache.pekko.http.javadsl.model.headers.Connection.create("close")));
      }
      String joining = path.startsWith("/v1/") && !path.equals("/v1/openapi.json") ? readiness.notServingBecause() : null;
      if (joining != null) {
        // not Up, or a region not registered: a request would wait in a region's buffer for the ask timeout
        request.discardEntityBytes(materializer);
        return CompletableFuture.completedFuture(errors.unavailable(
            "the node is not serving yet: " + joining + "; retry later or on another node"));
      }
      if (inFlight.incrementAndGet() > settings.maxInFlight()) {
        inFlight.decrementAndGet();
        request.discardEntityBytes(materializer);
        return CompletableFuture.completedFuture(errors.unavailable("overloaded: too many requests in flight"));
      }
      try {
        return handler.apply(request).whenComplete((r, t) -> inFlight.decrementAndGet());
      } catch (Exception e) {
        inFlight.decrementAndGet();
        return CompletableFuture.failedFuture(e);
      }
    };
  }

  /**
   * While the store fails (the last probe of {@link StoreHealth} failed), every request of the API but
   * its OpenAPI document is answered 503 with Retry-After at once: each asks an entity (its tenant's at
   * least) or queries the read models, and would otherwise wait for the ask timeout. The requests
   * already waiting when the store is found failing are answered so too (their writes fail and the
   * entities restart, so no answer would come). Nothing is refused on a guess: the probe writes through
   * the same journal, and the first probe that succeeds lifts this. A 503 promises nothing, so a 2xx
   * still means durable.
   */
  private static Function<HttpRequest, CompletionStage<HttpResponse>> failFastWhileStoreFails(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler, StoreHealth health, Errors errors,
      ActorSystem<?> system) {
    Materializer materializer = Materializer.matFromSystem(system);
    // bounded by switchboard.gateway.max-in-flight
    java.util.Set<CompletableFuture<HttpResponse>> waiting = java.util.concurrent.ConcurrentHashMap.newKeySet();
    health.onFailing(why -> waiting.forEach(answer -> answer.complete(errors.unavailable(why + "; retry later"))));
    return request -> {
      String path = request.getUri().path();
      if (!path.startsWith("/v1/") || path.equals("/v1/openapi.json")) return handler.apply(request);
      String failing = health.failingBecause();
      if (failing != null) {
        request.discardEntityBytes(materializer);
        return CompletableFuture.completedFuture(errors.unavailable(failing + "; retry later"));
      }
      CompletableFuture<HttpResponse> answer = new CompletableFuture<>();
      waiting.add(answer);
      answer.whenComplete((r, t) -> waiting.remove(answer));
      handler.apply(request).whenComplete((r, t) -> {
        if (t != null) answer.completeExceptionally(t);
        // answered 503 meanwhile: the late response's entity (a live stream too) is cancelled, not drained
        else if (!answer.complete(r)) r.entity().getDataBytes().runWith(org.apache.pekko.stream.javadsl.Sink.cancelled(), materializer);
      });
      return answer;
    };
  }

  /**
   * Why a node whose membership is {@code status} and whose shard regions {@code unregistered} have not
   * registered with their coordinators yet must not take traffic, or null: a request to a region that has
   * not registered waits in its buffer (a joining node's first requests took the whole ask timeout).
   */
  static String notReadyInCluster(MemberStatus status, List<String> unregistered) {
    if (status != MemberStatus.up()) return "not yet an Up member of the cluster (" + status + ")";
    if (!unregistered.isEmpty()) return "shard regions not yet registered with their coordinator: " + unregistered;
    return null;
  }

  /**
   * Ready when this node is an Up cluster member whose shard regions are registered, the read models started and the store's last write
   * probe succeeded ({@link StoreHealth}: routing's write path works, which a ping would not show).
   */
  static final class Readiness implements OpsRoutes.Readiness {
    /** Start-up work the node must finish before traffic (the bootstrap file), or null. */
    final AtomicReference<String> pending = new AtomicReference<>();
    /** Set when a graceful stop begins: new requests are refused, the node is not ready. */
    final java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    private final Cluster cluster;
    private final ShardRegionStatus regions;
    private final ReadModels readModels;
    private final StoreHealth storeHealth;

    Readiness(Cluster cluster, ShardRegionStatus regions, ReadModels readModels, StoreHealth storeHealth) {
      this.cluster = cluster;
      this.regions = regions;
      this.readModels = readModels;
      this.storeHealth = storeHealth;
    }

    /** Set once this node was Up with every region registered: neither goes back while the node runs. */
    private volatile boolean serving;

    /** Why this node cannot route requests to the entities yet (see {@link #notReadyInCluster}), or null. */
    String notInClusterBecause() {
      return notReadyInCluster(cluster.selfMember().status(), regions.unregistered());
    }

    /**
     * {@link #notInClusterBecause()} for the API's gate, asked per request: once the node served, null
     * without looking again (a node that leaves is refused by {@link #stopping} first).
     */
    String notServingBecause() {
      if (serving) return null;
      String why = notInClusterBecause();
      if (why == null) serving = true;
      return why;
    }

    @Override
    public String notReadyBecause() {
      if (stopping.get()) return "shutting down";
      String why = notInClusterBecause();
      if (why != null) return why;
      CompletableFuture<Done> rm = readModels.ready().toCompletableFuture();
      if (!rm.isDone()) return "read models starting";
      if (rm.isCompletedExceptionally()) return "read models failed to start";
      String work = pending.get();
      return work != null ? work : storeHealth.notReadyBecause();
    }
  }
}

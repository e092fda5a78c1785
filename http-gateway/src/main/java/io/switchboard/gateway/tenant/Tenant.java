package io.switchboard.gateway.tenant;

import io.switchboard.CborSerializable;
import io.switchboard.Outcome;
import io.switchboard.Outcome.Code;
import io.switchboard.Storable;
import io.switchboard.entity.CommandGuard;
import io.switchboard.entity.Sharded;
import io.switchboard.routing.rules.RoutingRules;
import io.switchboard.routing.rules.RulesValidator;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One tenant of the provider: its settings (WhatsApp verify token and app secret, outbound webhook,
 * default team; the secrets as {@link TenantSecrets} stores them, sealed or hashed before they reach
 * this entity), its API keys, stored only as SHA-256 hashes (the key itself is shown once, when
 * created, and never stored), the names of its teams and agents as the API configured them, and its
 * routing rules, validated against those names when saved (refused whole, naming each bad rule). Single writer of all of it.
 * After each change that requests read (settings, keys, rules) it writes {@link TenantData} to
 * Distributed Data (write majority) and only then replies, so every node's {@link TenantDirectory}
 * serves it without asking this entity; on recovery it writes it again (locally), which refills the
 * replicas after a restart of the whole cluster.
 * Lifecycle: absent until the provider's admin configures it; then configured, keys added and revoked.
 */
public final class Tenant extends EventSourcedBehavior<Tenant.Command, Tenant.Event, Tenant.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Tenant");

  /** The most API keys one tenant may hold at once. */
  public static final int MAX_KEYS = 20;

  // ---- commands ----

  public sealed interface Command extends CborSerializable {}

  /** Creates or replaces the settings. Replies ok ("created" or "updated"). */
  public record Configure(TenantSettings settings, ActorRef<Outcome> replyTo) implements Command {}

  /** Adds a key by its id and the hash of its secret. Refused when the tenant does not exist, the id is taken or there are too many. */
  public record AddApiKey(String keyId, String secretHash, String label, ActorRef<Outcome> replyTo) implements Command {}

  /** Revokes a key. Refused (not_found) when there is no such key. */
  public record RevokeApiKey(String keyId, ActorRef<Outcome> replyTo) implements Command {}

  /** A team or an agent of this tenant was configured: rules may name it from now on. Replies ok. */
  public record RecordName(String kind, String name, ActorRef<Outcome> replyTo) implements Command {}

  /**
   * Whether every agent of {@code names} was configured through the API (a team's members and
   * supervisor, an agent whose presence is set). Replies ok, or refused {@code unknown_agents}
   * naming the ones never created; not_found when the tenant does not exist.
   */
  public record CheckAgents(List<String> names, ActorRef<Outcome> replyTo) implements Command {}

  /** Replaces the routing rules. Refused with {@code invalid_rules} listing every error, each naming its rule. */
  public record SetRules(RoutingRules rules, ActorRef<Outcome> replyTo) implements Command {}

  public record Get(ActorRef<View> replyTo) implements Command {}

  /**
   * Internal: Distributed Data answered the write of a change ({@code replicated} false: not to a
   * majority within the write timeout; it still spreads by gossip); {@code answer} goes to {@code
   * replyTo} (null after recovery's write).
   */
  public record Replicated(boolean replicated, Outcome answer, ActorRef<Outcome> replyTo) implements Command {}

  /**
   * @param state null when the tenant does not exist
   * @param version the journal's sequence number of the tenant: a later state has a higher one
   */
  public record View(String tenantId, State state, long version) implements CborSerializable {
    /** What requests read of it, or null when the tenant does not exist. */
    public TenantData data() {
      return state == null ? null : TenantData.of(tenantId, version, state);
    }
  }

  // ---- events ----

  public sealed interface Event extends CborSerializable {}

  public record Configured(TenantSettings settings, Instant at) implements Event {}

  public record ApiKeyAdded(ApiKey key) implements Event {}

  public record ApiKeyRevoked(String keyId, Instant at) implements Event {}

  public record NameRecorded(String kind, String name) implements Event {}

  public record RulesSet(RoutingRules rules, Instant at) implements Event {}

  // ---- state ----

  public record ApiKey(String keyId, String secretHash, String label, Instant createdAt) implements CborSerializable {}

  /**
   * @param teams names of the teams the API configured (within the tenant)
   * @param agents names of the agents the API configured
   * @param rules null until set
   */
  public record State(TenantSettings settings, Map<String, ApiKey> apiKeys, Set<String> teams, Set<String> agents,
      RoutingRules rules) implements CborSerializable {
    public State {
      apiKeys = apiKeys == null ? Map.of() : Map.copyOf(apiKeys);
      teams = teams == null ? Set.of() : Set.copyOf(teams);
      agents = agents == null ? Set.of() : Set.copyOf(agents);
    }

    State with(TenantSettings s, Map<String, ApiKey> keys) {
      return new State(s, keys, teams, agents, rules);
    }

    public boolean exists() {
      return settings != null;
    }
  }

  // ---- wiring ----

  public static void init(ActorSystem<?> system) {
    java.time.Duration writeTimeout = system.settings().config().getDuration("switchboard.gateway.tenant-cache.write-timeout");
    Sharded.initIdle(system, ENTITY_TYPE_KEY, id -> create(id, writeTimeout));
  }

  /** @param writeTimeout how long a change waits for a majority of the replicas before it is answered anyway */
  public static Behavior<Command> create(String tenantId, java.time.Duration writeTimeout) {
    return Behaviors.setup(ctx -> DistributedData.<Command, LWWMap<String, TenantData>>withReplicatorMessageAdapter(
        replicator -> new Tenant(tenantId, ctx, replicator, writeTimeout)));
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Tenant.class);

  private final String tenantId;
  /** Why this tenant's id cannot be stored, else null. */
  private final String idProblem;
  private final ActorContext<Command> ctx;
  private final ReplicatorMessageAdapter<Command, LWWMap<String, TenantData>> replicator;
  private final SelfUniqueAddress node;
  private final java.time.Duration writeTimeout;

  private Tenant(String tenantId, ActorContext<Command> ctx,
      ReplicatorMessageAdapter<Command, LWWMap<String, TenantData>> replicator, java.time.Duration writeTimeout) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), tenantId),
        // as the routing core's entities (CoreSettings.onPersistFailure): running again soon after a store outage
        SupervisorStrategy.restartWithBackoff(java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(1), 0.1));
    this.tenantId = tenantId;
    this.idProblem = Storable.problem(tenantId);
    this.ctx = ctx;
    this.replicator = replicator;
    this.node = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    this.writeTimeout = writeTimeout;
  }

  /**
   * Writes {@code s} to the replicas, then answers {@code answer} to {@code replyTo}: a 2xx of a
   * change means a majority of the nodes hold it (or the write timed out, see {@link Replicated}).
   */
  private void publish(State s, Outcome answer, ActorRef<Outcome> replyTo) {
    TenantData data = TenantData.of(tenantId, lastSequenceNumber(ctx), s);
    Replicator.WriteConsistency consistency = replyTo == null ? Replicator.writeLocal()
        : new Replicator.WriteMajority(writeTimeout);
    replicator.askUpdate(
        askReplyTo -> new Replicator.Update<>(TenantData.bucket(tenantId), LWWMap.empty(), consistency, askReplyTo,
            map -> TenantData.put(map, node, data)),
        response -> new Replicated(response instanceof Replicator.UpdateSuccess, answer, replyTo));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> {
          if (s.exists() && idProblem == null) publish(s, null, null);
        })
        .build();
  }

  @Override
  public State emptyState() {
    return new State(null, Map.of(), Set.of(), Set.of(), null);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    // refused, never persisted: a rejected event would stop the tenant, and every request asks it
    return CommandGuard.storable("tenant", tenantId, c -> c instanceof Get || c instanceof Replicated, LOG, Effect(),
        handlers());
  }

  private CommandHandler<Command, Event, State> handlers() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Configure.class, (s, c) -> Effect().persist(new Configured(c.settings(), Instant.now()))
            .thenRun(ns -> publish(ns, Outcome.ok(s.exists() ? "updated" : "created"), c.replyTo())))
        .onCommand(AddApiKey.class, (s, c) -> {
          if (!s.exists()) return Effect().reply(c.replyTo(), notFound());
          if (s.apiKeys().containsKey(c.keyId())) {
            return Effect().reply(c.replyTo(), Outcome.refused(Code.CONFLICT, "key " + c.keyId() + " exists"));
          }
          if (s.apiKeys().size() >= MAX_KEYS) {
            return Effect().reply(c.replyTo(), Outcome.refused(Code.TOO_MANY_KEYS,
                "tenant " + tenantId + " already has " + MAX_KEYS + " API keys: revoke one first"));
          }
          return Effect().persist(new ApiKeyAdded(new ApiKey(c.keyId(), c.secretHash(), c.label(), Instant.now())))
              .thenRun(ns -> publish(ns, Outcome.ok(c.keyId()), c.replyTo()));
        })
        .onCommand(RevokeApiKey.class, (s, c) -> {
          if (!s.apiKeys().containsKey(c.keyId())) {
            return Effect().reply(c.replyTo(), Outcome.refused(Code.NOT_FOUND, "no API key " + c.keyId()));
          }
          return Effect().persist(new ApiKeyRevoked(c.keyId(), Instant.now()))
              .thenRun(ns -> publish(ns, Outcome.ok("revoked"), c.replyTo()));
        })
        .onCommand(RecordName.class, (s, c) -> {
          if (!s.exists()) return Effect().reply(c.replyTo(), notFound());
          Set<String> known = "team".equals(c.kind()) ? s.teams() : s.agents();
          if (known.contains(c.name())) return Effect().reply(c.replyTo(), Outcome.ok("known"));
          return Effect().persist(new NameRecorded(c.kind(), c.name())).thenReply(c.replyTo(), ns -> Outcome.ok("recorded"));
        })
        .onCommand(CheckAgents.class, (s, c) -> {
          if (!s.exists()) return Effect().reply(c.replyTo(), notFound());
          List<String> unknown = c.names().stream().filter(n -> !s.agents().contains(n)).distinct().sorted().toList();
          return Effect().reply(c.replyTo(), unknown.isEmpty() ? Outcome.ok("known")
              : Outcome.refused(Code.UNKNOWN_AGENTS, "never created as agents: " + String.join(", ", unknown)
                  + " (create each with PUT /v1/tenants/" + tenantId + "/agents/{agent} first)"));
        })
        .onCommand(SetRules.class, (s, c) -> {
          if (!s.exists()) return Effect().reply(c.replyTo(), notFound());
          List<String> errors = RulesValidator.validate(c.rules(), s.teams(), s.agents());
          if (!errors.isEmpty()) {
            return Effect().reply(c.replyTo(), Outcome.refused(Code.INVALID_RULES, String.join("; ", errors)));
          }
          return Effect().persist(new RulesSet(c.rules(), Instant.now()))
              .thenRun(ns -> publish(ns, Outcome.ok("set"), c.replyTo()));
        })
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(),
            new View(tenantId, s.exists() ? s : null, lastSequenceNumber(ctx))))
        .onCommand(Replicated.class, (s, c) -> {
          if (!c.replicated()) LOG.warn("tenant {}: its change reached no majority of the nodes within {}; it spreads by gossip",
              tenantId, writeTimeout);
          return c.replyTo() == null ? Effect().none() : Effect().reply(c.replyTo(), c.answer());
        })
        .build();
  }

  private Outcome notFound() {
    return Outcome.refused(Code.NOT_FOUND, "no tenant " + tenantId);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(Configured.class, (s, e) -> s.with(e.settings(), s.apiKeys()))
        .onEvent(ApiKeyAdded.class, (s, e) -> {
          Map<String, ApiKey> keys = new LinkedHashMap<>(s.apiKeys());
          keys.put(e.key().keyId(), e.key());
          return s.with(s.settings(), keys);
        })
        .onEvent(ApiKeyRevoked.class, (s, e) -> {
          Map<String, ApiKey> keys = new LinkedHashMap<>(s.apiKeys());
          keys.remove(e.keyId());
          return s.with(s.settings(), keys);
        })
        .onEvent(NameRecorded.class, (s, e) -> {
          Set<String> names = new TreeSet<>("team".equals(e.kind()) ? s.teams() : s.agents());
          names.add(e.name());
          return "team".equals(e.kind()) ? new State(s.settings(), s.apiKeys(), names, s.agents(), s.rules())
              : new State(s.settings(), s.apiKeys(), s.teams(), names, s.rules());
        })
        .onEvent(RulesSet.class, (s, e) -> new State(s.settings(), s.apiKeys(), s.teams(), s.agents(), e.rules()))
        .build();
  }
}

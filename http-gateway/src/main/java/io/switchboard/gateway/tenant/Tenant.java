package io.switchboard.gateway.tenant;

import io.switchboard.CborSerializable;
import io.switchboard.Outcome;
import io.switchboard.Storable;
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
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * One tenant of the provider: its settings (WhatsApp verify token and app secret, outbound webhook,
 * default team), its API keys, stored only as SHA-256 hashes (the key itself is shown once, when
 * created, and never stored), the names of its teams and agents as the API configured them, and its
 * routing rules, validated against those names when saved (refused whole, naming each bad rule). Single writer of all of it; the gateway asks it to authenticate a key.
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

  /** @param state null when the tenant does not exist */
  public record View(String tenantId, State state) implements CborSerializable {}

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
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId())));
  }

  public static Behavior<Command> create(String tenantId) {
    return new Tenant(tenantId);
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Tenant.class);

  private final String tenantId;
  /** Why this tenant's id cannot be stored, else null. */
  private final String idProblem;

  private Tenant(String tenantId) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), tenantId),
        // as the routing core's entities (CoreSettings.onPersistFailure): running again soon after a store outage
        SupervisorStrategy.restartWithBackoff(java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(1), 0.1));
    this.tenantId = tenantId;
    this.idProblem = Storable.problem(tenantId);
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
    CommandHandler<Command, Event, State> handlers = handlers();
    return (state, command) -> {
      // refused, never persisted: a rejected event would stop the tenant, and every request asks it
      String unstorable = command instanceof Get ? null : idProblem != null ? "tenant id: " + idProblem
          : Storable.problemIn(command);
      if (unstorable != null) {
        Storable.refuse(command, tenantId, unstorable, LOG);
        return Effect().none();
      }
      return handlers.apply(state, command);
    };
  }

  private CommandHandler<Command, Event, State> handlers() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Configure.class, (s, c) -> Effect().persist(new Configured(c.settings(), Instant.now()))
            .thenReply(c.replyTo(), ns -> Outcome.ok(s.exists() ? "updated" : "created")))
        .onCommand(AddApiKey.class, (s, c) -> {
          if (!s.exists()) return Effect().reply(c.replyTo(), notFound());
          if (s.apiKeys().containsKey(c.keyId())) {
            return Effect().reply(c.replyTo(), Outcome.refused("conflict", "key " + c.keyId() + " exists"));
          }
          if (s.apiKeys().size() >= MAX_KEYS) {
            return Effect().reply(c.replyTo(), Outcome.refused("too_many_keys",
                "tenant " + tenantId + " already has " + MAX_KEYS + " API keys: revoke one first"));
          }
          return Effect().persist(new ApiKeyAdded(new ApiKey(c.keyId(), c.secretHash(), c.label(), Instant.now())))
              .thenReply(c.replyTo(), ns -> Outcome.ok(c.keyId()));
        })
        .onCommand(RevokeApiKey.class, (s, c) -> {
          if (!s.apiKeys().containsKey(c.keyId())) {
            return Effect().reply(c.replyTo(), Outcome.refused("not_found", "no API key " + c.keyId()));
          }
          return Effect().persist(new ApiKeyRevoked(c.keyId(), Instant.now()))
              .thenReply(c.replyTo(), ns -> Outcome.ok("revoked"));
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
              : Outcome.refused("unknown_agents", "never created as agents: " + String.join(", ", unknown)
                  + " (create each with PUT /v1/tenants/" + tenantId + "/agents/{agent} first)"));
        })
        .onCommand(SetRules.class, (s, c) -> {
          if (!s.exists()) return Effect().reply(c.replyTo(), notFound());
          List<String> errors = RulesValidator.validate(c.rules(), s.teams(), s.agents());
          if (!errors.isEmpty()) {
            return Effect().reply(c.replyTo(), Outcome.refused("invalid_rules", String.join("; ", errors)));
          }
          return Effect().persist(new RulesSet(c.rules(), Instant.now())).thenReply(c.replyTo(), ns -> Outcome.ok("set"));
        })
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), new View(tenantId, s.exists() ? s : null)))
        .build();
  }

  private Outcome notFound() {
    return Outcome.refused("not_found", "no tenant " + tenantId);
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

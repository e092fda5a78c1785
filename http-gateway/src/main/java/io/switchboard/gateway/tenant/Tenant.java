package io.switchboard.gateway.tenant;

import io.switchboard.CborSerializable;
import io.switchboard.Outcome;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * default team) and its API keys, stored only as SHA-256 hashes (the key itself is shown once, when
 * created, and never stored). Single writer of all of it; the gateway asks it to authenticate a key.
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

  public record Get(ActorRef<View> replyTo) implements Command {}

  /** @param state null when the tenant does not exist */
  public record View(String tenantId, State state) implements CborSerializable {}

  // ---- events ----

  public sealed interface Event extends CborSerializable {}

  public record Configured(TenantSettings settings, Instant at) implements Event {}

  public record ApiKeyAdded(ApiKey key) implements Event {}

  public record ApiKeyRevoked(String keyId, Instant at) implements Event {}

  // ---- state ----

  public record ApiKey(String keyId, String secretHash, String label, Instant createdAt) implements CborSerializable {}

  public record State(TenantSettings settings, Map<String, ApiKey> apiKeys) implements CborSerializable {
    public State {
      apiKeys = apiKeys == null ? Map.of() : Map.copyOf(apiKeys);
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

  private final String tenantId;

  private Tenant(String tenantId) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), tenantId),
        SupervisorStrategy.restartWithBackoff(java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(5), 0.1));
    this.tenantId = tenantId;
  }

  @Override
  public State emptyState() {
    return new State(null, Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
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
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), new View(tenantId, s.exists() ? s : null)))
        .build();
  }

  private Outcome notFound() {
    return Outcome.refused("not_found", "no tenant " + tenantId);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(Configured.class, (s, e) -> new State(e.settings(), s.apiKeys()))
        .onEvent(ApiKeyAdded.class, (s, e) -> {
          Map<String, ApiKey> keys = new LinkedHashMap<>(s.apiKeys());
          keys.put(e.key().keyId(), e.key());
          return new State(s.settings(), keys);
        })
        .onEvent(ApiKeyRevoked.class, (s, e) -> {
          Map<String, ApiKey> keys = new LinkedHashMap<>(s.apiKeys());
          keys.remove(e.keyId());
          return new State(s.settings(), keys);
        })
        .build();
  }
}

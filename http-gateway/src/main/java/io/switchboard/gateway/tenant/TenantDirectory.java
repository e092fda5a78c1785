package io.switchboard.gateway.tenant;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * This node's copy of every tenant's {@link TenantData}, so that a request reads its tenant locally
 * instead of asking the one {@link Tenant} entity (whose node may be dead, or whose shard may be
 * moving). One actor per node is the only writer of the copy: it subscribes to the tenants' replicas
 * in Distributed Data (written by the entities) and takes what a route fetched from an entity, keeping
 * per tenant the highest {@link TenantData#version}; after each change it publishes an immutable map
 * that routes read without asking ({@link #cached}). A tenant this node has no copy of yet (a node that
 * just joined, a whole cluster just restarted, a tenant just created) is asked of its entity
 * ({@link #lookup}), whose answer fills the copy. See docs/ARCHITECTURE.md, "Tenant data on every node".
 */
public final class TenantDirectory implements Extension {

  /** The one directory of {@code system}. */
  public static TenantDirectory get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  private static final class Id extends ExtensionId<TenantDirectory> {
    static final Id INSTANCE = new Id();

    @Override
    public TenantDirectory createExtension(ActorSystem<?> system) {
      return new TenantDirectory(system);
    }
  }

  // ---- the actor ----

  /** Local messages only (the actor is never addressed from another node). */
  sealed interface Command extends NoSerializationVerificationNeeded {}

  /** A bucket of replicas changed (or was first seen) on this node. */
  private record BucketChanged(Replicator.SubscribeResponse<LWWMap<String, TenantData>> change) implements Command {}

  /** What a route fetched from the entity; acknowledged once the copy holds it (or a later version). */
  private record Offer(TenantData data, ActorRef<Done> replyTo) implements Command {}

  private static Behavior<Command> behavior(AtomicReference<Map<String, TenantData>> published) {
    return Behaviors.setup(ctx -> DistributedData.<Command, LWWMap<String, TenantData>>withReplicatorMessageAdapter(
        replicator -> {
          for (int i = 0; i < TenantData.BUCKETS; i++) replicator.subscribe(TenantData.bucket(i), BucketChanged::new);
          return Behaviors.receive(Command.class)
              .onMessage(BucketChanged.class, m -> {
                if (m.change() instanceof Replicator.Changed<LWWMap<String, TenantData>> c) {
                  merge(published, c.dataValue().getEntries().values());
                }
                return Behaviors.same();
              })
              .onMessage(Offer.class, m -> {
                merge(published, java.util.List.of(m.data()));
                if (m.replyTo() != null) m.replyTo().tell(Done.getInstance());
                return Behaviors.same();
              })
              .build();
        }));
  }

  /** Publishes a new map when one of {@code incoming} is newer than the copy's (only the actor calls this). */
  private static void merge(AtomicReference<Map<String, TenantData>> published, Iterable<TenantData> incoming) {
    Map<String, TenantData> current = published.get();
    Map<String, TenantData> next = null;
    for (TenantData d : incoming) {
      TenantData had = (next == null ? current : next).get(d.tenantId());
      if (had != null && had.version() >= d.version()) continue;
      if (next == null) next = new HashMap<>(current);
      next.put(d.tenantId(), d);
    }
    if (next != null) published.set(Map.copyOf(next));
  }

  // ---- what routes call ----

  /** Written by the actor only; an immutable map, replaced whole. */
  private final AtomicReference<Map<String, TenantData>> published = new AtomicReference<>(Map.of());
  private final ActorSystem<?> system;
  private final ActorRef<Command> actor;
  private final ClusterSharding sharding;
  private final Duration timeout;

  private TenantDirectory(ActorSystem<?> system) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.timeout = system.settings().config().getDuration("switchboard.gateway.ask-timeout");
    this.actor = system.systemActorOf(behavior(published), "tenant-directory", Props.empty());
  }

  /** This node's copy of {@code tenant}, or null when it has none (no ask, no wait). */
  public TenantData cached(String tenant) {
    return published.get().get(tenant);
  }

  /** How many tenants this node holds a copy of. */
  public int size() {
    return published.get().size();
  }

  /** This node's copy, else the entity's answer (null: no such tenant), which then fills the copy. */
  public CompletionStage<TenantData> lookup(String tenant) {
    TenantData d = cached(tenant);
    return d != null ? CompletableFuture.completedFuture(d) : fetch(tenant);
  }

  /** Asks the entity (the authority), and gives its answer to the copy without waiting for it. */
  public CompletionStage<TenantData> fetch(String tenant) {
    return view(tenant).thenApplyAsync(v -> {
      TenantData d = v.data();
      if (d != null) actor.tell(new Offer(d, null));
      return d;
    }, system.executionContext());
  }

  /**
   * After a change of {@code tenant} answered by its entity: the entity's state, once this node's copy
   * holds it, so the next request on this node reads the change (read your writes); the other nodes
   * get it from the replicas (docs/ARCHITECTURE.md gives the bound).
   */
  public CompletionStage<Tenant.View> refresh(String tenant) {
    return view(tenant).thenComposeAsync(v -> {
      TenantData d = v.data();
      if (d == null) return CompletableFuture.completedFuture(v);
      return AskPattern.<Command, Done>ask(actor, to -> new Offer(d, to), timeout, system.scheduler()).thenApply(x -> v);
    }, system.executionContext());
  }

  private CompletionStage<Tenant.View> view(String tenant) {
    return sharding.entityRefFor(Tenant.ENTITY_TYPE_KEY, tenant).ask(Tenant.Get::new, timeout);
  }
}

package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.TestGateway.Answer;
import io.switchboard.gateway.tenant.Tenant;
import io.switchboard.gateway.tenant.TenantData;
import io.switchboard.gateway.tenant.TenantDirectory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two nodes on one PostgreSQL database: a tenant's requests are authenticated and read its settings
 * from the node's own copy ({@link TenantDirectory}), also while the tenant's entity is out of reach
 * (its node stopped without leaving the cluster, as by {@code kill -9}); a key issued on one node works
 * at once on the other, and a revoked one stops working there within the stated bound.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenantCacheTest {
  /** docs/ARCHITECTURE.md, "Tenant data on every node": another node refuses a revoked key within this. */
  static final Duration STALENESS_BOUND = Duration.ofSeconds(3);
  static final String DB = "sb_tenant_cache_" + Long.toHexString(System.nanoTime());
  static final String ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";

  static TestGateway a;
  static TestGateway b;

  @BeforeAll
  static void cluster() throws Exception {
    try (Connection c = DriverManager.getConnection(ADMIN_URL, "postgres", "")) {
      c.createStatement().execute("CREATE DATABASE " + DB);
    }
    String common = """
        switchboard.persistence.store = postgres
        switchboard.persistence.postgres.url = "jdbc:postgresql://127.0.0.1:5432/%s"
        # the test downs the stopped node itself, at the end: no decision of the resolver meanwhile
        pekko.cluster.split-brain-resolver.stable-after = 1h
        """.formatted(DB);
    a = new TestGateway(common);
    Address seed = Cluster.get(a.gateway.system()).selfMember().address();
    // terminate() below stops b as kill -9 would: no leaving, no hand-off
    b = new TestGateway(common + """
        pekko.cluster.seed-nodes = ["%s"]
        pekko.coordinated-shutdown.run-by-actor-system-terminate = off
        """.formatted(seed));
    poll(Duration.ofSeconds(30), () -> upMembers(a.gateway.system()) == 2 && upMembers(b.gateway.system()) == 2);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (b != null) {
        Address gone = Cluster.get(b.gateway.system()).selfMember().address();
        if (a != null) Cluster.get(a.gateway.system()).manager().tell(new Down(gone));
        b.close();
      }
    } finally {
      if (a != null) a.close();
      try (Connection c = DriverManager.getConnection(ADMIN_URL, "postgres", "")) {
        c.createStatement().execute("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
      }
    }
  }

  @Test
  @Order(1)
  void aKeyIssuedOnOneNodeWorksAtOnceOnTheOtherAndARevokedOneStopsWithinTheBound() {
    String oldKey = a.tenant("rotating", Map.of("displayName", "Rotating", "defaultTeam", "desk"));
    assertEquals(200, b.call("GET", "/v1/tenants/rotating/conversations", oldKey, null).status());
    poll(Duration.ofSeconds(10), () -> TenantDirectory.get(b.gateway.system()).cached("rotating") != null);

    // rotation: a new key, issued through node a, used on node b at once (b's copy lacks it: the entity decides)
    Answer issued = a.call("POST", "/v1/admin/tenants/rotating/api-keys", TestGateway.ADMIN, Map.of("label", "new"));
    assertEquals(201, issued.status(), issued.raw());
    String newKey = issued.text("apiKey");
    assertEquals(200, b.call("GET", "/v1/tenants/rotating/conversations", newKey, null).status());

    // then the old key is revoked through node a: refused on a at once (read your writes), on b within the bound
    String oldKeyId = oldKey.split("\\.")[1];
    assertEquals(204, a.call("DELETE", "/v1/admin/tenants/rotating/api-keys/" + oldKeyId, TestGateway.ADMIN, null)
        .status());
    assertEquals(401, a.call("GET", "/v1/tenants/rotating/conversations", oldKey, null).status());
    long start = System.nanoTime();
    poll(STALENESS_BOUND, () -> b.call("GET", "/v1/tenants/rotating/conversations", oldKey, null).status() == 401);
    System.out.printf("tenant cache: a key revoked through node a was refused on node b after %d ms (bound %d ms)%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), STALENESS_BOUND.toMillis());
    TenantData onB = TenantDirectory.get(b.gateway.system()).cached("rotating");
    assertTrue(onB != null && !onB.apiKeys().containsKey(oldKeyId), "b's copy still holds the revoked key");
    assertEquals(200, b.call("GET", "/v1/tenants/rotating/conversations", newKey, null).status());
  }

  @Test
  @Order(2)
  void requestsOfATenantAreAnsweredWhileItsEntitysNodeIsDown() throws Exception {
    // tenants until one's entity runs on node b (sharding places them; about every other one)
    Map<String, String> keys = new java.util.LinkedHashMap<>();
    String onB = null;
    for (int i = 0; i < 40 && onB == null; i++) {
      String t = "far-" + i;
      keys.put(t, a.tenant(t, Map.of("displayName", "Far " + i, "verifyToken", "token-" + i, "defaultTeam", "desk")));
      onB = entitiesOn(b.gateway.system()).contains(t) ? t : null;
    }
    assertNotNull(onB, "no tenant entity was placed on node b");
    String tenant = onB;
    String key = keys.get(tenant);
    String keyId = key.split("\\.")[1];
    String token = "token-" + tenant.substring(4);
    TenantDirectory directory = TenantDirectory.get(a.gateway.system());
    poll(Duration.ofSeconds(10), () -> directory.cached(tenant) != null
        && directory.cached(tenant).apiKeys().containsKey(keyId));

    b.gateway.system().terminate(); // no leave: b's shards stay b's, out of reach, until someone downs b
    b.gateway.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);

    // the entity is out of reach from node a ...
    ActorSystem<?> sa = a.gateway.system();
    ExecutionException unreachable = assertThrows(ExecutionException.class, () -> ClusterSharding.get(sa)
        .entityRefFor(Tenant.ENTITY_TYPE_KEY, tenant).<Tenant.View>ask(Tenant.Get::new, Duration.ofSeconds(1))
        .toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertTrue(unreachable.getCause() instanceof java.util.concurrent.TimeoutException, unreachable.toString());

    // ... and yet its requests are answered on node a, from a's copy
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      statuses.add(a.call("GET", "/v1/tenants/" + tenant + "/conversations", key, null).status());
    }
    assertEquals(Set.of(200), Set.copyOf(statuses), "key-authenticated reads: " + statuses);
    Answer verify = a.call("GET", "/v1/webhooks/whatsapp/" + tenant + "?hub.mode=subscribe&hub.verify_token=" + token
        + "&hub.challenge=4711", null, null);
    assertEquals(200, verify.status(), verify.raw()); // the tenant's settings (the WhatsApp verify token)
    assertEquals("4711", verify.raw());
    assertEquals(404, a.call("GET", "/v1/tenants/" + tenant + "/rules", key, null).status()); // no rules: from the copy too
    String wrongSecret = key.substring(0, key.length() - 4) + (key.endsWith("AAAA") ? "BBBB" : "AAAA");
    assertEquals(401, a.call("GET", "/v1/tenants/" + tenant + "/conversations", wrongSecret, null).status());
    System.out.printf("tenant cache: tenant %s answered 200 on node a while its entity's node b was stopped "
        + "(%d requests)%n", tenant, statuses.size());
  }

  private static Set<String> entitiesOn(ActorSystem<?> system) throws Exception {
    ShardRegion.CurrentShardRegionState state = AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
            ClusterSharding.get(system).shardState(), to -> new GetShardRegionState(Tenant.ENTITY_TYPE_KEY, to),
            Duration.ofSeconds(5), system.scheduler())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return state.getShards().stream().flatMap(s -> s.getEntityIds().stream()).collect(Collectors.toSet());
  }

  private static long upMembers(ActorSystem<?> system) {
    return java.util.stream.StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count();
  }

  /** Retries {@code check} every 50 ms until it holds; fails when it still does not after {@code within}. */
  static void poll(Duration within, BooleanSupplier check) {
    org.apache.pekko.actor.testkit.typed.javadsl.TestProbe.create(a.gateway.system())
        .awaitAssert(within, Duration.ofMillis(50), () -> {
          assertTrue(check.getAsBoolean(), "not so within " + within);
          return null;
        });
  }
}

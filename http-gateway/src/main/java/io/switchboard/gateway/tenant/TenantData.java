package io.switchboard.gateway.tenant;

import io.switchboard.CborSerializable;
import io.switchboard.routing.rules.RoutingRules;
import java.util.Map;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.LWWRegister;

/**
 * What every request of a tenant reads (its settings with their secrets sealed, its API keys as hashes,
 * its routing rules), as the {@link Tenant} entity last wrote it: the value of the per-node cache
 * ({@link TenantDirectory}) and of its replicas in Distributed Data. The names of the tenant's teams
 * and agents are left out (only writes check them, at the entity), which keeps a tenant to a few KB.
 *
 * @param version the tenant's journal sequence number when this was taken: a later write always has
 *     a higher one, on whatever node the entity runs (the replicas' last-writer-wins clock)
 * @param rules null until set
 */
public record TenantData(String tenantId, long version, TenantSettings settings, Map<String, Tenant.ApiKey> apiKeys,
    RoutingRules rules) implements CborSerializable {

  public TenantData {
    apiKeys = apiKeys == null ? Map.of() : Map.copyOf(apiKeys);
  }

  /**
   * Top-level Distributed Data keys the tenants are spread over. One key is gossiped as one message,
   * which must stay under the remote frame size (pekko.remote.artery.advanced.maximum-frame-size,
   * 256 KiB): 256 buckets hold thousands of tenants of tens of KB each. Every node must use the same
   * number (it names the keys): changing it needs a full cluster restart.
   */
  public static final int BUCKETS = 256;

  /** Orders a tenant's replicas by {@link #version}, never by the wall clocks of the nodes that wrote them. */
  public static final LWWRegister.Clock<TenantData> CLOCK = (current, data) -> data.version();

  public static TenantData of(String tenantId, long version, Tenant.State s) {
    return new TenantData(tenantId, version, s.settings(), s.apiKeys(), s.rules());
  }

  public static org.apache.pekko.cluster.ddata.Key<LWWMap<String, TenantData>> bucket(String tenantId) {
    return bucket(Math.floorMod(tenantId.hashCode(), BUCKETS)); // String.hashCode: the same on every JVM
  }

  public static org.apache.pekko.cluster.ddata.Key<LWWMap<String, TenantData>> bucket(int i) {
    return LWWMapKey.create("tenants-" + i);
  }

  /** {@code map} with {@code data}, unless it already holds this tenant at the same or a later version. */
  static LWWMap<String, TenantData> put(LWWMap<String, TenantData> map,
      org.apache.pekko.cluster.ddata.SelfUniqueAddress node, TenantData data) {
    scala.Option<TenantData> there = map.get(data.tenantId());
    if (there.isDefined() && there.get().version() >= data.version()) return map;
    return map.put(node, data.tenantId(), data, CLOCK);
  }
}

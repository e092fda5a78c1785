package io.switchboard.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.agent.Agent;
import io.switchboard.agent.AgentProfile;
import io.switchboard.gateway.api.AdminRoutes;
import io.switchboard.gateway.api.ApiException;
import io.switchboard.gateway.api.Entities;
import io.switchboard.gateway.api.Json;
import io.switchboard.gateway.api.JsonErrors;
import io.switchboard.gateway.api.Requests;
import io.switchboard.gateway.api.TeamRoutes;
import io.switchboard.gateway.api.Validation;
import io.switchboard.gateway.tenant.ApiKeys;
import io.switchboard.gateway.tenant.Tenant;
import io.switchboard.gateway.tenant.TenantSecrets;
import io.switchboard.routing.Presence;
import io.switchboard.routing.rules.RoutingRules;
import io.switchboard.team.Team;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.Patterns;

/**
 * Tenants, API keys, teams and agents loaded from a JSON file at start ({@code switchboard.gateway.
 * bootstrap-file}; see {@code examples/}). The same shapes and checks as the admin and tenant APIs;
 * applying a file again changes nothing that is already so. Runs on the starting thread, before the
 * node serves traffic of its own, never inside an actor.
 */
public final class Bootstrap {
  private Bootstrap() {}

  public record File(List<TenantEntry> tenants) {}

  /** @param apiKeys keys given in full (sb_<tenant>.<id>.<secret>); only their hash is stored */
  /** @param rules the tenant's routing rules (as {@code examples/rules/}); validated after its teams and agents */
  public record TenantEntry(String id, Requests.TenantRequest settings, List<KeyEntry> apiKeys,
      Map<String, Requests.TeamRequest> teams, Map<String, AgentEntry> agents, RoutingRules rules) {}

  public record KeyEntry(String label, String key) {}

  public record AgentEntry(Map<String, Integer> capacity, Map<String, Integer> skills, Set<String> languages,
      AgentProfile.Role role, Presence presence) {}

  /** What was applied, for the log. */
  public record Summary(int tenants, int keys, int teams, int agents) {}

  public static File read(Path path) {
    try {
      return parse(Files.readAllBytes(path), path.toString());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the bootstrap file " + path + ": " + e.getMessage(), e);
    }
  }

  /** @param source where the bytes came from, for messages */
  public static File parse(byte[] bytes, String source) {
    ObjectMapper json = Json.mapper();
    try {
      File f = json.readValue(bytes, File.class);
      if (f == null || f.tenants() == null) throw new IllegalArgumentException(source + ": \"tenants\" is required");
      return f;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot read the bootstrap file " + source + ": "
          + JsonErrors.describe(json, e), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the bootstrap file " + source + ": " + e.getMessage(), e);
    }
  }

  public static Summary apply(ActorSystem<?> system, File file, GatewaySettings settings) {
    Duration timeout = settings.askTimeout().multipliedBy(4);
    Entities entities = new Entities(system, timeout);
    Validation valid = new Validation(settings.maxIdLength(), settings.maxTextLength());
    int keys = 0;
    int teams = 0;
    int agents = 0;
    for (TenantEntry t : file.tenants()) {
      String tenant = t.id();
      try {
        valid.tenant(tenant);
        valid.body(t); // every string of the entry storable and within its limit, as the API's bodies
        var plain = AdminRoutes.settingsOf(tenant, t.settings() == null
            ? new Requests.TenantRequest(null, null, null, null, null, null, null) : t.settings(), valid);
        var tenantSettings = TenantSecrets.get(system).protect(tenant, plain); // as the admin API: sealed before sent
        expectOk(await(system, () -> entities.tenant(tenant, to -> new Tenant.Configure(tenantSettings,
            to)), timeout), "tenant " + tenant);
        for (KeyEntry k : t.apiKeys() == null ? List.<KeyEntry>of() : t.apiKeys()) {
          ApiKeys.Presented key = ApiKeys.parse(k.key()).filter(p -> p.tenant().equals(tenant))
              .orElseThrow(() -> new IllegalArgumentException("API key of tenant " + tenant + " must look like sb_"
                  + tenant + ".<12 hex digits>.<43 characters of base64url>"));
          Outcome o = await(system, () -> entities.tenant(tenant, to -> new Tenant.AddApiKey(key.keyId(),
              ApiKeys.hash(key.secret()), k.label(), to)), timeout);
          if (!o.ok() && !o.is(Outcome.Code.CONFLICT)) throw new IllegalStateException("API key: " + o.message());
          keys++;
        }
        for (Map.Entry<String, AgentEntry> a : (t.agents() == null ? Map.<String, AgentEntry>of() : t.agents())
            .entrySet()) {
          String agentId = EntityIds.agentId(tenant, valid.name("agent", a.getKey()));
          AgentEntry e = a.getValue();
          Requests.AgentRequest profile = new Requests.AgentRequest(e.capacity(), e.skills(), e.languages(), e.role());
          profile.validate(valid);
          expectOk(await(system, () -> entities.agent(agentId, to -> new Agent.SetProfile(profile.profile(), to)), timeout),
              "agent " + agentId);
          expectOk(await(system, () -> entities.tenant(tenant, to -> new Tenant.RecordName("agent", a.getKey(), to)), timeout),
              "agent " + agentId);
          if (e.presence() != null) {
            expectOk(await(system, () -> entities.agent(agentId, to -> new Agent.SetPresence(e.presence(), to)), timeout),
                "agent " + agentId);
          }
          agents++;
        }
        for (Map.Entry<String, Requests.TeamRequest> team : (t.teams() == null
            ? Map.<String, Requests.TeamRequest>of() : t.teams()).entrySet()) {
          String teamId = EntityIds.teamId(tenant, valid.name("team", team.getKey()));
          var config = TeamRoutes.configOf(tenant, team.getValue(), valid);
          // the agents above come first: a team may name only agents of the file or of an earlier start
          expectOk(await(system, () -> entities.tenant(tenant, to -> new Tenant.CheckAgents(team.getValue().agentNames(), to)),
              timeout), "team " + teamId);
          expectOk(await(system, () -> entities.team(teamId, to -> new Team.Configure(config, to)), timeout), "team " + teamId);
          expectOk(await(system, () -> entities.tenant(tenant, to -> new Tenant.RecordName("team", team.getKey(), to)), timeout),
              "team " + teamId);
          teams++;
        }
        if (t.rules() != null) {
          expectOk(await(system, () -> entities.tenant(tenant, to -> new Tenant.SetRules(t.rules(), to)), timeout), "rules");
        }
        // this node's copy holds the tenant as applied before traffic comes (its rules too)
        await(system, () -> io.switchboard.gateway.tenant.TenantDirectory.get(system).refresh(tenant), timeout);
      } catch (ApiException e) {
        throw new IllegalArgumentException("bootstrap tenant " + tenant + ": " + e.getMessage(), e);
      }
    }
    return new Summary(file.tenants().size(), keys, teams, agents);
  }

  /** Attempts of each step, and the back-off between them (see {@link #await}). */
  private static final int ATTEMPTS = 6;

  /**
   * One step's answer, asked again when none comes in time (Pekko's {@code Patterns.retry}, backing off 1 s to
   * 10 s): a node that joins a running cluster applies the file while shards move towards it, and an ask sent
   * to a shard during its hand-off is dropped ("Dropping buffered messages to shard during hand off"). Every
   * step is idempotent (a key already added answers conflict, which counts as done).
   */
  private static <T> T await(ActorSystem<?> system, Callable<CompletionStage<T>> ask, Duration timeout) {
    try {
      return Patterns.retry(ask, ATTEMPTS, Duration.ofSeconds(1), Duration.ofSeconds(10), 0.2, system)
          .toCompletableFuture().get((timeout.toMillis() + 10_000) * ATTEMPTS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("bootstrap: no answer in " + ATTEMPTS + " attempts (" + e + ")", e);
    }
  }

  private static void expectOk(Outcome o, String what) {
    if (!o.ok()) throw new IllegalArgumentException("bootstrap " + what + ": " + o.code() + ": " + o.message());
  }
}

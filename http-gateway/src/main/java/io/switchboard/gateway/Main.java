package io.switchboard.gateway;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.switchboard.gateway.cluster.ClusterConfig;
import io.switchboard.gateway.cluster.SingleNodeGuard;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Starts a Switchboard node: {@code java -jar switchboard.jar} (configuration from application.conf,
 * {@code -Dkey=value} and the environment variables of the reference.confs), or with {@code --demo}
 * the demo on a fresh embedded store, which drives simulated contacts and agents through the API.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    List<String> flags = List.of(args);
    if (flags.contains("--help") || flags.contains("-h")) {
      System.out.println("""
          usage: java -jar switchboard.jar [--demo [--exit]]
            (no flag)  start a node: store from SWITCHBOARD_STORE (h2 default, ./data) or postgres
                       (SWITCHBOARD_PG_URL, _USER, _PASSWORD, and SWITCHBOARD_SECRETS_KEY: base64 of 32
                       random bytes that encrypts the tenants' secrets), API on SWITCHBOARD_PORT (8080),
                       admin key SWITCHBOARD_ADMIN_KEY, tenants from SWITCHBOARD_BOOTSTRAP (a JSON file)
            --demo     a fresh H2 store in ./data/demo, the tenant of examples/demo.json, and simulated
                       contacts and agents that show assignment, re-routing and escalation (~40 s);
                       the API stays up afterwards
            --exit     with --demo: stop when the demo is over""");
      return;
    }
    if (flags.contains("--demo")) {
      Demo.run(flags.contains("--exit"));
      return;
    }
    Config config = ConfigFactory.load();
    Gateway gateway;
    try {
      gateway = Gateway.start(config).toCompletableFuture().get(2, TimeUnit.MINUTES);
    } catch (ClusterConfig.RefusedException e) {
      System.err.println("Switchboard: " + e.getMessage());
      System.exit(2);
      return;
    }
    GatewaySettings settings = GatewaySettings.from(config);
    if (!settings.bootstrapFile().isBlank()) {
      // not ready (no traffic from a load balancer) until the tenants, teams and agents exist
      CompletableFuture<Bootstrap.Summary> applied = new CompletableFuture<>();
      gateway.notReadyUntil(applied, Gateway.applyingBootstrap(settings.bootstrapFile()));
      try {
        Bootstrap.Summary s = Bootstrap.apply(gateway.system(), Bootstrap.read(Path.of(settings.bootstrapFile())),
            settings);
        applied.complete(s);
        gateway.system().log().info("bootstrap {}: {}", settings.bootstrapFile(), s);
      } catch (RuntimeException e) {
        applied.completeExceptionally(e);
        // a node half configured would route wrongly: stop rather than serve
        System.err.println("bootstrap " + settings.bootstrapFile() + " failed, stopping: " + e.getMessage());
        gateway.stop();
        System.exit(1);
      }
    }
    gateway.system().getWhenTerminated().toCompletableFuture().get();
    // stopped because a second member joined while on H2 (SingleNodeGuard): not a clean stop
    if (org.apache.pekko.actor.CoordinatedShutdown.get(gateway.system()).getShutdownReason()
        .filter(r -> r == SingleNodeGuard.REASON).isPresent()) {
      System.exit(2);
    }
  }
}

package io.switchboard.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.gateway.Metrics;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Operations, without authentication: {@code /health/alive} (the process answers),
 * {@code /health/ready} (store reachable, read models started, cluster member up, bootstrap applied; 503 otherwise),
 * {@code /metrics} (Prometheus text) and {@code /v1/openapi.json} (the whole API).
 */
public final class OpsRoutes extends RouteSupport {
  /** Why the node is not ready, or null when it is. */
  public interface Readiness {
    String notReadyBecause();
  }

  private final Metrics metrics;
  private final Readiness readiness;
  private final byte[] openApi;

  public OpsRoutes(ObjectMapper json, Errors errors, Validation valid, Metrics metrics, Readiness readiness) {
    super(json, errors, valid);
    this.metrics = metrics;
    this.readiness = readiness;
    this.openApi = resource("openapi.json");
  }

  static byte[] resource(String name) {
    try (InputStream in = OpsRoutes.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException(name + " is missing from the class path");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + name, e);
    }
  }

  public Route routes() {
    return concat(
        path(segments("health", "alive"), () -> get(() -> ok(Map.of("status", "alive")))),
        path(segments("health", "ready"), () -> get(() -> {
          String why = readiness.notReadyBecause();
          return why == null ? ok(Map.of("status", "ready")) : complete(errors.response(StatusCodes.SERVICE_UNAVAILABLE,
              "not_ready", why));
        })),
        path("metrics", () -> get(() -> complete(HttpResponse.create().withEntity(
            HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, metrics.scrape()))))),
        path(segments("v1", "openapi.json"), () -> get(() -> complete(HttpResponse.create().withEntity(
            HttpEntities.create(ContentTypes.APPLICATION_JSON, openApi))))));
  }

  private static org.apache.pekko.http.javadsl.server.PathMatcher0 segments(String a, String b) {
    return org.apache.pekko.http.javadsl.server.PathMatchers.segment(a).slash(b);
  }

}

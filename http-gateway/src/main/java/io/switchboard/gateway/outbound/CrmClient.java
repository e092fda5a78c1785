package io.switchboard.gateway.outbound;

import io.switchboard.RoutingPorts.LookupResult;
import io.switchboard.routing.rules.CrmLookup;
import io.switchboard.routing.rules.JsonMapping;
import io.switchboard.routing.rules.Templates;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.pattern.CircuitBreaker;

/**
 * CRM lookups of the routing rules: the request is built from the lookup's templates and the
 * contact's fields (values URL-, header- or JSON-encoded), sent with the lookup's timeout behind a
 * circuit breaker per CRM host (after {@code maxFailures} failures in a row, lookups to that host
 * fail at once for {@code resetTimeout}), and a 2xx JSON answer is mapped into fields by JSON path.
 * Every failure (a missing field, timeout, non-2xx, open breaker, nothing mapped) is a failed
 * result, never an exception: the conversation then takes the step's fallback.
 */
public final class CrmClient {
  private final ActorSystem<?> system;
  private final HttpPost http;
  private final int maxFailures;
  private final Duration resetTimeout;
  private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();

  public CrmClient(ActorSystem<?> system, int maxFailures, Duration resetTimeout) {
    this.system = system;
    // the transport's own deadline is generous: each lookup is held to its configured timeout below
    this.http = new HttpPost(system, Duration.ofSeconds(30), 8, 256);
    this.maxFailures = maxFailures;
    this.resetTimeout = resetTimeout;
  }

  public CompletionStage<LookupResult> lookup(CrmLookup lookup, Map<String, String> fields) {
    Templates.Rendered url = Templates.render(lookup.url(), fields, Templates.Encoding.URL);
    List<String> missing = new ArrayList<>(url.missing());
    List<HttpHeader> headers = new ArrayList<>();
    lookup.headers().forEach((name, template) -> {
      Templates.Rendered value = Templates.render(template, fields, Templates.Encoding.HEADER);
      missing.addAll(value.missing());
      headers.add(RawHeader.create(name, value.text()));
    });
    String body = null;
    if (lookup.body() != null) {
      Templates.Rendered b = Templates.render(lookup.body(), fields, Templates.Encoding.JSON);
      missing.addAll(b.missing());
      body = b.text();
    }
    if (!missing.isEmpty()) {
      return CompletableFuture.completedFuture(LookupResult.failed("the contact has no " + missing));
    }
    HttpRequest request;
    String host;
    try {
      host = URI.create(url.text()).getHost();
      request = (lookup.method() == CrmLookup.Method.POST ? HttpRequest.POST(url.text()) : HttpRequest.GET(url.text()))
          .addHeaders(headers);
      if (body != null) request = request.withEntity(ContentTypes.APPLICATION_JSON, body);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(LookupResult.failed("bad request: " + e.getMessage()));
    }
    HttpRequest req = request;
    CircuitBreaker breaker = breakers.computeIfAbsent(host == null ? "" : host, h ->
        CircuitBreaker.create(system.classicSystem().scheduler(), maxFailures, lookup.timeout(), resetTimeout));
    CompletionStage<HttpPost.Reply> reply = breaker.callWithCircuitBreakerCS(() ->
        Async.within(http.exchange(req, true), lookup.timeout(), "the CRM lookup", system));
    return reply.handleAsync((r, error) -> {
      if (error != null) {
        Throwable t = Async.unwrap(error);
        return LookupResult.failed(t instanceof org.apache.pekko.pattern.CircuitBreakerOpenException
            ? "the CRM at " + host + " is failing (circuit breaker open)" : HttpPost.failure(t));
      }
      if (!r.success()) return LookupResult.failed(HttpPost.describe(r));
      JsonMapping.Result mapped = JsonMapping.apply(lookup.map(), r.body());
      return mapped.ok() ? LookupResult.of(mapped.fields())
          : LookupResult.failed(mapped.error() != null ? mapped.error() : "nothing mapped: " + mapped.problems());
    }, system.executionContext());
  }
}

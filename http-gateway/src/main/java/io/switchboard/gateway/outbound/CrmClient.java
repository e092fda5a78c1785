package io.switchboard.gateway.outbound;

import io.switchboard.RoutingPorts.LookupResult;
import io.switchboard.routing.rules.CrmLookup;
import io.switchboard.routing.rules.JsonMapping;
import io.switchboard.routing.rules.Templates;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.pattern.CircuitBreaker;
import org.apache.pekko.pattern.CircuitBreakerOpenException;

/**
 * CRM lookups of the routing rules: the request is built from the lookup's templates and the
 * contact's fields (values URL-, header- or JSON-encoded), sent with the lookup's timeout behind a
 * circuit breaker per CRM endpoint and timeout (after {@code maxFailures} failures in a row, lookups
 * to that endpoint with that timeout fail at once for {@code resetTimeout}), and a 2xx JSON answer is
 * mapped into fields by JSON path.
 * Every failure (a missing field, timeout, non-2xx, open breaker, nothing mapped) is a failed
 * result, never an exception: the conversation then takes the step's fallback.
 */
public final class CrmClient {
  private final ActorSystem<?> system;
  private final HttpPost http;
  private final int maxFailures;
  private final Duration resetTimeout;
  private final Map<Endpoint, CircuitBreaker> breakers;

  /**
   * Where lookups go, as one breaker counts their failures. The timeout belongs to it: a breaker
   * fails every call that outlasts its call-timeout, so one shared by a 200 ms and a 5 s lookup cut
   * the 5 s one to whichever timeout reached the host first. Path and query are not part of it: one
   * CRM that fails, fails for all of its resources.
   */
  record Endpoint(String scheme, String host, int port, Duration timeout) {
    static Endpoint of(URI uri, Duration timeout) {
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(scheme) ? 443 : 80;
      return new Endpoint(scheme, uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT), port, timeout);
    }
  }

  /**
   * @param maxBreakers endpoints whose breakers are kept; the least recently used one goes first.
   *     Every tenant's rules name their own CRMs and timeouts, and rules change, so without a bound
   *     the breakers of every endpoint ever named stayed for the life of the node. Forgetting one
   *     costs little: an endpoint that still fails gets {@code maxFailures} more tries, then opens.
   */
  public CrmClient(ActorSystem<?> system, int maxFailures, Duration resetTimeout, int maxBreakers) {
    if (maxBreakers < 1) throw new IllegalArgumentException("switchboard.gateway.crm.max-breakers must be >= 1");
    this.system = system;
    // the transport's own deadline is generous: each lookup is held to its configured timeout below
    this.http = new HttpPost(system, Duration.ofSeconds(30), 8, 256);
    this.maxFailures = maxFailures;
    this.resetTimeout = resetTimeout;
    // in access order, so the eldest entry is the least recently used
    this.breakers = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Endpoint, CircuitBreaker> eldest) {
        return size() > maxBreakers;
      }
    });
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
    URI uri;
    try {
      uri = URI.create(url.text());
      request = (lookup.method() == CrmLookup.Method.POST ? HttpRequest.POST(url.text()) : HttpRequest.GET(url.text()))
          .addHeaders(headers);
      if (body != null) request = request.withEntity(ContentTypes.APPLICATION_JSON, body);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(LookupResult.failed("bad request: " + e.getMessage()));
    }
    HttpRequest req = request;
    CompletionStage<HttpPost.Reply> reply = breaker(uri, lookup.timeout()).callWithCircuitBreakerCS(() ->
        Async.within(http.exchange(req, true), lookup.timeout(), "the CRM lookup", system));
    return reply.handleAsync((r, error) -> {
      if (error != null) {
        Throwable t = Async.unwrap(error);
        return LookupResult.failed(t instanceof CircuitBreakerOpenException
            ? "the CRM at " + uri.getHost() + " is failing (circuit breaker open)" : HttpPost.failure(t));
      }
      if (!r.success()) return LookupResult.failed(HttpPost.describe(r));
      JsonMapping.Result mapped = JsonMapping.apply(lookup.map(), r.body());
      return mapped.ok() ? LookupResult.of(mapped.fields())
          : LookupResult.failed(mapped.error() != null ? mapped.error() : "nothing mapped: " + mapped.problems());
    }, system.executionContext());
  }

  /** The breaker of {@code uri}'s endpoint for lookups of {@code timeout}, made on first use. */
  CircuitBreaker breaker(URI uri, Duration timeout) {
    return breakers.computeIfAbsent(Endpoint.of(uri, timeout), e ->
        CircuitBreaker.create(system.classicSystem().scheduler(), maxFailures, timeout, resetTimeout));
  }

  /** How many breakers are kept now. */
  int breakerCount() {
    return breakers.size();
  }
}

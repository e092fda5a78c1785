package io.switchboard.gateway.api;

import io.switchboard.persistence.readmodel.ReadModelQueries;
import java.util.function.BiFunction;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code ?limit=&offset=} of the list queries: limit 1..500 (default 50), offset ≥ 0. */
final class Paging {
  private Paging() {}

  static Route page(RouteSupport r, BiFunction<Integer, Integer, Route> inner) {
    return r.parameterOptional("limit", limit -> r.parameterOptional("offset", offset -> {
      int l = parse("limit", limit.orElse("50"));
      int o = parse("offset", offset.orElse("0"));
      if (l < 1 || l > ReadModelQueries.MAX_LIMIT) {
        throw ApiException.badRequest("invalid_request", "limit must be 1.." + ReadModelQueries.MAX_LIMIT);
      }
      if (o < 0 || o > 1_000_000) throw ApiException.badRequest("invalid_request", "offset must be 0..1000000");
      return inner.apply(l, o);
    }));
  }

  private static int parse(String name, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("invalid_request", name + " must be a whole number: '" + value + "'");
    }
  }
}

package io.switchboard.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.Outcome;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What every routes class does the same way: read a JSON body, wait for an entity or a query
 * without blocking, answer a refusal or a failure as an {@link ApiError}.
 */
public abstract class RouteSupport extends AllDirectives {
  protected final ObjectMapper json;
  protected final Errors errors;
  protected final Validation valid;

  protected RouteSupport(ObjectMapper json, Errors errors, Validation valid) {
    this.json = json;
    this.errors = errors;
    this.valid = valid;
  }

  /** Reads the body as {@code type}; a body that is not that JSON is a 400 (see {@link Errors}). */
  protected <T> Route body(Class<T> type, Function<T, Route> inner) {
    return entity(Jackson.unmarshaller(json, type), t -> {
      if (t == null) throw ApiException.badRequest("malformed_json", "a JSON body is required");
      return inner.apply(t);
    });
  }

  protected Route json(StatusCode status, Object body) {
    return complete(status, body, Jackson.marshaller(json));
  }

  protected Route ok(Object body) {
    return json(StatusCodes.OK, body);
  }

  /** Waits for {@code stage} (an ask or a query) without blocking; a timeout or store failure answers 503. */
  protected <T> Route await(CompletionStage<T> stage, Function<T, Route> onSuccess) {
    return onComplete(stage, t -> t.isSuccess() ? onSuccess.apply(t.get()) : complete(errors.failure(t.failed().get())));
  }

  /** An entity's outcome: {@code onOk} when accepted, else the refusal with its status. */
  protected Route outcome(CompletionStage<Outcome> stage, Function<Outcome, Route> onOk) {
    return await(stage, o -> o.ok() ? onOk.apply(o) : complete(errors.refusal(o)));
  }
}

package io.switchboard.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.Outcome;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

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

  /** Reads the body as {@code type}; a body that is not that JSON is a 400 {@code malformed_json} (see {@link JsonErrors}). */
  protected <T> Route body(Class<T> type, Function<T, Route> inner) {
    return body(type, "malformed_json", inner);
  }

  /**
   * Reads the body as {@code type}: 415 unless it is {@code application/json}; 400 {@code code}
   * naming the JSON path and what was expected there when it does not bind; 400 when a string of
   * it cannot be stored or is over its limit ({@link Validation#body}).
   */
  protected <T> Route body(Class<T> type, String code, Function<T, Route> inner) {
    Unmarshaller<HttpEntity, T> reader = Unmarshaller.forMediaType(MediaTypes.APPLICATION_JSON,
        Unmarshaller.entityToString()).thenApply(text -> JsonErrors.read(json, text, type, code));
    return entity(reader, t -> {
      if (t == null) throw ApiException.badRequest(code, "a JSON body is required");
      return inner.apply(valid.body(t));
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

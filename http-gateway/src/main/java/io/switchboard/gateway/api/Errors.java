package io.switchboard.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.Outcome;
import io.switchboard.Text;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.MissingHeaderRejection;
import org.apache.pekko.http.javadsl.server.MissingQueryParamRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalHeaderException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.apache.pekko.http.scaladsl.model.IllegalUriException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every refusal as {@code {"error": code, "message": text}} with the right status: validation 400,
 * authentication 401, another tenant's or a missing thing 404, conflicts 409, too large 413,
 * unprocessable 422, overload or an unavailable store 503 with {@code Retry-After}. Never a stack
 * trace: unexpected failures are logged and answered 500 with a generic message.
 */
public final class Errors {
  private static final Logger log = LoggerFactory.getLogger(Errors.class);

  private final ObjectMapper json;
  private final Duration retryAfter;

  public Errors(ObjectMapper json, Duration retryAfter) {
    this.json = json;
    this.retryAfter = retryAfter;
  }

  public HttpResponse response(StatusCode status, String code, String message) {
    HttpResponse r = HttpResponse.create().withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, body(code, message));
    if (status.intValue() == 503) r = r.addHeader(RetryAfter.create(Math.max(1, retryAfter.toSeconds())));
    return r;
  }

  public HttpResponse unavailable(String message) {
    return response(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", message);
  }

  private byte[] body(String code, String message) {
    try {
      return json.writeValueAsBytes(new ApiError(code, io.switchboard.Storable.repair(message))); // may quote input
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The status of a refusal from an entity. */
  public static StatusCode statusOf(Outcome refusal) {
    return switch (refusal.codeValue()) {
      case NOT_FOUND -> StatusCodes.NOT_FOUND;
      case NOT_A_MEMBER -> StatusCodes.FORBIDDEN;
      case NO_ROUTE, SERVICE_WINDOW_CLOSED, BAD_TRANSFER, BAD_CONVERSATION_ID, UNKNOWN_AGENTS ->
          StatusCodes.UNPROCESSABLE_ENTITY;
      case DELIVERY_FAILED -> StatusCodes.BAD_GATEWAY;
      case INVALID_RULES, INVALID_INPUT -> StatusCodes.BAD_REQUEST;
      default -> StatusCodes.CONFLICT; // already_assigned, not_assigned, not_open, capacity_full, agent_offline, …
    };
  }

  public HttpResponse refusal(Outcome o) {
    return response(statusOf(o), o.code(), o.message());
  }

  /** A failed ask or query: a timeout or an unreachable store is "try again", anything else a logged 500. */
  public HttpResponse failure(Throwable t) {
    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (cause instanceof ApiException e) return response(e.status(), e.code(), e.getMessage());
    if (cause instanceof TimeoutException || cause instanceof java.sql.SQLException) {
      return unavailable("the system is busy or its store is unavailable; retry later");
    }
    log.error("unexpected failure answering a request", cause);
    return response(StatusCodes.INTERNAL_SERVER_ERROR, "internal_error", "unexpected failure; it was logged");
  }

  public ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .match(ApiException.class, e -> org.apache.pekko.http.javadsl.server.Directives.complete(
            response(e.status(), e.code(), e.getMessage())))
        .match(EntityStreamSizeException.class, e -> org.apache.pekko.http.javadsl.server.Directives.complete(
            response(StatusCodes.PAYLOAD_TOO_LARGE, "too_large", "the request body is larger than the limit of "
                + e.limit() + " bytes")))
        // a body that breaks off or has a bad chunk, a header or URI a directive could not read: the client's fault
        .match(EntityStreamException.class, e -> org.apache.pekko.http.javadsl.server.Directives.complete(
            response(StatusCodes.BAD_REQUEST, "malformed_request", "the request body could not be read: "
                + firstLine(e.info().summary()))))
        .match(IllegalRequestException.class, e -> org.apache.pekko.http.javadsl.server.Directives.complete(
            response(e.status().intValue() >= 500 ? StatusCodes.BAD_REQUEST : e.status(), "malformed_request",
                firstLine(e.info().summary()))))
        .match(IllegalUriException.class, e -> org.apache.pekko.http.javadsl.server.Directives.complete(
            response(StatusCodes.BAD_REQUEST, "malformed_request", firstLine(e.info().summary()))))
        .match(IllegalHeaderException.class, e -> org.apache.pekko.http.javadsl.server.Directives.complete(
            response(StatusCodes.BAD_REQUEST, "malformed_request", firstLine(e.info().summary()))))
        .match(Throwable.class, e -> org.apache.pekko.http.javadsl.server.Directives.complete(failure(e)))
        .build();
  }

  public RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handle(MalformedRequestContentRejection.class, r -> r.getCause() instanceof EntityStreamSizeException e
            ? complete(StatusCodes.PAYLOAD_TOO_LARGE, "too_large", "the request body is larger than the limit of "
                + e.limit() + " bytes")
            : r.getCause() instanceof ApiException e // RouteSupport.body: the path and what was expected there
            ? complete(e.status(), e.code(), e.getMessage())
            : complete(StatusCodes.BAD_REQUEST, "malformed_json", "the body is not the JSON expected: "
                + firstLine(r.message())))
        .handle(UnsupportedRequestContentTypeRejection.class, r -> complete(StatusCodes.UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type", "send the body as application/json"))
        .handle(MissingQueryParamRejection.class, r -> complete(StatusCodes.BAD_REQUEST, "invalid_request",
            "query parameter " + r.parameterName() + " is required"))
        .handle(MalformedQueryParamRejection.class, r -> complete(StatusCodes.BAD_REQUEST, "invalid_request",
            "query parameter " + r.parameterName() + ": " + r.errorMsg()))
        .handle(MissingHeaderRejection.class, r -> complete(StatusCodes.BAD_REQUEST, "invalid_request",
            "header " + r.headerName() + " is required"))
        .handleAll(MethodRejection.class, rs -> {
          List<HttpMethod> allowed = rs.stream().map(MethodRejection::supported).distinct().toList();
          return org.apache.pekko.http.javadsl.server.Directives.complete(response(StatusCodes.METHOD_NOT_ALLOWED,
              "method_not_allowed", "allowed here: " + allowed.stream().map(HttpMethod::name).toList())
              .addHeader(Allow.create(allowed.toArray(HttpMethod[]::new))));
        })
        .handleNotFound(complete(StatusCodes.NOT_FOUND, "not_found", "no such resource"))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(this::asJson);
  }

  /**
   * Pekko's default rejection answers (a missing or malformed header, an unaccepted response type, an
   * unsupported encoding, ...) are plain text: the same status and text as the API's JSON error.
   */
  private HttpResponse asJson(HttpResponse resp) {
    if (resp.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) return resp;
    String text = resp.entity() instanceof HttpEntity.Strict strict && !strict.getData().isEmpty()
        ? firstLine(strict.getData().utf8String()) : resp.status().reason();
    HttpResponse json = response(resp.status(), codeOf(resp.status()), text);
    for (HttpHeader h : resp.getHeaders()) json = json.addHeader(h);
    return json;
  }

  /** The error code of a framework refusal with {@code status}. */
  static String codeOf(StatusCode status) {
    return switch (status.intValue()) {
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 406 -> "not_acceptable";
      case 408 -> "request_timeout";
      case 413 -> "too_large";
      case 415 -> "unsupported_media_type";
      case 416 -> "range_not_satisfiable";
      case 503 -> "unavailable";
      default -> "invalid_request";
    };
  }

  private org.apache.pekko.http.javadsl.server.Route complete(StatusCode status, String code, String message) {
    return org.apache.pekko.http.javadsl.server.Directives.complete(response(status, code, message));
  }

  private static String firstLine(String s) {
    return Text.clip(Text.firstLine(s), 300);
  }
}

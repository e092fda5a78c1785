package io.switchboard.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.impl.settings.ParserSettingsImpl;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RequestEntityAcceptances;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.HttpMethod;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import scala.Function1;
import scala.Option;

/**
 * What the HTTP server answers before any route runs, in the API's JSON error shape.
 *
 * <ul>
 *   <li>Any request method that is an HTTP token reaches the routes (Pekko HTTP answers 501 to the
 *       methods it does not know), so {@code FOO /v1/...} gets the route's 405 with {@code Allow}
 *       like {@code PATCH} does.
 *   <li>A request the server cannot even read (a bad request line or percent-encoding, a URI or
 *       headers over the limits, a missing {@code Host}, a body on a method without one) is answered
 *       by {@link JsonParsingErrors}: {@code {"error", "message"}} with a 4xx. A malformed request
 *       line or an unknown protocol version is the client's fault: 400, not 501 / 505.
 * </ul>
 */
public final class ServerLevel {
  private ServerLevel() {}

  /** The server's settings from the system's configuration, with the two changes above. */
  public static ServerSettings settings(ActorSystem<?> system) {
    ServerSettings settings = ServerSettings.create(Adapter.toClassic(system));
    return settings.withParserSettings(anyTokenMethod((ParserSettingsImpl) settings.getParserSettings()))
        .withParsingErrorHandler(JsonParsingErrors.class.getName());
  }

  /**
   * The parser settings with every token method accepted as a custom method. Pekko HTTP offers
   * only a fixed list of custom methods ({@code withCustomMethods}); the lookup function is a field
   * of its settings case class, so the copy names every field (a Pekko HTTP upgrade that changes
   * them fails to compile here, not at run time).
   */
  private static ParserSettingsImpl anyTokenMethod(ParserSettingsImpl p) {
    Function1<String, Option<HttpMethod>> any = name -> isToken(name)
        ? Option.apply((HttpMethod) HttpMethods.custom(name, false, false, RequestEntityAcceptances.Tolerated))
        : Option.empty();
    return p.copy(p.maxUriLength(), p.maxMethodLength(), p.maxResponseReasonLength(), p.maxHeaderNameLength(),
        p.maxHeaderValueLength(), p.maxHeaderCount(), p.maxContentLengthSetting(), p.maxToStrictBytes(),
        p.maxChunkExtLength(), p.maxChunkSize(), p.maxCommentParsingDepth(), p.uriParsingMode(),
        p.cookieParsingMode(), p.illegalHeaderWarnings(), p.ignoreIllegalHeaderFor(), p.errorLoggingVerbosity(),
        p.illegalResponseHeaderNameProcessingMode(), p.illegalResponseHeaderValueProcessingMode(),
        p.conflictingContentTypeHeaderProcessingMode(), p.headerValueCacheLimits(), p.includeTlsSessionInfoHeader(),
        p.includeSslSessionAttribute(), p.modeledHeaderParsing(), any, p.customStatusCodes(), p.customMediaTypes());
  }

  /** RFC 9110 {@code token}: visible ASCII except separators. */
  static boolean isToken(String s) {
    if (s.isEmpty()) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= 0x20 || c >= 0x7f || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) return false;
    }
    return true;
  }

  /**
   * The server's answer to a request it could not parse into a request (no route saw it), as the
   * API's JSON error. Instantiated by Pekko HTTP by its class name
   * ({@code pekko.http.server.parsing.error-handler}), hence public with a no-argument constructor.
   */
  public static final class JsonParsingErrors extends ParsingErrorHandler {
    private static final ObjectMapper JSON = Json.mapper();

    @Override
    public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log,
        org.apache.pekko.http.scaladsl.settings.ServerSettings settings) {
      int code = status.intValue();
      String message = info.summary().isEmpty() ? status.reason() : info.summary();
      if (!info.detail().isEmpty()) message = message + ": " + info.detail();
      int nl = message.indexOf('\n'); // URI errors add a second line pointing at the column
      if (nl >= 0) message = message.substring(0, nl);
      if (message.length() > 300) message = message.substring(0, 300) + "…";
      log.warning("Illegal request, answered {}: {}", code, message);
      org.apache.pekko.http.javadsl.model.StatusCode answer = switch (code) {
        case 413 -> StatusCodes.PAYLOAD_TOO_LARGE;
        case 414 -> StatusCodes.URI_TOO_LONG;
        case 431 -> StatusCodes.REQUEST_HEADER_FIELDS_TOO_LARGE;
        case 417 -> StatusCodes.EXPECTATION_FAILED;
        case 422 -> StatusCodes.UNPROCESSABLE_ENTITY;
        default -> StatusCodes.BAD_REQUEST; // 400, and 501 (a method that is no token) / 505 (a garbled request line)
      };
      String error = switch (answer.intValue()) {
        case 413 -> "too_large";
        case 414 -> "uri_too_long";
        case 431 -> "headers_too_large";
        default -> "malformed_request";
      };
      if (code == 505) message = "the request line is not `METHOD target HTTP/1.x` (" + message + ")";
      return HttpResponse.create().withStatus(answer).withEntity(ContentTypes.APPLICATION_JSON, body(error, message));
    }

    private static byte[] body(String code, String message) {
      try {
        return JSON.writeValueAsBytes(new ApiError(code, message));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}

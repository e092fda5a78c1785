package io.switchboard.gateway.api;

import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** Thrown inside a route to answer {@code status} with {@code {"error": code, "message": message}}. */
public final class ApiException extends RuntimeException {
  private final StatusCode status;
  private final String code;

  public ApiException(StatusCode status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public static ApiException badRequest(String code, String message) {
    return new ApiException(StatusCodes.BAD_REQUEST, code, message);
  }

  public static ApiException notFound(String message) {
    return new ApiException(StatusCodes.NOT_FOUND, "not_found", message);
  }

  public StatusCode status() {
    return status;
  }

  public String code() {
    return code;
  }
}

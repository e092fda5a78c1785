package io.switchboard.routing.rules;

import com.fasterxml.jackson.annotation.JsonTypeName;
import java.time.Duration;
import java.util.Map;

/**
 * A CRM lookup step: an HTTP request built from templates over the contact fields
 * ({@code {{email}}}, see {@link Templates}), whose JSON response is mapped into contact fields by
 * JSON paths ({@code "customerType": "$.customerType"}, see {@link JsonMapping}); then decide again.
 * On timeout, an error status, an unreadable response or an open circuit breaker the conversation
 * takes {@code fallback}. A path absent from a good response just leaves its field unset.
 *
 * @param url     an http(s) URL template; its scheme and host are fixed text, never placeholders
 * @param headers header name to value template
 * @param body    a JSON body template for POST, null for none
 * @param map     contact field to JSON path in the response
 */
@JsonTypeName("lookup")
public record CrmLookup(String id, Method method, String url, Map<String, String> headers, String body,
                        Duration timeout, Map<String, String> map, Action.Terminal fallback)
    implements Action.Step {

  public CrmLookup {
    headers = Copies.map(headers);
    map = Copies.map(map);
  }

  /** The HTTP methods a lookup may use. */
  public enum Method { GET, POST }
}

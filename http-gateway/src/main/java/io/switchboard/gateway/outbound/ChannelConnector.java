package io.switchboard.gateway.outbound;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.pattern.Patterns;
import scala.concurrent.ExecutionContextExecutor;

/**
 * The outbound side of the channels: sends messages to contacts by POSTing them as JSON to
 * {@code <connector.base-url>/messages}, the service that speaks to the providers (WhatsApp, ...).
 *
 * <p>The request body:
 * <pre>{@code
 * {"tenant": "acme", "channel": "whatsapp", "to": "<contact id>", "conversationId": "...",
 *  "text": "...",                                                    (if any)
 *  "template": {"name": "...", "language": "en", "params": ["..."]},  (if any)
 *  "options": [{"id": "...", "title": "..."}]}                        (if any)
 * }</pre>
 * A 2xx accepts the message; {@code "id"} of its JSON body, if present, is the provider's message id.
 * A 5xx, a timeout ({@code connector.request-timeout} per attempt) or a connection error is retried
 * up to {@code connector.max-retries} times with a doubling wait (Pekko's {@code Patterns.retry}); a
 * 4xx is not (the message itself is wrong). Every attempt of one send carries the same
 * {@value #IDEMPOTENCY_KEY_HEADER}, so a connector can drop the repeat of a message whose answer was lost.
 *
 * <p>{@link #send} never fails: every outcome is a {@link SendResult}. Thread-safe; one per system.
 */
public final class ChannelConnector {
  /** A random id per {@link #send}, the same on its retries. */
  public static final String IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ActorSystem<?> system;
  private final ExecutionContextExecutor ec;
  private final OutboundSettings.Connector settings;
  private final String url;
  private final HttpPost http;

  public ChannelConnector(ActorSystem<?> system, OutboundSettings settings) {
    this.system = system;
    this.ec = system.executionContext();
    this.settings = settings.connector();
    this.url = this.settings.baseUrl() + "/messages";
    // sends queue for the connections rather than fail when a burst exceeds them
    this.http = new HttpPost(system, this.settings.requestTimeout(), this.settings.maxConnections(),
        16 * this.settings.maxConnections());
  }

  /** Sends {@code message}; completes with the outcome, after any retries. Never completes exceptionally. */
  public CompletionStage<SendResult> send(OutboundMessage message) {
    byte[] body;
    try {
      body = JSON.writeValueAsBytes(json(message));
    } catch (JsonProcessingException e) {
      return CompletableFuture.completedFuture(SendResult.failed(0, "cannot encode the message: " + e.getMessage()));
    }
    List<HttpHeader> headers = List.of(RawHeader.create(IDEMPOTENCY_KEY_HEADER, UUID.randomUUID().toString()));
    AtomicInteger attempts = new AtomicInteger();
    // the delay function rather than the minBackoff/maxBackoff overload: that one waits minBackoff * 2^n
    // before retry n (twice retry-backoff before the first), this keeps retry-backoff, then doubling
    CompletionStage<HttpPost.Reply> sent = Patterns.retry(() -> {
          attempts.incrementAndGet();
          return http.post(url, headers, body, true);
        }, ChannelConnector::retryable, settings.maxRetries(), retry -> Optional.of(settings.retryDelay(retry)),
        system.classicSystem().scheduler(), ec);
    return sent.handleAsync((reply, failure) -> {
      SendResult r = failure != null ? SendResult.failed(0, HttpPost.failure(failure))
          : reply.success() ? SendResult.accepted(reply.status(), providerId(reply.body()))
          : SendResult.failed(reply.status(), HttpPost.describe(reply));
      int n = attempts.get();
      return r.ok() || n <= 1 ? r : SendResult.failed(r.status(), r.error() + " (after " + n + " attempts)");
    }, ec);
  }

  /**
   * Whether an attempt is worth repeating: a 5xx, or no answer at all. {@link HttpPost} fails only when
   * no answer came: its deadline passed, the connection failed (refused, reset, closed, the pool full),
   * or base-url is no URL, which the retries find alike but cost nothing. A 4xx says the message
   * itself is wrong, and it would be wrong again.
   */
  private static boolean retryable(HttpPost.Reply reply, Throwable failure) {
    return failure != null || reply.status() >= 500;
  }

  static ObjectNode json(OutboundMessage m) {
    ObjectNode o = JSON.createObjectNode();
    o.put("tenant", m.tenant());
    o.put("channel", m.channel());
    o.put("to", m.to());
    if (m.conversationId() != null) o.put("conversationId", m.conversationId());
    if (m.text() != null) o.put("text", m.text());
    if (m.template() != null) {
      ObjectNode t = o.putObject("template");
      t.put("name", m.template().name());
      t.put("language", m.template().language());
      ArrayNode params = t.putArray("params");
      m.template().params().forEach(params::add);
    }
    if (m.options() != null) {
      ArrayNode options = o.putArray("options");
      for (OutboundMessage.Option option : m.options()) {
        options.addObject().put("id", option.id()).put("title", option.title());
      }
    }
    return o;
  }

  /** {@code "id"} of a JSON object body; null when there is none (or the body is not JSON). */
  static String providerId(String body) {
    if (body == null || body.isBlank()) return null;
    try {
      JsonNode id = JSON.readTree(body).path("id");
      return id.isTextual() || id.isNumber() ? id.asText() : null;
    } catch (JsonProcessingException e) {
      return null;
    }
  }
}

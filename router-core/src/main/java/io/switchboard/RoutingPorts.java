package io.switchboard;

import io.switchboard.Outcome.Code;
import io.switchboard.routing.rules.CrmLookup;
import io.switchboard.routing.rules.Question;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The outside world the routing rules reach while a conversation is being routed: a message to the
 * contact (a question and its options, a retry) and a CRM lookup. Implemented by the gateway (channel
 * connector, HTTP client with a circuit breaker); the core stays free of HTTP. Called from inside
 * entities: implementations must not block, and their answers come back to the entity as messages.
 */
public interface RoutingPorts {
  /** No outside world: nothing is sent and every lookup fails (its fallback route is taken). */
  RoutingPorts NONE = new RoutingPorts() {
    @Override
    public CompletionStage<Outcome> sendToContact(String conversationId, String text, List<Question.Option> options,
        String idempotencyKey) {
      return CompletableFuture.completedFuture(Outcome.refused(Code.NO_CHANNEL, "no channel connector configured"));
    }

    @Override
    public CompletionStage<LookupResult> lookup(String conversationId, CrmLookup lookup, Map<String, String> fields) {
      return CompletableFuture.completedFuture(LookupResult.failed("no CRM client configured"));
    }
  };

  /**
   * Sends {@code text} (with {@code options} as buttons or a list, when any) to the conversation's
   * contact; {@code idempotencyKey} is the same however often the same message is sent again.
   */
  CompletionStage<Outcome> sendToContact(String conversationId, String text, List<Question.Option> options,
      String idempotencyKey);

  /** Runs {@code lookup} with the contact's {@code fields}; never completes exceptionally. */
  CompletionStage<LookupResult> lookup(String conversationId, CrmLookup lookup, Map<String, String> fields);

  /** A lookup's outcome: the mapped fields, or why it failed (timeout, error status, open breaker, no match). */
  record LookupResult(boolean ok, Map<String, String> fields, String error) implements CborSerializable {
    public LookupResult {
      fields = fields == null ? Map.of() : Map.copyOf(fields);
    }

    public static LookupResult of(Map<String, String> fields) {
      return new LookupResult(true, fields, null);
    }

    public static LookupResult failed(String error) {
      return new LookupResult(false, Map.of(), error);
    }
  }
}

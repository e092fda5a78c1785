package io.switchboard.testkit;

import io.switchboard.Outcome;
import io.switchboard.RoutingPorts;
import io.switchboard.routing.rules.CrmLookup;
import io.switchboard.routing.rules.Question;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what the rules send to contacts; answers lookups as scripted per lookup id (unscripted: never answers). */
public final class ScriptedPorts implements RoutingPorts {
  /** A message sent to a contact. */
  public record Sent(String conversationId, String text, List<Question.Option> options, String key) {}

  private final List<Sent> sent = new CopyOnWriteArrayList<>();
  private final Map<String, LookupResult> lookups = new ConcurrentHashMap<>();

  public List<Sent> sentTo(String conversationId) {
    return sent.stream().filter(s -> s.conversationId().equals(conversationId)).toList();
  }

  /** How lookup {@code id} answers from now on. */
  public void answer(String lookupId, LookupResult result) {
    lookups.put(lookupId, result);
  }

  @Override
  public CompletionStage<Outcome> sendToContact(String conversationId, String text, List<Question.Option> options,
      String idempotencyKey) {
    sent.add(new Sent(conversationId, text, options, idempotencyKey));
    return CompletableFuture.completedFuture(Outcome.ok("sent"));
  }

  @Override
  public CompletionStage<LookupResult> lookup(String conversationId, CrmLookup lookup, Map<String, String> fields) {
    LookupResult r = lookups.get(lookup.id());
    return r == null ? new CompletableFuture<>() : CompletableFuture.completedFuture(r);
  }
}

package io.switchboard.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
import io.switchboard.Storable;
import io.switchboard.conversation.Conversation;
import io.switchboard.gateway.Hmac;
import io.switchboard.gateway.Metrics;
import io.switchboard.gateway.tenant.TenantData;
import io.switchboard.gateway.tenant.TenantSettings;
import io.switchboard.gateway.whatsapp.ContactEvent;
import io.switchboard.gateway.whatsapp.InboundMessage;
import io.switchboard.gateway.whatsapp.MalformedWebhookException;
import io.switchboard.gateway.whatsapp.StatusUpdate;
import io.switchboard.gateway.whatsapp.VerificationHandshake;
import io.switchboard.gateway.whatsapp.WebhookBatch;
import io.switchboard.gateway.whatsapp.WhatsAppWebhook;
import io.switchboard.persistence.readmodel.ReadModelQueries;
import io.switchboard.routing.RoutingHint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * WhatsApp Cloud API webhooks of one tenant, {@code /v1/webhooks/whatsapp/{tenant}} (the callback
 * URL configured at Meta): the verification handshake (GET) and notifications (POST, signed with
 * the tenant's app secret over the raw body). Every message of every change is stored in its
 * conversation (in order per contact) before the answer is 200; Meta redelivers on anything else,
 * and the conversation drops the repeats by message id. Delivery receipts are recorded, not routed;
 * {@code system} messages are recorded as contact events, not messages (docs/WHATSAPP.md); echoes and
 * other fields are ignored.
 */
public final class WhatsAppRoutes extends RouteSupport {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(WhatsAppRoutes.class);
  public static final String CHANNEL = "whatsapp";

  private final Auth auth;
  private final Entities entities;
  private final ReadModelQueries queries;
  private final Metrics metrics;
  private final Executor executor;

  public WhatsAppRoutes(ObjectMapper json, Errors errors, Validation valid, Auth auth, Entities entities,
      ReadModelQueries queries, Metrics metrics, Executor executor) {
    super(json, errors, valid);
    this.auth = auth;
    this.entities = entities;
    this.queries = queries;
    this.metrics = metrics;
    this.executor = executor;
  }

  /**
   * What a notification POST did.
   *
   * @param contactEvents {@code system} messages recorded with their contacts' conversations (not messages)
   */
  public record Result(int accepted, int duplicates, int statuses, int contactEvents, List<String> refused,
      List<String> ignored) {}

  public Route routes() {
    return pathPrefix(PathMatchers.segment("webhooks").slash("whatsapp"), () -> path(PathMatchers.segment(), tenant ->
        withTenant(tenant, state -> concat(
            get(() -> parameterOptional("hub.mode", mode -> parameterOptional("hub.verify_token", token ->
                parameterOptional("hub.challenge", challenge -> {
                  VerificationHandshake.Answer a = VerificationHandshake.answer(mode.orElse(null), token.orElse(null),
                      challenge.orElse(null), state.settings().verifyToken());
                  return a.accepted()
                      ? complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8,
                          a.body())))
                      : complete(errors.response(a.status() == 400 ? StatusCodes.BAD_REQUEST : StatusCodes.FORBIDDEN,
                          a.status() == 400 ? "invalid_request" : "forbidden", a.body()));
                })))),
            post(() -> entity(Unmarshaller.entityToByteString(), bytes -> optionalHeaderValueByName(
                "X-Hub-Signature-256", signature -> notification(tenant, state, bytes.toArray(),
                    signature.orElse(null)))))))));
  }

  private Route withTenant(String tenant, Function<TenantData, Route> inner) {
    valid.tenant(tenant);
    return auth.existing(tenant, inner);
  }

  private Route notification(String tenant, TenantData state, byte[] body, String signature) {
    TenantSettings settings = state.settings();
    if (settings.appSecret() == null || settings.appSecret().isEmpty()) {
      return complete(errors.response(StatusCodes.FORBIDDEN, "forbidden",
          "tenant " + tenant + " has no WhatsApp app secret configured: its webhooks cannot be verified"));
    }
    if (!Hmac.verify(settings.appSecret(), body, signature)) {
      return complete(errors.response(StatusCodes.UNAUTHORIZED, "invalid_signature",
          "X-Hub-Signature-256 is missing or is not the HMAC-SHA256 of the body under the app secret"));
    }
    WebhookBatch batch;
    try {
      batch = WhatsAppWebhook.parse(body);
    } catch (MalformedWebhookException e) {
      return complete(errors.response(StatusCodes.BAD_REQUEST, "malformed_webhook", e.getMessage()));
    }
    metrics.messagesIgnored(CHANNEL, "skipped", batch.skipped().size());
    CompletionStage<List<Outcome>> stored = store(tenant, state, batch.messages())
        .thenCombine(contactEvents(tenant, batch.contactEvents()), (messages, events) -> {
          List<Outcome> all = new ArrayList<>(messages);
          events.stream().filter(o -> !o.ok()).forEach(all::add);
          return all;
        });
    CompletionStage<Integer> recorded = queries.recordStatuses(batch.statuses().stream()
        .map(s -> status(tenant, s)).toList());
    return await(stored.thenCombine(recorded, (outcomes, statuses) -> result(outcomes, statuses, batch)), r -> {
      if (!r.refused().isEmpty()) {
        // Meta redelivers for days: once the configuration is fixed, the refused ones get in; the rest are repeats.
        return complete(errors.response(StatusCodes.UNPROCESSABLE_ENTITY, "refused",
            r.refused().size() + " message(s) could not be routed: " + r.refused()));
      }
      return ok(r);
    });
  }

  /** Each contact's messages in order (one after the other), different contacts at once. */
  private CompletionStage<List<Outcome>> store(String tenant, TenantData state, List<InboundMessage> messages) {
    TenantSettings settings = state.settings();
    Map<String, List<InboundMessage>> byConversation = new LinkedHashMap<>();
    for (InboundMessage m : messages) {
      byConversation.computeIfAbsent(EntityIds.conversationId(tenant, CHANNEL, m.contactId()), k -> new ArrayList<>())
          .add(m);
    }
    List<CompletableFuture<List<Outcome>>> chains = new ArrayList<>();
    byConversation.forEach((id, list) -> {
      CompletionStage<List<Outcome>> chain = CompletableFuture.completedFuture(new ArrayList<>());
      for (InboundMessage m : list) {
        RoutingHint hint = RoutingHint.toTeam(settings.teamForWhatsApp(m.phoneNumberId()));
        chain = chain.thenComposeAsync(done -> entities.conversationMessage(id, to -> new Conversation.Inbound(m.messageId(),
            m.text() == null ? "[" + m.type() + "]" : m.text(), hint, m.sentAt(), state.rules(), contactFields(m),
            to)).thenApplyAsync(o -> {
              done.add(o.ok() ? o : Outcome.refused(o.code(), m.messageId() + ": " + o.message()));
              return done;
            }, executor), executor);
      }
      chains.add(chain.toCompletableFuture());
    });
    CompletableFuture<List<Outcome>> all = CompletableFuture.completedFuture(new ArrayList<>());
    for (CompletableFuture<List<Outcome>> chain : chains) {
      all = all.thenCombineAsync(chain, (acc, part) -> {
        acc.addAll(part);
        return acc;
      }, executor);
    }
    return all;
  }

  /**
   * Each {@code system} message recorded with the conversation of the contact it is about; a new
   * number is recorded on both sides ({@code phoneChangedTo} on the old number's conversation,
   * {@code phoneChangedFrom} on the new one's, where the contact writes from now on), so an agent and
   * the rules see the contact's history. Refusals are returned like messages' (Meta redelivers).
   */
  private CompletionStage<List<Outcome>> contactEvents(String tenant, List<ContactEvent> events) {
    CompletableFuture<List<Outcome>> all = CompletableFuture.completedFuture(new ArrayList<>());
    for (ContactEvent e : events) {
      Map<String, String> fields = new LinkedHashMap<>();
      if (e.newPhone() != null) fields.put("phoneChangedTo", e.newPhone());
      if (e.newUserId() != null) fields.put("userIdChangedTo", e.newUserId());
      if (e.kind().contains("identity")) fields.put("identityChangedAt", e.at().toString());
      all = record(all, EntityIds.conversationId(tenant, CHANNEL, e.contactId()), e, fields);
      if (e.newPhone() != null) {
        all = record(all, EntityIds.conversationId(tenant, CHANNEL, e.newPhone()), e,
            Map.of("phoneChangedFrom", e.contactId()));
      }
    }
    return all;
  }

  private CompletableFuture<List<Outcome>> record(CompletableFuture<List<Outcome>> acc, String conversationId,
      ContactEvent e, Map<String, String> fields) {
    CompletionStage<Outcome> one = entities.conversation(conversationId, to -> new Conversation.ContactChanged(
        e.eventId(), e.kind(), e.text(), fields, e.at(), to));
    return acc.thenCombineAsync(one, (list, o) -> {
      list.add(o.ok() ? o : Outcome.refused(o.code(), e.eventId() + ": " + o.message()));
      return list;
    }, executor);
  }

  /** What WhatsApp tells of the contact, as contact fields the rules can read. */
  private static Map<String, String> contactFields(InboundMessage m) {
    Map<String, String> f = new LinkedHashMap<>();
    if (m.contactName() != null) f.put("name", m.contactName());
    if (m.contactPhone() != null) f.put("phone", m.contactPhone());
    if (m.contactUserId() != null) f.put("whatsappUserId", m.contactUserId());
    return f;
  }

  private Result result(List<Outcome> outcomes, int statuses, WebhookBatch batch) {
    int accepted = 0;
    int duplicates = 0;
    List<String> refused = new ArrayList<>();
    List<String> ignored = new ArrayList<>(batch.skipped().stream().map(s -> s.where() + ": " + s.reason()).toList());
    for (Outcome o : outcomes) {
      if (!o.ok() && Storable.REFUSAL_CODE.equals(o.code())) {
        // never storable, so never worth a redelivery: skipped (the parser repairs such text first)
        log.warn("WhatsApp message skipped: {}", o.message());
        metrics.messagesIgnored(CHANNEL, "unstorable", 1);
        ignored.add(o.code() + ": " + o.message());
      } else if (!o.ok()) refused.add(o.code() + ": " + o.message());
      else if (o.message().startsWith("duplicate")) duplicates++;
      else accepted++;
    }
    if (accepted > 0) for (int i = 0; i < accepted; i++) metrics.messageIn(CHANNEL, "whatsapp");
    return new Result(accepted, duplicates, statuses, batch.contactEvents().size(), refused, ignored);
  }

  private static ReadModelQueries.MessageStatus status(String tenant, StatusUpdate s) {
    return new ReadModelQueries.MessageStatus(tenant, CHANNEL, s.id(), s.status(), s.recipientId(), s.timestamp(),
        s.errors());
  }

}

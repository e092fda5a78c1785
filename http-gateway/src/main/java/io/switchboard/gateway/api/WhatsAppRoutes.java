package io.switchboard.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.EntityIds;
import io.switchboard.Outcome;
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
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

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
  private final int parallelism;
  private final Materializer materializer;

  /** @param parallelism conversations of one POST asked at the same time (reference.conf, whatsapp.parallelism) */
  public WhatsAppRoutes(ObjectMapper json, Errors errors, Validation valid, Auth auth, Entities entities,
      ReadModelQueries queries, Metrics metrics, int parallelism, Materializer materializer) {
    super(json, errors, valid);
    this.auth = auth;
    this.entities = entities;
    this.queries = queries;
    this.metrics = metrics;
    this.parallelism = parallelism;
    this.materializer = materializer;
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
    String appSecret = auth.secrets().appSecret(tenant, state.settings()); // stored sealed, opened here only
    if (appSecret == null || appSecret.isEmpty()) {
      return complete(errors.response(StatusCodes.FORBIDDEN, "forbidden",
          "tenant " + tenant + " has no WhatsApp app secret configured: its webhooks cannot be verified"));
    }
    if (!Hmac.verify(appSecret, body, signature)) {
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
    // the contact events after the messages, so that one POST never has more than parallelism asks in flight
    CompletionStage<List<Outcome>> stored = store(tenant, state, batch.messages())
        .thenCompose(messages -> contactEvents(tenant, batch.contactEvents()).thenApply(events -> {
          List<Outcome> all = new ArrayList<>(messages);
          events.stream().filter(o -> !o.ok()).forEach(all::add);
          return all;
        }));
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

  /**
   * Each contact's messages in payload order (one after the other), up to {@code parallelism}
   * conversations at once; the outcomes come conversation by conversation, in the order each
   * conversation first appears in the payload.
   */
  private CompletionStage<List<Outcome>> store(String tenant, TenantData state, List<InboundMessage> messages) {
    TenantSettings settings = state.settings();
    return inOrderPerKey(messages, m -> EntityIds.conversationId(tenant, CHANNEL, m.contactId()), parallelism, m -> {
      RoutingHint hint = RoutingHint.toTeam(settings.teamForWhatsApp(m.phoneNumberId()));
      return entities.conversationMessage(EntityIds.conversationId(tenant, CHANNEL, m.contactId()),
          to -> new Conversation.Inbound(m.messageId(), m.text() == null ? "[" + m.type() + "]" : m.text(), hint,
              m.sentAt(), state.rules(), contactFields(m), to))
          .thenApply(o -> o.ok() ? o : o.withMessage(m.messageId() + ": " + o.message()));
    }, materializer);
  }

  /**
   * {@code ask} of every item, those of one key one after the other in list order, at most
   * {@code parallelism} keys at once (a POST may carry 1,000 messages of as many contacts: all asked at
   * once they would queue in the journal behind each other and time out together, and the node's
   * in-flight limit counts requests, not asks). The results come key by key, each key's in list order, the keys
   * in the order of their first item. Fails as soon as one ask fails; the keys not started yet are not.
   */
  static <T, R> CompletionStage<List<R>> inOrderPerKey(List<T> items, Function<T, String> key, int parallelism,
      Function<T, CompletionStage<R>> ask, Materializer materializer) {
    Map<String, List<T>> byKey = new LinkedHashMap<>();
    for (T item : items) byKey.computeIfAbsent(key.apply(item), k -> new ArrayList<>()).add(item);
    // mapAsync keeps its input's order in its output: the results stay in the order of the keys
    return Source.from(byKey.values())
        .mapAsync(parallelism, group -> Source.from(group).mapAsync(1, ask::apply).runWith(Sink.seq(), materializer))
        .mapConcat(results -> results)
        .runWith(Sink.seq(), materializer);
  }

  /**
   * Each {@code system} message recorded with the conversation of the contact it is about; a new
   * number is recorded on both sides ({@code phoneChangedTo} on the old number's conversation,
   * {@code phoneChangedFrom} on the new one's, where the contact writes from now on), so an agent and
   * the rules see the contact's history. Refusals are returned like messages' (Meta redelivers).
   */
  private CompletionStage<List<Outcome>> contactEvents(String tenant, List<ContactEvent> events) {
    List<Recording> recordings = new ArrayList<>();
    for (ContactEvent e : events) {
      Map<String, String> fields = new LinkedHashMap<>();
      if (e.newPhone() != null) fields.put("phoneChangedTo", e.newPhone());
      if (e.newUserId() != null) fields.put("userIdChangedTo", e.newUserId());
      if (e.kind().contains("identity")) fields.put("identityChangedAt", e.at().toString());
      recordings.add(new Recording(EntityIds.conversationId(tenant, CHANNEL, e.contactId()), e, fields));
      if (e.newPhone() != null) {
        recordings.add(new Recording(EntityIds.conversationId(tenant, CHANNEL, e.newPhone()), e,
            Map.of("phoneChangedFrom", e.contactId())));
      }
    }
    // in the events' order, like before, when they were all asked at once
    return Source.from(recordings)
        .mapAsync(parallelism, r -> entities.conversation(r.conversationId(), to -> new Conversation.ContactChanged(
            r.event().eventId(), r.event().kind(), r.event().text(), r.fields(), r.event().at(), to))
            .thenApply(o -> o.ok() ? o : o.withMessage(r.event().eventId() + ": " + o.message())))
        .runWith(Sink.seq(), materializer);
  }

  /** One contact event to record with one conversation. */
  private record Recording(String conversationId, ContactEvent event, Map<String, String> fields) {}

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
      if (!o.ok() && o.is(Outcome.Code.INVALID_INPUT)) {
        // never storable, so never worth a redelivery: skipped (the parser repairs such text first)
        log.warn("WhatsApp message skipped: {}", o.message());
        metrics.messagesIgnored(CHANNEL, "unstorable", 1);
        ignored.add(o.code() + ": " + o.message());
      } else if (!o.ok()) refused.add(o.code() + ": " + o.message());
      else if (o.alreadyAccepted()) duplicates++;
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

package io.switchboard.gateway.whatsapp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.switchboard.Storable;
import io.switchboard.Text;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a WhatsApp Cloud API webhook notification (the raw POST body, after its
 * {@code X-Hub-Signature-256} was checked with {@link io.switchboard.gateway.Hmac#verify}) into a
 * {@link WebhookBatch}. Pure and thread-safe; it never throws on an odd shape inside a usable body.
 *
 * <h2>What becomes what</h2>
 * <ul>
 *   <li>Every {@code entry[].changes[]} with {@code field: "messages"} is read, in body order. Its
 *       {@code value.messages[]} become {@link InboundMessage}s and its {@code value.statuses[]}
 *       become {@link StatusUpdate}s, except {@code system} messages (a contact's new number or
 *       user id, a changed identity): WhatsApp speaking, not the contact, they become
 *       {@link ContactEvent}s ({@code system.*} keys in its fields). Every other {@code field} ({@code smb_message_echoes},
 *       {@code message_template_status_update}, ...), {@code value.message_echoes},
 *       {@code value.errors}, and messages sent from the business's own number are not customer
 *       input: listed in {@link WebhookBatch#skipped()}.
 *   <li>A message is skipped only when it cannot be identified or attributed: no valid {@code id},
 *       no sender, no valid timestamp, or a change without a valid
 *       {@code value.metadata.phone_number_id} (the tenant cannot be found). Its good neighbours are
 *       kept. A second message with an id already read in the same body is skipped as a duplicate.
 *   <li>Any other odd content (an array where a caption belongs, a missing {@code text} object, an
 *       unknown type) only loses that fact: the message is kept, and the paths that had the wrong
 *       shape are listed in {@code fields["malformed"]}. Unknown, {@code unsupported} and legacy
 *       {@code unknown} types keep their type, have a null text, and carry {@code errors.*}.
 * </ul>
 *
 * <h2>Who sent it</h2>
 * The sender is {@code from} (a phone / wa_id) and {@code from_user_id} (the business-scoped user
 * id, BSUID, of a user who may hide the phone). When a message carries neither but its change has
 * exactly one {@code contacts[]} entry, that contact's {@code wa_id} / {@code user_id} are used.
 * The contact's name comes from the {@code contacts[]} entry whose {@code wa_id} matches
 * {@code from}, else whose {@code user_id} matches {@code from_user_id}.
 *
 * <h2>Identifiers and timestamps</h2>
 * Ids ({@code id}, {@code from}, {@code from_user_id}, {@code phone_number_id}) must be JSON strings
 * of 1 to their limit visible ASCII characters; a number, an empty string or a space there makes the
 * part malformed. {@code timestamp} is a string of 1 to 12 decimal digits of Unix seconds; a JSON
 * integer with the same value is accepted too, anything else is malformed.
 *
 * <h2>Limits</h2>
 * Bodies over {@link #MAX_BODY_BYTES} or nested deeper than {@link #MAX_NESTING_DEPTH} are rejected
 * whole. Ids over their limit make their part malformed. A {@link InboundMessage#text()} longer than
 * {@link #MAX_TEXT_CHARS} is <em>cut</em> to that length (never inside a surrogate pair) and the
 * message is still routed, with {@code "text"} listed in {@code fields["truncated"]}: the text is a
 * routing hint and the opening line a conversation shows, and it must stay small enough for one
 * journal event and one cluster message; dropping a customer's message for being long would be
 * worse. Other values are cut to {@link #MAX_FIELD_CHARS} the same way, at most {@link #MAX_FIELDS}
 * keys are kept (the number left out is in {@code fields["dropped"]}). After
 * {@link #MAX_MESSAGES_PER_POST} messages or {@link #MAX_STATUSES_PER_POST} statuses the rest are
 * skipped with a reason; after {@link #MAX_SKIPPED_LISTED} skipped parts the rest are only counted.
 *
 * <h2>Text the journal cannot hold</h2>
 * A lone UTF-16 surrogate (U+D83D alone, valid as a JSON escape) or a NUL in the text or any other value
 * is replaced by U+FFFD and the key listed in {@code fields["repaired"]}: the message is kept and
 * routed like one cut for length (see {@link io.switchboard.Storable}). Ids and statuses are visible
 * ASCII or their part is skipped, as above.
 *
 * <h2>Keys of {@link InboundMessage#fields()}</h2>
 * {@code text.body} → text; {@code image|video|audio|document|sticker}: {@code media.id},
 * {@code media.mime_type}, {@code media.sha256}, {@code media.filename}, {@code media.voice},
 * {@code media.animated}, {@code media.url}, caption → text; {@code location.latitude},
 * {@code location.longitude}, {@code location.name}, {@code location.address}, {@code location.url},
 * "name, address" → text; {@code contacts.count}, {@code contacts[i].name}, {@code contacts[i].phone},
 * {@code contacts[i].wa_id} (first 5); {@code interactive.type}, and the reply's own keys as
 * {@code interactive.id}, {@code interactive.title}, {@code interactive.description},
 * {@code interactive.name}, {@code interactive.body}, {@code interactive.response_json}, title (else
 * body) → text; {@code button.payload}, {@code button.text} → text; {@code reaction.message_id},
 * {@code reaction.emoji} → text, {@code reaction.removed=true} when the emoji is gone;
 * {@code order.catalog_id}, {@code order.items} (count), {@code order.items[i].product_retailer_id},
 * {@code .quantity}, {@code .item_price}, {@code .currency} (first 10), order text → text;
 * for any other type, the scalar keys of the object
 * named after it as {@code <type>.<key>}. For every type: {@code context.id}, {@code context.from},
 * {@code context.forwarded}, {@code context.frequently_forwarded},
 * {@code context.referred_product.catalog_id}, {@code context.referred_product.product_retailer_id};
 * {@code referral.*} (source_url, source_id, source_type, headline, body, media_type, ctwa_clid,
 * ...); {@code errors.code}, {@code errors.title}, {@code errors.message}, {@code errors.details} of
 * the first error and {@code errors.count} when there are more; {@code group.id};
 * {@code contact.username}, {@code contact.parent_user_id}; and the bookkeeping keys
 * {@code truncated}, {@code malformed}, {@code repaired} (comma-separated keys) and {@code dropped}.
 */
public final class WhatsAppWebhook {
  private WhatsAppWebhook() {}

  /** Larger bodies are rejected whole; Meta's are at most a few MB, media never comes inline. */
  public static final int MAX_BODY_BYTES = 8 * 1024 * 1024;
  /** Real payloads nest about 10 deep; this stops pathological nesting before the tree is built. */
  public static final int MAX_NESTING_DEPTH = 64;
  /** Longest accepted message id ({@code wamid.} ids are about 60 characters). */
  public static final int MAX_MESSAGE_ID_CHARS = 256;
  /**
   * Longest accepted contact id ({@code from}, {@code from_user_id}, {@code recipient_id}). Not 128:
   * a BSUID is a country code, an optional {@code ENT}, and up to 128 alphanumerics
   * ({@code US.ENT.} + 128 = 135 characters).
   */
  public static final int MAX_CONTACT_ID_CHARS = 256;
  /** Longest accepted {@code value.metadata.phone_number_id} (Graph ids are about 16 digits). */
  public static final int MAX_PHONE_NUMBER_ID_CHARS = 128;
  /** Longest accepted message type or status; a longer one is treated as no type ({@code unknown}). */
  public static final int MAX_TYPE_CHARS = 64;
  /** {@link InboundMessage#text()} is cut to this many characters (and flagged), never dropped. */
  public static final int MAX_TEXT_CHARS = 4096;
  /** Each value of {@link InboundMessage#fields()}, the contact name and status errors are cut to this. */
  public static final int MAX_FIELD_CHARS = 1024;
  /** At most this many keys in {@link InboundMessage#fields()}, bookkeeping keys included. */
  public static final int MAX_FIELDS = 64;
  /** Messages after this many accepted ones in one POST are skipped with a reason. */
  public static final int MAX_MESSAGES_PER_POST = 1000;
  /** Statuses after this many accepted ones in one POST are skipped with a reason. */
  public static final int MAX_STATUSES_PER_POST = 1000;
  /** Skipped parts after this many are counted in one last {@link Skipped} entry instead of listed. */
  public static final int MAX_SKIPPED_LISTED = 1000;

  private static final String OBJECT = "whatsapp_business_account";
  private static final Pattern UNIX_SECONDS = Pattern.compile("[0-9]{1,12}");
  private static final int MAX_KEY_CHARS = 64;
  private static final int MAX_CONTACTS_LISTED = 5;
  private static final int MAX_ORDER_ITEMS_LISTED = 10;
  private static final int MAX_ERRORS_LISTED = 5;
  private static final int RESERVED_KEYS = 4; // truncated, malformed, repaired, dropped

  private static final ObjectMapper JSON = JsonMapper.builder(
          JsonFactory.builder()
              .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
              .build())
      // readTree would otherwise accept `{...}garbage`
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  /**
   * Reads the raw body of one webhook POST.
   *
   * @throws MalformedWebhookException when the whole body is unusable: null or empty, over
   *     {@link #MAX_BODY_BYTES}, not JSON, not a JSON object, {@code object} missing or not
   *     {@code whatsapp_business_account}, {@code entry} missing or not an array
   */
  public static WebhookBatch parse(byte[] rawBody) {
    JsonNode entries = entries(rawBody);
    Run run = new Run();
    for (int i = 0; i < entries.size(); i++) run.entry("entry[" + i + "]", entries.path(i));
    return run.batch();
  }

  private static JsonNode entries(byte[] rawBody) {
    if (rawBody == null || rawBody.length == 0) throw new MalformedWebhookException("empty body");
    if (rawBody.length > MAX_BODY_BYTES) {
      throw new MalformedWebhookException(
          "body of " + rawBody.length + " bytes is over the limit of " + MAX_BODY_BYTES + " bytes");
    }
    JsonNode root;
    try {
      root = JSON.readTree(rawBody);
    } catch (JsonProcessingException e) {
      throw new MalformedWebhookException("body is not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new MalformedWebhookException("body is not JSON: " + e.getMessage(), e);
    }
    if (root == null || root.isMissingNode()) throw new MalformedWebhookException("empty body");
    if (!root.isObject()) throw new MalformedWebhookException("body is " + kind(root) + ", not a JSON object");
    JsonNode object = root.path("object");
    if (!object.isTextual() || !OBJECT.equals(object.textValue())) {
      throw new MalformedWebhookException(absent(object)
          ? "object missing, expected " + OBJECT
          : "object is " + describe(object) + ", not " + OBJECT);
    }
    JsonNode entries = root.path("entry");
    if (!entries.isArray()) throw new MalformedWebhookException(shape("entry", entries, "an array"));
    return entries;
  }

  /** The accumulators of one {@link #parse} call. */
  private static final class Run {
    private final List<InboundMessage> messages = new ArrayList<>();
    private final List<StatusUpdate> statuses = new ArrayList<>();
    private final List<Skipped> skipped = new ArrayList<>();
    private final List<ContactEvent> contactEvents = new ArrayList<>();
    /** Message id → where it was first read, for duplicates inside this body. */
    private final Map<String, String> seen = new HashMap<>();
    private int unlisted;

    WebhookBatch batch() {
      if (unlisted > 0) skipped.add(new Skipped("body", unlisted + " more skipped parts, not listed"));
      return new WebhookBatch(messages, statuses, contactEvents, skipped);
    }

    void skip(String where, String reason) {
      if (skipped.size() < MAX_SKIPPED_LISTED) skipped.add(new Skipped(where, printable(reason)));
      else unlisted++;
    }

    void entry(String where, JsonNode entry) {
      if (!entry.isObject()) {
        skip(where, shape("entry", entry, "an object"));
        return;
      }
      JsonNode changes = entry.path("changes");
      if (!changes.isArray()) {
        skip(where, shape("changes", changes, "an array"));
        return;
      }
      for (int j = 0; j < changes.size(); j++) change(where + ".changes[" + j + "]", changes.path(j));
    }

    void change(String where, JsonNode change) {
      if (!change.isObject()) {
        skip(where, shape("change", change, "an object"));
        return;
      }
      JsonNode field = change.path("field");
      if (!field.isTextual()) {
        skip(where, shape("field", field, "a string"));
        return;
      }
      if (!"messages".equals(field.textValue())) {
        skip(where, "field " + describe(field) + " is not customer input");
        return;
      }
      JsonNode value = change.path("value");
      if (!value.isObject()) {
        skip(where, shape("value", value, "an object"));
        return;
      }
      JsonNode metadata = value.path("metadata");
      JsonNode phoneNumberId = metadata.path("phone_number_id");
      String problem = idProblem("value.metadata.phone_number_id", phoneNumberId, MAX_PHONE_NUMBER_ID_CHARS);
      if (problem != null) {
        skip(where, problem + ": the receiving business number is unknown");
        return;
      }
      Change c = new Change(phoneNumberId.textValue(), digits(metadata.path("display_phone_number")),
          value.path("contacts"));

      boolean anything = false;
      JsonNode list = value.path("messages");
      if (!absent(list)) {
        anything = true;
        if (!list.isArray()) skip(where + ".value.messages", shape("messages", list, "an array"));
        else for (int k = 0; k < list.size(); k++) message(c, where + ".value.messages[" + k + "]", list.path(k));
      }
      list = value.path("statuses");
      if (!absent(list)) {
        anything = true;
        if (!list.isArray()) skip(where + ".value.statuses", shape("statuses", list, "an array"));
        else for (int k = 0; k < list.size(); k++) status(c, where + ".value.statuses[" + k + "]", list.path(k));
      }
      if (!absent(value.path("message_echoes"))) {
        anything = true;
        skip(where + ".value.message_echoes", "echoes of messages the business sent are not customer input");
      }
      JsonNode errors = value.path("errors");
      if (!absent(errors)) {
        anything = true;
        String line = errorLine(errors);
        skip(where + ".value.errors", "error notification, not customer input" + (line == null ? "" : ": " + line));
      }
      if (!anything) skip(where, "no messages or statuses");
    }

    void message(Change c, String where, JsonNode m) {
      if (messages.size() >= MAX_MESSAGES_PER_POST) {
        skip(where, "over the limit of " + MAX_MESSAGES_PER_POST + " messages per POST");
        return;
      }
      if (!m.isObject()) {
        skip(where, shape("message", m, "an object"));
        return;
      }
      JsonNode idNode = m.path("id");
      String problem = idProblem("id", idNode, MAX_MESSAGE_ID_CHARS);
      if (problem != null) {
        skip(where, problem);
        return;
      }
      String id = idNode.textValue();

      String phone = null;
      String userId = null;
      JsonNode from = m.path("from");
      if (!absent(from)) {
        problem = idProblem("from", from, MAX_CONTACT_ID_CHARS);
        if (problem != null) {
          skip(where, problem);
          return;
        }
        phone = from.textValue();
      }
      JsonNode fromUserId = m.path("from_user_id");
      if (!absent(fromUserId)) {
        problem = idProblem("from_user_id", fromUserId, MAX_CONTACT_ID_CHARS);
        if (problem != null) {
          skip(where, problem);
          return;
        }
        userId = fromUserId.textValue();
      }
      JsonNode contact = c.match(phone, userId);
      if (phone == null && userId == null) {
        // a sender-less message in a change about exactly one contact is that contact's
        contact = c.single;
        if (contact != null) {
          phone = validId(contact.path("wa_id"), MAX_CONTACT_ID_CHARS);
          userId = validId(contact.path("user_id"), MAX_CONTACT_ID_CHARS);
        }
        if (phone == null && userId == null) {
          skip(where, "from and from_user_id missing: the sender is unknown");
          return;
        }
      }
      if (userId == null && contact != null) userId = validId(contact.path("user_id"), MAX_CONTACT_ID_CHARS);

      JsonNode timestamp = m.path("timestamp");
      Instant sentAt = seconds(timestamp);
      if (sentAt == null) {
        skip(where, timestampProblem(timestamp));
        return;
      }
      if (phone != null && !c.businessDigits.isEmpty() && c.businessDigits.equals(digits(phone))) {
        skip(where, "sent from the business's own number (an echo), not customer input");
        return;
      }
      String first = seen.putIfAbsent(id, where);
      if (first != null) {
        skip(where, "duplicate of message id " + describe(idNode) + " already read at " + first);
        return;
      }

      Facts f = new Facts();
      String type = type(m.path("type"), f);
      if (type.equals("system")) {
        contactEvents.add(system(c.phoneNumberId, phone != null ? phone : userId, id, sentAt, m, f));
        return;
      }
      String text = content(type, m, f);
      context(m, f);
      // unsupported messages have carried their errors inside the type's object too
      errors(m.path(type).path("errors"), f);
      f.copy("group.id", m.path("group_id"));
      String name = null;
      if (contact != null) {
        name = f.clip("contact.name", f.read("contact.name", contact.path("profile").path("name")), MAX_FIELD_CHARS);
        f.copy("contact.username", contact.path("profile").path("username"));
      }
      String parent = f.read("contact.parent_user_id", m.path("from_parent_user_id"));
      if (parent == null && contact != null) parent = f.read("contact.parent_user_id", contact.path("parent_user_id"));
      f.put("contact.parent_user_id", parent);
      text = f.clip("text", text, MAX_TEXT_CHARS);

      messages.add(new InboundMessage(c.phoneNumberId, phone != null ? phone : userId, phone, userId, name, id,
          sentAt, type, text, f.build()));
    }

    void status(Change c, String where, JsonNode s) {
      if (statuses.size() >= MAX_STATUSES_PER_POST) {
        skip(where, "over the limit of " + MAX_STATUSES_PER_POST + " statuses per POST");
        return;
      }
      if (!s.isObject()) {
        skip(where, shape("status", s, "an object"));
        return;
      }
      JsonNode id = s.path("id");
      String problem = idProblem("id", id, MAX_MESSAGE_ID_CHARS);
      if (problem != null) {
        skip(where, problem);
        return;
      }
      JsonNode status = s.path("status");
      if (!status.isTextual() || status.textValue().isEmpty() || status.textValue().length() > MAX_TYPE_CHARS
          || !visibleAscii(status.textValue())) {
        skip(where, status.isTextual()
            ? "status " + describe(status) + " is empty, longer than " + MAX_TYPE_CHARS
                + " characters or has characters other than visible ASCII"
            : shape("status", status, "a string"));
        return;
      }
      JsonNode timestamp = s.path("timestamp");
      Instant at = seconds(timestamp);
      if (at == null) {
        skip(where, timestampProblem(timestamp));
        return;
      }
      String recipient = validId(s.path("recipient_id"), MAX_CONTACT_ID_CHARS);
      if (recipient == null) recipient = validId(s.path("recipient_user_id"), MAX_CONTACT_ID_CHARS);
      statuses.add(new StatusUpdate(c.phoneNumberId, id.textValue(), status.textValue(), recipient, at,
          errorLine(s.path("errors"))));
    }
  }

  /** What one {@code field: messages} change says about its business number and its contacts. */
  private static final class Change {
    final String phoneNumberId;
    /** The digits of {@code display_phone_number}, to recognise the business's own messages. */
    final String businessDigits;
    final JsonNode single;
    private final Map<String, JsonNode> byWaId = new HashMap<>();
    private final Map<String, JsonNode> byUserId = new HashMap<>();

    Change(String phoneNumberId, String businessDigits, JsonNode contacts) {
      this.phoneNumberId = phoneNumberId;
      this.businessDigits = businessDigits;
      for (JsonNode contact : contacts.isArray() ? contacts : MissingNode.getInstance()) {
        if (!contact.isObject()) continue;
        if (contact.path("wa_id").isTextual()) byWaId.putIfAbsent(contact.path("wa_id").textValue(), contact);
        if (contact.path("user_id").isTextual()) byUserId.putIfAbsent(contact.path("user_id").textValue(), contact);
      }
      single = contacts.isArray() && contacts.size() == 1 && contacts.path(0).isObject() ? contacts.path(0) : null;
    }

    JsonNode match(String phone, String userId) {
      JsonNode contact = phone == null ? null : byWaId.get(phone);
      return contact == null && userId != null ? byUserId.get(userId) : contact;
    }
  }

  private static String type(JsonNode node, Facts f) {
    String type = node.isTextual() ? node.textValue() : null;
    if (type != null && !type.isEmpty() && type.length() <= MAX_TYPE_CHARS && visibleAscii(type)) return type;
    f.malformed("type");
    return "unknown";
  }

  /** Fills the type's facts and answers the text for routing. */
  private static String content(String type, JsonNode m, Facts f) {
    switch (type) {
      case "text":
        return f.read("text.body", object(m, "text", f).path("body"));
      case "image":
      case "video":
      case "audio":
      case "document":
      case "sticker": {
        JsonNode media = object(m, type, f);
        for (String key : List.of("id", "mime_type", "sha256", "filename", "voice", "animated", "url")) {
          f.copy("media." + key, media.path(key));
        }
        return f.read(type + ".caption", media.path("caption"));
      }
      case "location": {
        JsonNode location = object(m, "location", f);
        for (String key : List.of("latitude", "longitude", "name", "address", "url")) {
          f.copy("location." + key, location.path(key));
        }
        String name = f.read("location.name", location.path("name"));
        String address = f.read("location.address", location.path("address"));
        return name == null ? address : address == null ? name : name + ", " + address;
      }
      case "contacts":
        contacts(m.path("contacts"), f);
        return null;
      case "interactive":
        return interactive(object(m, "interactive", f), f);
      case "button": {
        JsonNode button = object(m, "button", f);
        f.copy("button.payload", button.path("payload"));
        f.copy("button.text", button.path("text"));
        return f.read("button.text", button.path("text"));
      }
      case "reaction": {
        JsonNode reaction = object(m, "reaction", f);
        f.copy("reaction.message_id", reaction.path("message_id"));
        String emoji = f.read("reaction.emoji", reaction.path("emoji"));
        f.put("reaction.emoji", emoji);
        if (emoji == null) f.put("reaction.removed", "true");
        return emoji;
      }
      case "order":
        return order(object(m, "order", f), f);
      case "request_welcome":
        return null;
      default: {
        // unsupported, unknown and types newer than this code: keep what they say, route without text
        JsonNode own = m.path(type);
        if (own.isObject()) f.flatten(type, own, "errors");
        return null;
      }
    }
  }

  /**
   * A {@code system} message: WhatsApp telling the business about the contact (a new number or user
   * id, a changed identity), not the contact writing. The new ids are read from either spelling Meta
   * has used ({@code wa_id} / {@code new_wa_id}, {@code user_id} / {@code new_user_id}).
   */
  private static ContactEvent system(String phoneNumberId, String contactId, String id, Instant at, JsonNode m,
      Facts f) {
    JsonNode system = object(m, "system", f);
    f.flatten("system", system, "body");
    String kind = validId(system.path("type"), MAX_TYPE_CHARS);
    String text = f.clip("text", f.read("system.body", system.path("body")), MAX_TEXT_CHARS);
    String newPhone = validId(system.path("wa_id"), MAX_CONTACT_ID_CHARS);
    if (newPhone == null) newPhone = validId(system.path("new_wa_id"), MAX_CONTACT_ID_CHARS);
    String newUserId = validId(system.path("new_user_id"), MAX_CONTACT_ID_CHARS);
    if (newUserId == null && kind != null && kind.contains("user_id")) {
      newUserId = validId(system.path("user_id"), MAX_CONTACT_ID_CHARS);
    }
    return new ContactEvent(phoneNumberId, contactId, id, at, kind == null ? "unknown" : kind, text,
        newPhone == null || newPhone.equals(contactId) ? null : newPhone, newUserId, f.build());
  }

  private static String interactive(JsonNode interactive, Facts f) {
    String kind = f.read("interactive.type", interactive.path("type"));
    if (kind == null) {
      kind = interactive.has("button_reply") ? "button_reply" : interactive.has("list_reply") ? "list_reply" : null;
    }
    f.put("interactive.type", kind);
    if (kind == null) return null;
    JsonNode reply = interactive.path(kind);
    if (!reply.isObject()) {
      f.malformed("interactive." + kind);
      return null;
    }
    f.flatten("interactive", reply, "type");
    String title = f.read("interactive.title", reply.path("title"));
    return title != null ? title : f.read("interactive.body", reply.path("body"));
  }

  private static void contacts(JsonNode contacts, Facts f) {
    if (!contacts.isArray()) {
      f.malformed("contacts");
      return;
    }
    f.put("contacts.count", Integer.toString(contacts.size()));
    for (int i = 0; i < Math.min(contacts.size(), MAX_CONTACTS_LISTED); i++) {
      JsonNode card = contacts.path(i);
      JsonNode phone = card.path("phones").path(0);
      f.copy("contacts[" + i + "].name", card.path("name").path("formatted_name"));
      f.copy("contacts[" + i + "].phone", phone.path("phone"));
      f.copy("contacts[" + i + "].wa_id", phone.path("wa_id"));
    }
  }

  private static String order(JsonNode order, Facts f) {
    f.copy("order.catalog_id", order.path("catalog_id"));
    JsonNode items = order.path("product_items");
    if (items.isArray()) {
      f.put("order.items", Integer.toString(items.size()));
      for (int i = 0; i < Math.min(items.size(), MAX_ORDER_ITEMS_LISTED); i++) {
        for (String key : List.of("product_retailer_id", "quantity", "item_price", "currency")) {
          f.copy("order.items[" + i + "]." + key, items.path(i).path(key));
        }
      }
    } else if (!absent(items)) {
      f.malformed("order.product_items");
    }
    return f.read("order.text", order.path("text"));
  }

  /** The facts every type may carry: what it replies to, the ad that started it, its errors. */
  private static void context(JsonNode m, Facts f) {
    JsonNode context = m.path("context");
    if (context.isObject()) {
      for (String key : List.of("id", "from", "forwarded", "frequently_forwarded")) {
        f.copy("context." + key, context.path(key));
      }
      JsonNode product = context.path("referred_product");
      f.copy("context.referred_product.catalog_id", product.path("catalog_id"));
      f.copy("context.referred_product.product_retailer_id", product.path("product_retailer_id"));
    } else if (!absent(context)) {
      f.malformed("context");
    }
    JsonNode referral = m.path("referral");
    if (referral.isObject()) f.flatten("referral", referral);
    else if (!absent(referral)) f.malformed("referral");
    JsonNode errors = m.path("errors");
    if (!absent(errors) && !errors.isArray()) f.malformed("errors");
    errors(errors, f);
  }

  private static void errors(JsonNode errors, Facts f) {
    if (!errors.isArray() || errors.isEmpty() || f.has("errors.code") || f.has("errors.title")) return;
    JsonNode first = errors.path(0);
    f.copy("errors.code", first.path("code"));
    f.copy("errors.title", first.path("title"));
    f.copy("errors.message", first.path("message"));
    JsonNode details = first.path("error_data").path("details");
    // legacy `unknown` messages put details on the error itself
    f.copy("errors.details", absent(details) ? first.path("details") : details);
    if (errors.size() > 1) f.put("errors.count", Integer.toString(errors.size()));
  }

  /** {@code errors[]} as one line: {@code code title: message (details)}, joined by {@code ; }. */
  private static String errorLine(JsonNode errors) {
    if (!errors.isArray()) return null;
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < Math.min(errors.size(), MAX_ERRORS_LISTED); i++) {
      JsonNode error = errors.path(i);
      String code = scalar(error.path("code"));
      String title = scalar(error.path("title"));
      String message = scalar(error.path("message"));
      String details = scalar(error.path("error_data").path("details"));
      if (details == null) details = scalar(error.path("details"));
      StringBuilder line = new StringBuilder();
      if (code != null) line.append(code);
      if (title != null) line.append(line.length() > 0 ? " " : "").append(title);
      if (message != null && !message.equals(title)) line.append(line.length() > 0 ? ": " : "").append(message);
      if (details != null && !details.equals(message)) line.append(line.length() > 0 ? " (" + details + ")" : details);
      if (line.length() > 0) lines.add(line.toString());
    }
    if (errors.size() > MAX_ERRORS_LISTED) lines.add((errors.size() - MAX_ERRORS_LISTED) + " more");
    return lines.isEmpty() ? null : Text.cut(printable(String.join("; ", lines)), MAX_FIELD_CHARS);
  }

  /** The object named {@code name} in {@code m}; a missing node (noted as malformed) otherwise. */
  private static JsonNode object(JsonNode m, String name, Facts f) {
    JsonNode node = m.path(name);
    if (node.isObject()) return node;
    f.malformed(name);
    return MissingNode.getInstance();
  }

  /**
   * The facts of one message, bounded: values cut to {@link #MAX_FIELD_CHARS}, at most
   * {@link #MAX_FIELDS} keys, and a note of what was cut, dropped or had the wrong shape.
   */
  private static final class Facts {
    private final Map<String, String> map = new LinkedHashMap<>();
    private final Set<String> truncated = new LinkedHashSet<>();
    private final Set<String> malformed = new LinkedHashSet<>();
    private final Set<String> repaired = new LinkedHashSet<>();
    private int dropped;

    /** The scalar at {@code node} as text, null when absent; a container there is malformed. */
    String read(String key, JsonNode node) {
      if (node.isContainerNode()) {
        malformed(key);
        return null;
      }
      return scalar(node);
    }

    void copy(String key, JsonNode node) {
      put(key, read(key, node));
    }

    void put(String key, String value) {
      if (value == null) return;
      if (!map.containsKey(key) && map.size() >= MAX_FIELDS - RESERVED_KEYS) {
        dropped++;
        return;
      }
      map.put(key, clip(key, value, MAX_FIELD_CHARS));
    }

    boolean has(String key) {
      return map.containsKey(key);
    }

    /** The scalar members of {@code object} as {@code prefix.name}; nested objects are left out. */
    void flatten(String prefix, JsonNode object, String... except) {
      for (Map.Entry<String, JsonNode> member : object.properties()) {
        String name = member.getKey();
        if (name.isEmpty() || name.length() > MAX_KEY_CHARS || List.of(except).contains(name)) continue;
        if (!member.getValue().isContainerNode()) put(prefix + "." + printable(name), scalar(member.getValue()));
      }
    }

    /** {@code value} cut to {@code max} chars, and repaired when the journal could not hold it. */
    String clip(String key, String value, int max) {
      if (value == null) return null;
      if (value.length() > max) {
        truncated.add(key);
        value = Text.cut(value, max);
      }
      String repairedValue = Storable.repair(value);
      if (!repairedValue.equals(value)) repaired.add(key);
      return repairedValue;
    }

    void malformed(String key) {
      malformed.add(key);
    }

    Map<String, String> build() {
      if (!truncated.isEmpty()) map.put("truncated", Text.cut(String.join(",", truncated), MAX_FIELD_CHARS));
      if (!malformed.isEmpty()) map.put("malformed", Text.cut(String.join(",", malformed), MAX_FIELD_CHARS));
      if (!repaired.isEmpty()) map.put("repaired", Text.cut(String.join(",", repaired), MAX_FIELD_CHARS));
      if (dropped > 0) map.put("dropped", Integer.toString(dropped));
      return map;
    }
  }

  /** A JSON scalar as text: strings as they are, numbers in plain digits; null for anything else or "". */
  private static String scalar(JsonNode node) {
    if (node.isTextual()) return node.textValue().isEmpty() ? null : node.textValue();
    if (node.isIntegralNumber()) return node.bigIntegerValue().toString();
    if (node.isBigDecimal()) return node.decimalValue().toString();
    if (node.isFloat()) return Float.isFinite(node.floatValue()) ? Float.toString(node.floatValue()) : null;
    if (node.isNumber()) return Double.isFinite(node.doubleValue()) ? Double.toString(node.doubleValue()) : null;
    if (node.isBoolean()) return Boolean.toString(node.booleanValue());
    return null;
  }

  /** Why {@code node} is not a usable id of at most {@code max} chars, or null when it is. */
  private static String idProblem(String name, JsonNode node, int max) {
    if (!node.isTextual()) return shape(name, node, "a string");
    String id = node.textValue();
    if (id.isEmpty()) return name + " is empty";
    if (id.length() > max) return name + " is longer than " + max + " characters";
    if (!visibleAscii(id)) return name + " " + describe(node) + " has characters other than visible ASCII";
    return null;
  }

  private static String validId(JsonNode node, int max) {
    return idProblem("id", node, max) == null ? node.textValue() : null;
  }

  /** The instant of a string of Unix seconds (or the same value as a JSON integer); null otherwise. */
  private static Instant seconds(JsonNode node) {
    String digits = node.isTextual() ? node.textValue()
        : node.isIntegralNumber() && node.canConvertToLong() ? Long.toString(node.longValue())
        : null;
    if (digits == null || !UNIX_SECONDS.matcher(digits).matches()) return null;
    return Instant.ofEpochSecond(Long.parseLong(digits));
  }

  private static String timestampProblem(JsonNode timestamp) {
    return timestamp.isTextual()
        ? "timestamp " + describe(timestamp) + " is not Unix seconds"
        : shape("timestamp", timestamp, "a string of Unix seconds");
  }

  private static boolean absent(JsonNode node) {
    return node.isMissingNode() || node.isNull();
  }

  /** {@code "entry missing"}, {@code "entry is an object, not an array"}. */
  private static String shape(String name, JsonNode node, String expected) {
    return node.isMissingNode() ? name + " missing" : name + " is " + kind(node) + ", not " + expected;
  }

  private static String kind(JsonNode node) {
    switch (node.getNodeType()) {
      case ARRAY: return "an array";
      case OBJECT: return "an object";
      case STRING: return "a string";
      case NUMBER: return "a number";
      case BOOLEAN: return "a boolean";
      case NULL: return "null";
      case MISSING: return "missing";
      default: return "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A value quoted for a reason: strings cut to 64 chars, anything else by its kind. */
  private static String describe(JsonNode node) {
    return node.isTextual() ? "'" + printable(Text.cut(node.textValue(), MAX_KEY_CHARS)) + "'" : kind(node);
  }

  private static String digits(JsonNode node) {
    return node.isTextual() ? digits(node.textValue()) : "";
  }

  private static String digits(String s) {
    StringBuilder digits = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') digits.append(c);
    }
    return digits.toString();
  }

  private static boolean visibleAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x21 || c > 0x7e) return false;
    }
    return true;
  }

  /** Control characters replaced, so a reason is one safe log line, and lone surrogates, so it can be stored. */
  private static String printable(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out.append(Character.isISOControl(c) ? ' ' : c);
    }
    return Storable.repair(out.toString());
  }
}

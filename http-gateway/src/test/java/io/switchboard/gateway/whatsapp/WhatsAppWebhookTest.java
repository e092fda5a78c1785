package io.switchboard.gateway.whatsapp;

import static io.switchboard.gateway.whatsapp.Payloads.BUSINESS_PHONE;
import static io.switchboard.gateway.whatsapp.Payloads.CUSTOMER;
import static io.switchboard.gateway.whatsapp.Payloads.CUSTOMER_NAME;
import static io.switchboard.gateway.whatsapp.Payloads.PHONE_NUMBER_ID;
import static io.switchboard.gateway.whatsapp.Payloads.SENT;
import static io.switchboard.gateway.whatsapp.Payloads.arr;
import static io.switchboard.gateway.whatsapp.Payloads.body;
import static io.switchboard.gateway.whatsapp.Payloads.change;
import static io.switchboard.gateway.whatsapp.Payloads.contact;
import static io.switchboard.gateway.whatsapp.Payloads.entry;
import static io.switchboard.gateway.whatsapp.Payloads.inbound;
import static io.switchboard.gateway.whatsapp.Payloads.message;
import static io.switchboard.gateway.whatsapp.Payloads.obj;
import static io.switchboard.gateway.whatsapp.Payloads.only;
import static io.switchboard.gateway.whatsapp.Payloads.parse;
import static io.switchboard.gateway.whatsapp.Payloads.text;
import static io.switchboard.gateway.whatsapp.Payloads.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Envelopes, batching, what is skipped and why, and the limits of {@link WhatsAppWebhook}. */
class WhatsAppWebhookTest {

  private static final String FIRST_MESSAGE = "entry[0].changes[0].value.messages[0]";

  private static List<String> ids(WebhookBatch batch) {
    return batch.messages().stream().map(InboundMessage::messageId).toList();
  }

  private static ObjectNode messagesValue(String phoneNumberId, ObjectNode... messages) {
    ObjectNode value = value(phoneNumberId);
    value.set("messages", arr((Object[]) messages));
    return value;
  }

  // ---- several of everything ----

  @Test
  void everyMessageOfEveryChangeOfEveryEntryInBodyOrder() {
    ObjectNode secondNumber = messagesValue("222", text("wamid.C", "c"));
    ObjectNode withStatus = messagesValue("333", text("wamid.D", "d"));
    withStatus.set("statuses", arr(obj("id", "wamid.OUT", "status", "read", "timestamp", "1700000001",
        "recipient_id", CUSTOMER)));

    WebhookBatch batch = parse(body(
        entry(change("messages", messagesValue("111", text("wamid.A", "a"), text("wamid.B", "b"))),
            change("messages", secondNumber)),
        entry(change("messages", withStatus))));

    assertEquals(List.of(), batch.skipped());
    assertEquals(List.of("wamid.A", "wamid.B", "wamid.C", "wamid.D"), ids(batch));
    assertEquals(List.of("111", "111", "222", "333"),
        batch.messages().stream().map(InboundMessage::phoneNumberId).toList());
    assertEquals(List.of(new StatusUpdate("333", "wamid.OUT", "read", CUSTOMER, Instant.ofEpochSecond(1700000001L),
        null)), batch.statuses());
  }

  @Test
  void contactsAreMatchedToTheirOwnMessages() {
    ObjectNode value = value(PHONE_NUMBER_ID);
    value.set("contacts", arr(contact("111", "Ann"), contact("222", "Bob")));
    ObjectNode fromBob = text("wamid.2", "from bob");
    fromBob.put("from", "222");
    ObjectNode fromAnn = text("wamid.1", "from ann");
    fromAnn.put("from", "111");
    ObjectNode fromStranger = text("wamid.3", "who?");
    fromStranger.put("from", "333");
    value.set("messages", arr(fromBob, fromAnn, fromStranger));

    WebhookBatch batch = parse(body(entry(change("messages", value))));

    assertEquals(Arrays.asList("Bob", "Ann", null),
        batch.messages().stream().map(InboundMessage::contactName).toList());
  }

  @Test
  void statusesOnlyAreRecordedWithTheirErrors() {
    ObjectNode value = value(PHONE_NUMBER_ID);
    value.set("statuses", arr(
        obj("id", "wamid.OUT1", "status", "failed", "timestamp", "1700000000", "recipient_id", CUSTOMER,
            "errors", arr(obj("code", 131047, "title", "Re-engagement message",
                "message", "Re-engagement message",
                "error_data", obj("details", "Message failed to send because more than 24 hours have passed")))),
        obj("id", "wamid.OUT2", "status", "delivered", "timestamp", "1700000002",
            "recipient_user_id", "US.13491208655302741918")));

    WebhookBatch batch = parse(body(entry(change("messages", value))));

    assertEquals(List.of(), batch.messages());
    assertEquals(List.of(), batch.skipped());
    assertEquals(List.of(
        new StatusUpdate(PHONE_NUMBER_ID, "wamid.OUT1", "failed", CUSTOMER, Instant.ofEpochSecond(1700000000L),
            "131047 Re-engagement message (Message failed to send because more than 24 hours have passed)"),
        new StatusUpdate(PHONE_NUMBER_ID, "wamid.OUT2", "delivered", "US.13491208655302741918",
            Instant.ofEpochSecond(1700000002L), null)),
        batch.statuses());
  }

  @Test
  void malformedStatusesAreSkippedAndTheRestKept() {
    ObjectNode value = value(PHONE_NUMBER_ID);
    value.set("statuses", arr(
        obj("status", "sent", "timestamp", "1700000000"),
        obj("id", "wamid.OUT", "timestamp", "1700000000"),
        obj("id", "wamid.OUT", "status", "sent", "timestamp", "yesterday"),
        "delivered",
        obj("id", "wamid.OUT", "status", "sent", "timestamp", "1700000000")));

    WebhookBatch batch = parse(body(entry(change("messages", value))));

    assertEquals(1, batch.statuses().size());
    assertEquals(List.of(
        new Skipped("entry[0].changes[0].value.statuses[0]", "id missing"),
        new Skipped("entry[0].changes[0].value.statuses[1]", "status missing"),
        new Skipped("entry[0].changes[0].value.statuses[2]", "timestamp 'yesterday' is not Unix seconds"),
        new Skipped("entry[0].changes[0].value.statuses[3]", "status is a string, not an object")),
        batch.skipped());
  }

  // ---- not customer input ----

  @Test
  void otherFieldsAreSkippedAndTheMessagesBesideThemKept() {
    ObjectNode echoes = value(PHONE_NUMBER_ID);
    echoes.set("message_echoes", arr(obj("from", BUSINESS_PHONE, "to", CUSTOMER, "id", "wamid.ECHO",
        "timestamp", "1700000000", "type", "text", "text", obj("body", "sent from the phone app"))));

    WebhookBatch batch = parse(body(entry(
        change("smb_message_echoes", echoes),
        change("messages", messagesValue(PHONE_NUMBER_ID, text("wamid.IN", "hello"))),
        change("message_template_status_update", obj("event", "APPROVED", "message_template_id", 1234)))));

    assertEquals(List.of("wamid.IN"), ids(batch));
    assertEquals(List.of(
        new Skipped("entry[0].changes[0]", "field 'smb_message_echoes' is not customer input"),
        new Skipped("entry[0].changes[2]", "field 'message_template_status_update' is not customer input")),
        batch.skipped());
  }

  @Test
  void echoesAndErrorsInsideAMessagesChangeAreNotCustomerInput() {
    ObjectNode value = messagesValue(PHONE_NUMBER_ID, text("wamid.IN", "hello"));
    value.set("message_echoes", arr(obj("id", "wamid.ECHO")));
    value.set("errors", arr(obj("code", 131000, "title", "Something went wrong")));

    WebhookBatch batch = parse(body(entry(change("messages", value))));

    assertEquals(List.of("wamid.IN"), ids(batch));
    assertEquals(List.of(
        new Skipped("entry[0].changes[0].value.message_echoes",
            "echoes of messages the business sent are not customer input"),
        new Skipped("entry[0].changes[0].value.errors",
            "error notification, not customer input: 131000 Something went wrong")),
        batch.skipped());
  }

  @Test
  void aMessageFromTheBusinessOwnNumberIsAnEcho() {
    ObjectNode echo = text("wamid.MINE", "we sent this");
    echo.put("from", "+" + BUSINESS_PHONE);

    WebhookBatch batch = parse(inbound(echo, text("wamid.THEIRS", "hi")));

    assertEquals(List.of("wamid.THEIRS"), ids(batch));
    assertEquals(List.of(new Skipped(FIRST_MESSAGE, "sent from the business's own number (an echo), not customer input")),
        batch.skipped());
  }

  // ---- who sent it ----

  @Test
  void aUserWithoutAPhoneIsKnownByTheBusinessScopedUserId() {
    ObjectNode value = value(PHONE_NUMBER_ID);
    value.set("contacts", arr(obj("profile", obj("name", "Hidden Number", "username", "@hidden"),
        "user_id", "BR.1502576394655843")));
    ObjectNode m = text("wamid.BSUID", "oi");
    m.remove("from");
    m.put("from_user_id", "BR.1502576394655843");
    value.set("messages", arr(m));

    WebhookBatch batch = parse(body(entry(change("messages", value))));

    assertEquals(List.of(new InboundMessage(PHONE_NUMBER_ID, "BR.1502576394655843", null, "BR.1502576394655843",
        "Hidden Number", "wamid.BSUID", Instant.ofEpochSecond(SENT), "text", "oi",
        Map.of("contact.username", "@hidden"))), batch.messages());
  }

  @Test
  void aSenderlessMessageBelongsToTheOnlyContactOfItsChange() {
    ObjectNode value = value(PHONE_NUMBER_ID);
    value.set("contacts", arr(obj("profile", obj("name", "Only One"), "user_id", "US.ENT.11815799212886844830")));
    ObjectNode m = text("wamid.NOFROM", "hello");
    m.remove("from");
    value.set("messages", arr(m));

    InboundMessage only = parse(body(entry(change("messages", value)))).messages().get(0);

    assertEquals("US.ENT.11815799212886844830", only.contactId());
    assertNull(only.contactPhone());
    assertEquals("Only One", only.contactName());
  }

  @Test
  void aSenderlessMessageAmongSeveralContactsIsSkipped() {
    ObjectNode value = value(PHONE_NUMBER_ID);
    value.set("contacts", arr(contact("111", "Ann"), contact("222", "Bob")));
    ObjectNode m = text("wamid.NOFROM", "hello");
    m.remove("from");
    value.set("messages", arr(m, text("wamid.OK", "fine")));

    WebhookBatch batch = parse(body(entry(change("messages", value))));

    assertEquals(List.of("wamid.OK"), ids(batch));
    assertEquals(List.of(new Skipped(FIRST_MESSAGE, "from and from_user_id missing: the sender is unknown")),
        batch.skipped());
  }

  @Test
  void aContactIdOfAFullLengthBusinessScopedUserIdIsAccepted() {
    String bsuid = "US.ENT." + "a".repeat(128);
    ObjectNode m = text("wamid.LONGUSER", "hi");
    m.remove("from");
    m.put("from_user_id", bsuid);

    assertEquals(bsuid, only(m).contactId());
  }

  // ---- duplicates ----

  @Test
  void aMessageIdRepeatedInOnePostIsKeptOnce() {
    ObjectNode value = messagesValue(PHONE_NUMBER_ID, text("wamid.X", "first"), text("wamid.X", "again"));

    WebhookBatch batch = parse(body(entry(change("messages", value)),
        entry(change("messages", messagesValue(PHONE_NUMBER_ID, text("wamid.X", "and again"), text("wamid.Y", "y"))))));

    assertEquals(List.of("wamid.X", "wamid.Y"), ids(batch));
    assertEquals("first", batch.messages().get(0).text());
    assertEquals(List.of(
        new Skipped("entry[0].changes[0].value.messages[1]",
            "duplicate of message id 'wamid.X' already read at " + FIRST_MESSAGE),
        new Skipped("entry[1].changes[0].value.messages[0]",
            "duplicate of message id 'wamid.X' already read at " + FIRST_MESSAGE)),
        batch.skipped());
  }

  // ---- malformed parts never drop their good neighbours ----

  static Stream<Arguments> malformedMessages() {
    return Stream.of(
        Arguments.of("null", "message is null, not an object"),
        Arguments.of("\"hello\"", "message is a string, not an object"),
        Arguments.of("[]", "message is an array, not an object"),
        Arguments.of("{\"from\":\"1\",\"timestamp\":\"1700000000\",\"type\":\"text\"}", "id missing"),
        Arguments.of("{\"id\":42,\"from\":\"1\",\"timestamp\":\"1700000000\"}", "id is a number, not a string"),
        Arguments.of("{\"id\":\"\",\"from\":\"1\",\"timestamp\":\"1700000000\"}", "id is empty"),
        Arguments.of("{\"id\":\"wamid. X\",\"from\":\"1\",\"timestamp\":\"1700000000\"}",
            "id 'wamid. X' has characters other than visible ASCII"),
        Arguments.of("{\"id\":\"" + "w".repeat(257) + "\",\"from\":\"1\",\"timestamp\":\"1700000000\"}",
            "id is longer than 256 characters"),
        Arguments.of("{\"id\":\"m\",\"from\":16505551234,\"timestamp\":\"1700000000\"}", "from is a number, not a string"),
        Arguments.of("{\"id\":\"m\",\"from\":{\"wa_id\":\"1\"},\"timestamp\":\"1700000000\"}",
            "from is an object, not a string"),
        Arguments.of("{\"id\":\"m\",\"from\":\"" + "1".repeat(257) + "\",\"timestamp\":\"1700000000\"}",
            "from is longer than 256 characters"),
        Arguments.of("{\"id\":\"m\",\"from_user_id\":[],\"timestamp\":\"1700000000\"}",
            "from_user_id is an array, not a string"),
        Arguments.of("{\"id\":\"m\",\"from\":null,\"timestamp\":\"1700000000\"}",
            "from and from_user_id missing: the sender is unknown"),
        Arguments.of("{\"id\":\"m\",\"from\":\"1\"}", "timestamp missing"),
        Arguments.of("{\"id\":\"m\",\"from\":\"1\",\"timestamp\":\"\"}", "timestamp '' is not Unix seconds"),
        Arguments.of("{\"id\":\"m\",\"from\":\"1\",\"timestamp\":\"2024-06-12T10:00:00Z\"}",
            "timestamp '2024-06-12T10:00:00Z' is not Unix seconds"),
        Arguments.of("{\"id\":\"m\",\"from\":\"1\",\"timestamp\":\"-1\"}", "timestamp '-1' is not Unix seconds"),
        Arguments.of("{\"id\":\"m\",\"from\":\"1\",\"timestamp\":\" 1700000000\"}",
            "timestamp ' 1700000000' is not Unix seconds"),
        Arguments.of("{\"id\":\"m\",\"from\":\"1\",\"timestamp\":\"1700000000000000\"}",
            "timestamp '1700000000000000' is not Unix seconds"),
        Arguments.of("{\"id\":\"m\",\"from\":\"1\",\"timestamp\":1700000000.5}", "timestamp is a number, not a string of Unix seconds"),
        Arguments.of("{\"id\":\"m\",\"from\":\"1\",\"timestamp\":[1700000000]}", "timestamp is an array, not a string of Unix seconds"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("malformedMessages")
  void aMalformedMessageIsSkippedAndItsNeighboursKept(String badMessage, String reason) {
    String body = """
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
          "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
          "messages": [
            {"from": "16505551234", "id": "wamid.BEFORE", "timestamp": "1700000000", "type": "text", "text": {"body": "a"}},
            %s,
            {"from": "16505551234", "id": "wamid.AFTER", "timestamp": "1700000000", "type": "text", "text": {"body": "b"}}
          ]}}]}]}
        """.formatted(badMessage);

    WebhookBatch batch = parse(body);

    assertEquals(List.of("wamid.BEFORE", "wamid.AFTER"), ids(batch));
    assertEquals(List.of(new Skipped("entry[0].changes[0].value.messages[1]", reason)), batch.skipped());
  }

  private static final String GOOD_CHANGE = """
      {"field": "messages", "value": {"metadata": {"phone_number_id": "9"}, "messages": [
        {"from": "1", "id": "wamid.GOOD", "timestamp": "1700000000", "type": "text", "text": {"body": "ok"}}]}}""";

  static Stream<Arguments> malformedEnvelopeParts() {
    return Stream.of(
        Arguments.of("""
            [{"id": "1", "changes": [%s]}, "not an entry", {"id": "2"}, {"changes": {}}, {"changes": []}]""",
            List.of(new Skipped("entry[1]", "entry is a string, not an object"),
                new Skipped("entry[2]", "changes missing"),
                new Skipped("entry[3]", "changes is an object, not an array"))),
        Arguments.of("""
            [{"changes": [%s, 7, {"value": {}}, {"field": 5}, {"field": "messages"},
                          {"field": "messages", "value": []}]}]""",
            List.of(new Skipped("entry[0].changes[1]", "change is a number, not an object"),
                new Skipped("entry[0].changes[2]", "field missing"),
                new Skipped("entry[0].changes[3]", "field is a number, not a string"),
                new Skipped("entry[0].changes[4]", "value missing"),
                new Skipped("entry[0].changes[5]", "value is an array, not an object"))),
        Arguments.of("""
            [{"changes": [%s,
              {"field": "messages", "value": {"messages": []}},
              {"field": "messages", "value": {"metadata": {"phone_number_id": 106540352242922}, "messages": []}},
              {"field": "messages", "value": {"metadata": [], "statuses": []}}]}]""",
            List.of(new Skipped("entry[0].changes[1]",
                    "value.metadata.phone_number_id missing: the receiving business number is unknown"),
                new Skipped("entry[0].changes[2]",
                    "value.metadata.phone_number_id is a number, not a string: the receiving business number is unknown"),
                new Skipped("entry[0].changes[3]",
                    "value.metadata.phone_number_id missing: the receiving business number is unknown"))),
        Arguments.of("""
            [{"changes": [%s,
              {"field": "messages", "value": {"metadata": {"phone_number_id": "9"}, "messages": {"0": {}},
                                              "statuses": "none"}},
              {"field": "messages", "value": {"metadata": {"phone_number_id": "9"}}}]}]""",
            List.of(new Skipped("entry[0].changes[1].value.messages", "messages is an object, not an array"),
                new Skipped("entry[0].changes[1].value.statuses", "statuses is a string, not an array"),
                new Skipped("entry[0].changes[2]", "no messages or statuses"))));
  }

  @ParameterizedTest
  @MethodSource("malformedEnvelopeParts")
  void aMalformedEntryOrChangeIsSkippedAndTheGoodMessageKept(String entries, List<Skipped> skipped) {
    WebhookBatch batch = parse("{\"object\": \"whatsapp_business_account\", \"entry\": "
        + entries.formatted(GOOD_CHANGE) + "}");

    assertEquals(List.of("wamid.GOOD"), ids(batch));
    assertEquals(skipped, batch.skipped());
  }

  @Test
  void wrongShapesInsideAMessageLoseOnlyThatFact() {
    ObjectNode arrayBody = message("wamid.1", "text", "text", obj("body", arr("not", "text")));
    ObjectNode stringText = message("wamid.2", "text", "text", "just a string");
    ObjectNode noType = text("wamid.3", "typeless");
    noType.remove("type");
    ObjectNode numberType = text("wamid.4", "numbered");
    numberType.put("type", 7);
    ObjectNode oddImage = message("wamid.5", "image", "image", obj("id", obj("x", 1), "caption", 42),
        "context", "not an object", "referral", 3, "errors", "none");
    ObjectNode oddInteractive = message("wamid.6", "interactive", "interactive",
        obj("type", "button_reply", "button_reply", "yes"));

    WebhookBatch batch = parse(inbound(arrayBody, stringText, noType, numberType, oddImage, oddInteractive));

    assertEquals(List.of(), batch.skipped());
    List<InboundMessage> m = batch.messages();
    assertEquals(6, m.size());
    assertNull(m.get(0).text());
    assertEquals("text.body", m.get(0).fields().get("malformed"));
    assertNull(m.get(1).text());
    assertEquals("text", m.get(1).fields().get("malformed"));
    assertEquals("unknown", m.get(2).type());
    assertNull(m.get(2).text(), "without its type the text object is not read");
    assertEquals("type", m.get(2).fields().get("malformed"));
    assertEquals("unknown", m.get(3).type());
    assertEquals("42", m.get(4).text(), "a number caption is still its text");
    assertEquals("media.id,context,referral,errors", m.get(4).fields().get("malformed"));
    assertNull(m.get(5).text());
    assertEquals(Map.of("interactive.type", "button_reply", "malformed", "interactive.button_reply"),
        m.get(5).fields());
  }

  @Test
  void nullsWhereObjectsBelongAreJustAbsent() {
    InboundMessage m = only(message("wamid.N", "reaction", "reaction", obj("message_id", null, "emoji", null),
        "context", null, "referral", null, "errors", null, "group_id", null));

    assertNull(m.text());
    assertEquals(Map.of("reaction.removed", "true"), m.fields());
  }

  @Test
  void aTimestampSentAsAJsonIntegerIsAccepted() {
    ObjectNode m = text("wamid.INT", "hi");
    m.put("timestamp", 1700000000L);

    assertEquals(Instant.ofEpochSecond(1700000000L), only(m).sentAt());
  }

  // ---- limits ----

  @Test
  void longTextIsCutToTheLimitAndFlagged() {
    String essay = "x".repeat(WhatsAppWebhook.MAX_TEXT_CHARS + 500);

    InboundMessage m = only(text("wamid.LONG", essay));

    assertEquals(essay.substring(0, WhatsAppWebhook.MAX_TEXT_CHARS), m.text());
    assertEquals("text", m.fields().get("truncated"));
  }

  @Test
  void textAtTheLimitIsKeptWhole() {
    String exact = "y".repeat(WhatsAppWebhook.MAX_TEXT_CHARS);

    InboundMessage m = only(text("wamid.EXACT", exact));

    assertEquals(exact, m.text());
    assertEquals(Map.of(), m.fields());
  }

  @Test
  void cuttingNeverSplitsAnEmoji() {
    String text = "z".repeat(WhatsAppWebhook.MAX_TEXT_CHARS - 1) + "\uD83D\uDE00 and more";

    InboundMessage m = only(text("wamid.EMOJI", text));

    assertEquals("z".repeat(WhatsAppWebhook.MAX_TEXT_CHARS - 1), m.text());
  }

  @Test
  void longValuesAndTooManyKeysAreBounded() {
    ObjectNode referral = obj("headline", "h".repeat(5000));
    for (int i = 0; i < 100; i++) referral.put("k" + i, "v" + i);
    ObjectNode m = text("wamid.BIG", "hi");
    m.set("referral", referral);

    InboundMessage read = only(m);

    assertEquals(WhatsAppWebhook.MAX_FIELDS - 4 + 2, read.fields().size(), "the facts that fit, truncated, dropped");
    assertEquals(WhatsAppWebhook.MAX_FIELD_CHARS, read.fields().get("referral.headline").length());
    assertEquals("referral.headline", read.fields().get("truncated"));
    assertEquals(Integer.toString(101 - (WhatsAppWebhook.MAX_FIELDS - 4)), read.fields().get("dropped"));
    assertEquals("v0", read.fields().get("referral.k0"));
  }

  @Test
  void textTheJournalCannotHoldIsRepairedAndTheMessageKeptWhileAStatusOutsideAsciiIsSkipped() {
    WebhookBatch batch = parse("""
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
          "metadata": {"phone_number_id": "%s"},
          "contacts": [{"wa_id": "%s", "profile": {"name": "Ana \\u0000\\ud83d 😀"}}],
          "messages": [{"from": "%s", "id": "wamid.LONE", "timestamp": "%d", "type": "text",
                        "text": {"body": "hi \\ude00 😀"}, "referral": {"headline": "\\ud83d"}}],
          "statuses": [{"id": "wamid.OUT", "status": "read\\u0000", "timestamp": "%d"}]}}]}]}"""
        .formatted(PHONE_NUMBER_ID, CUSTOMER, CUSTOMER, SENT, SENT));

    InboundMessage m = batch.messages().get(0);
    assertEquals("hi \ufffd 😀", m.text());
    assertEquals("Ana \ufffd\ufffd 😀", m.contactName());
    assertEquals("\ufffd", m.fields().get("referral.headline"));
    assertEquals("referral.headline,contact.name,text", m.fields().get("repaired"));
    assertTrue(batch.statuses().isEmpty());
    assertTrue(batch.skipped().get(0).reason().contains("other than visible ASCII"), batch.skipped().toString());
  }

  @Test
  void aLongContactNameIsCut() {
    ObjectNode value = messagesValue(PHONE_NUMBER_ID, text("wamid.NAME", "hi"));
    value.set("contacts", arr(contact(CUSTOMER, "N".repeat(3000))));

    InboundMessage m = parse(body(entry(change("messages", value)))).messages().get(0);

    assertEquals("N".repeat(WhatsAppWebhook.MAX_FIELD_CHARS), m.contactName());
    assertEquals("contact.name", m.fields().get("truncated"));
  }

  @Test
  void messagesAfterTheLimitOfOnePostAreSkipped() {
    ObjectNode[] many = new ObjectNode[WhatsAppWebhook.MAX_MESSAGES_PER_POST + 2];
    for (int i = 0; i < many.length; i++) many[i] = text("wamid." + i, "m" + i);

    WebhookBatch batch = parse(inbound(many));

    assertEquals(WhatsAppWebhook.MAX_MESSAGES_PER_POST, batch.messages().size());
    assertEquals("wamid.999", batch.messages().get(999).messageId());
    assertEquals(List.of(
        new Skipped("entry[0].changes[0].value.messages[1000]", "over the limit of 1000 messages per POST"),
        new Skipped("entry[0].changes[0].value.messages[1001]", "over the limit of 1000 messages per POST")),
        batch.skipped());
  }

  @Test
  void statusesAfterTheLimitOfOnePostAreSkipped() {
    ArrayNode statuses = arr();
    for (int i = 0; i <= WhatsAppWebhook.MAX_STATUSES_PER_POST; i++) {
      statuses.add(obj("id", "wamid." + i, "status", "read", "timestamp", "1700000000"));
    }
    ObjectNode value = value(PHONE_NUMBER_ID);
    value.set("statuses", statuses);

    WebhookBatch batch = parse(body(entry(change("messages", value))));

    assertEquals(WhatsAppWebhook.MAX_STATUSES_PER_POST, batch.statuses().size());
    assertEquals(List.of(new Skipped("entry[0].changes[0].value.statuses[1000]",
        "over the limit of 1000 statuses per POST")), batch.skipped());
  }

  @Test
  void skippedPartsAfterTheListingLimitAreCounted() {
    ArrayNode junk = arr();
    for (int i = 0; i < WhatsAppWebhook.MAX_SKIPPED_LISTED + 5; i++) junk.add(i);
    ObjectNode value = value(PHONE_NUMBER_ID);
    value.set("messages", junk.add(text("wamid.LAST", "still here")));

    WebhookBatch batch = parse(body(entry(change("messages", value))));

    assertEquals(List.of("wamid.LAST"), ids(batch));
    assertEquals(WhatsAppWebhook.MAX_SKIPPED_LISTED + 1, batch.skipped().size());
    assertEquals(new Skipped("body", "5 more skipped parts, not listed"), batch.skipped().get(batch.skipped().size() - 1));
  }

  // ---- unusable bodies: the HTTP layer answers 400 ----

  @ParameterizedTest
  @ValueSource(strings = {
      "", "   ", "not json", "{\"object\": ", "[]", "42", "null", "\"whatsapp_business_account\"", "{}",
      "{\"entry\": []}",
      "{\"object\": \"page\", \"entry\": []}",
      "{\"object\": 7, \"entry\": []}",
      "{\"object\": \"whatsapp_business_account\"}",
      "{\"object\": \"whatsapp_business_account\", \"entry\": null}",
      "{\"object\": \"whatsapp_business_account\", \"entry\": {}}",
      "{\"object\": \"whatsapp_business_account\", \"entry\": []} trailing",
      "{\"object\": \"whatsapp_business_account\", \"entry\": []}{}",
      "{'object': 'whatsapp_business_account', 'entry': []}"})
  void anUnusableBodyIsRejectedWhole(String body) {
    MalformedWebhookException e = assertThrows(MalformedWebhookException.class, () -> parse(body));

    assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
  }

  @Test
  void rejectionsSayWhatIsWrong() {
    assertEquals("empty body", assertThrows(MalformedWebhookException.class,
        () -> WhatsAppWebhook.parse(null)).getMessage());
    assertEquals("empty body", assertThrows(MalformedWebhookException.class, () -> parse(" \n")).getMessage());
    assertEquals("body is an array, not a JSON object",
        assertThrows(MalformedWebhookException.class, () -> parse("[]")).getMessage());
    assertEquals("object is 'page', not whatsapp_business_account",
        assertThrows(MalformedWebhookException.class, () -> parse("{\"object\":\"page\",\"entry\":[]}")).getMessage());
    assertEquals("entry is an object, not an array", assertThrows(MalformedWebhookException.class,
        () -> parse("{\"object\":\"whatsapp_business_account\",\"entry\":{}}")).getMessage());
    assertTrue(assertThrows(MalformedWebhookException.class, () -> parse("{nope"))
        .getMessage().startsWith("body is not JSON"));
  }

  @Test
  void invalidUtf8IsNotJson() {
    byte[] body = "{\"object\":\"whatsapp_business_account\",\"entry\":[\"\u00ff\"]}".getBytes(StandardCharsets.ISO_8859_1);

    assertThrows(MalformedWebhookException.class, () -> WhatsAppWebhook.parse(body));
  }

  @Test
  void pathologicalNestingIsRejected() {
    String deep = "[".repeat(WhatsAppWebhook.MAX_NESTING_DEPTH + 10) + "]".repeat(WhatsAppWebhook.MAX_NESTING_DEPTH + 10);

    assertThrows(MalformedWebhookException.class,
        () -> parse("{\"object\":\"whatsapp_business_account\",\"entry\":" + deep + "}"));
  }

  @Test
  void aBodyOverTheSizeLimitIsRejected() {
    byte[] huge = new byte[WhatsAppWebhook.MAX_BODY_BYTES + 1];
    Arrays.fill(huge, (byte) ' ');

    MalformedWebhookException e = assertThrows(MalformedWebhookException.class, () -> WhatsAppWebhook.parse(huge));
    assertTrue(e.getMessage().contains("over the limit"), e.getMessage());
  }

  @Test
  void anEmptyEntryListIsAnEmptyBatch() {
    WebhookBatch batch = parse("{\"object\":\"whatsapp_business_account\",\"entry\":[]}");

    assertEquals(new WebhookBatch(List.of(), List.of(), List.of()), batch);
  }

  @Test
  void theBatchCannotBeChangedByItsReader() {
    WebhookBatch batch = parse(inbound(text("wamid.RO", "hi")));

    assertThrows(UnsupportedOperationException.class, () -> batch.messages().clear());
    assertThrows(UnsupportedOperationException.class, () -> batch.messages().get(0).fields().put("k", "v"));
  }

  @Test
  void unknownMembersAnywhereAreIgnored() {
    ObjectNode m = text("wamid.EXTRA", "hi");
    m.put("brand_new_member", "whatever");
    ObjectNode body = inbound(m);
    body.put("brand_new_top_level", true);

    assertEquals("hi", only(m).text());
    assertEquals(List.of("wamid.EXTRA"), ids(parse(body)));
    assertEquals(CUSTOMER_NAME, parse(body).messages().get(0).contactName());
  }
}

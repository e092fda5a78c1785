package io.switchboard.gateway.whatsapp;

import static io.switchboard.gateway.whatsapp.Payloads.CUSTOMER;
import static io.switchboard.gateway.whatsapp.Payloads.CUSTOMER_NAME;
import static io.switchboard.gateway.whatsapp.Payloads.PHONE_NUMBER_ID;
import static io.switchboard.gateway.whatsapp.Payloads.SENT;
import static io.switchboard.gateway.whatsapp.Payloads.arr;
import static io.switchboard.gateway.whatsapp.Payloads.message;
import static io.switchboard.gateway.whatsapp.Payloads.obj;
import static io.switchboard.gateway.whatsapp.Payloads.only;
import static io.switchboard.gateway.whatsapp.Payloads.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every message type of the README, and the ones it does not know yet, as routing will see them. */
class WhatsAppMessageTypesTest {

  @Test
  void textMessage() {
    InboundMessage m = only(text("wamid.T1", "Does it come in another color?"));

    assertEquals(new InboundMessage(PHONE_NUMBER_ID, CUSTOMER, CUSTOMER, null, CUSTOMER_NAME, "wamid.T1",
        Instant.ofEpochSecond(SENT), "text", "Does it come in another color?", Map.of()), m);
  }

  @Test
  void imageCaptionIsTheTextAndTheMediaIdAFact() {
    InboundMessage m = only(message("wamid.I1", "image", "image", obj(
        "caption", "the broken part", "mime_type", "image/jpeg", "sha256", "aGFzaA==", "id", "1003383421387256")));

    assertEquals("the broken part", m.text());
    assertEquals(Map.of("media.id", "1003383421387256", "media.mime_type", "image/jpeg", "media.sha256", "aGFzaA=="),
        m.fields());
  }

  @Test
  void videoDocumentAudioAndStickerKeepTheirOwnFacts() {
    InboundMessage video = only(message("wamid.V1", "video", "video",
        obj("caption", "unboxing", "mime_type", "video/mp4", "id", "V-ID")));
    InboundMessage document = only(message("wamid.D1", "document", "document",
        obj("caption", "my invoice", "filename", "invoice-42.pdf", "mime_type", "application/pdf", "id", "D-ID")));
    InboundMessage voice = only(message("wamid.A1", "audio", "audio",
        obj("mime_type", "audio/ogg; codecs=opus", "id", "A-ID", "voice", true)));
    InboundMessage sticker = only(message("wamid.S1", "sticker", "sticker",
        obj("mime_type", "image/webp", "id", "S-ID", "animated", false)));

    assertEquals("unboxing", video.text());
    assertEquals("V-ID", video.fields().get("media.id"));
    assertEquals("my invoice", document.text());
    assertEquals("invoice-42.pdf", document.fields().get("media.filename"));
    assertNull(voice.text(), "a voice note has no text");
    assertEquals(Map.of("media.id", "A-ID", "media.mime_type", "audio/ogg; codecs=opus", "media.voice", "true"),
        voice.fields());
    assertNull(sticker.text());
    assertEquals("false", sticker.fields().get("media.animated"));
  }

  @Test
  void locationTextIsItsNameAndAddress() {
    InboundMessage named = only(message("wamid.L1", "location", "location", obj("latitude", 37.4220936,
        "longitude", -122.0839254, "name", "Googleplex", "address", "1600 Amphitheatre Pkwy, Mountain View")));
    InboundMessage pin = only(message("wamid.L2", "location", "location", obj("latitude", -23.5, "longitude", 46)));

    assertEquals("Googleplex, 1600 Amphitheatre Pkwy, Mountain View", named.text());
    assertEquals("37.4220936", named.fields().get("location.latitude"));
    assertEquals("-122.0839254", named.fields().get("location.longitude"));
    assertNull(pin.text(), "a bare pin has no text");
    assertEquals(Map.of("location.latitude", "-23.5", "location.longitude", "46"), pin.fields());
  }

  @Test
  void sharedContactCards() {
    InboundMessage m = only(message("wamid.C1", "contacts", "contacts", arr(
        obj("name", obj("formatted_name", "Jane Doe", "first_name", "Jane"),
            "phones", arr(obj("phone", "+1 (650) 555-9876", "wa_id", "16505559876", "type", "CELL"))),
        obj("name", obj("formatted_name", "No Phone")))));

    assertNull(m.text());
    assertEquals(Map.of("contacts.count", "2", "contacts[0].name", "Jane Doe", "contacts[0].phone",
        "+1 (650) 555-9876", "contacts[0].wa_id", "16505559876", "contacts[1].name", "No Phone"), m.fields());
  }

  @Test
  void listReplyTitleIsTheTextAndItsIdAFact() {
    InboundMessage m = only(message("wamid.R1", "interactive", "interactive", obj("type", "list_reply",
        "list_reply", obj("id", "slot-tue", "title", "Tuesday", "description", "9am to 5pm"))));

    assertEquals("Tuesday", m.text());
    assertEquals(Map.of("interactive.type", "list_reply", "interactive.id", "slot-tue", "interactive.title",
        "Tuesday", "interactive.description", "9am to 5pm"), m.fields());
  }

  @Test
  void flowReplyKeepsItsResponse() {
    InboundMessage m = only(message("wamid.F1", "interactive", "interactive", obj("type", "nfm_reply",
        "nfm_reply", obj("response_json", "{\"flow_token\":\"abc\"}", "body", "Sent", "name", "flow"))));

    assertEquals("Sent", m.text());
    assertEquals("{\"flow_token\":\"abc\"}", m.fields().get("interactive.response_json"));
    assertEquals("nfm_reply", m.fields().get("interactive.type"));
  }

  @Test
  void templateQuickReplyButton() {
    InboundMessage m = only(message("wamid.B1", "button",
        "context", obj("from", "15550783881", "id", "wamid.TEMPLATE"),
        "button", obj("payload", "STOP_PROMOS", "text", "Stop promotions")));

    assertEquals("Stop promotions", m.text());
    assertEquals(Map.of("button.payload", "STOP_PROMOS", "button.text", "Stop promotions",
        "context.id", "wamid.TEMPLATE", "context.from", "15550783881"), m.fields());
  }

  @Test
  void reactionAndItsRemoval() {
    InboundMessage added = only(message("wamid.E1", "reaction", "reaction",
        obj("message_id", "wamid.OURS", "emoji", "\uD83D\uDC4D")));
    InboundMessage removed = only(message("wamid.E2", "reaction", "reaction", obj("message_id", "wamid.OURS")));

    assertEquals("\uD83D\uDC4D", added.text());
    assertEquals(Map.of("reaction.message_id", "wamid.OURS", "reaction.emoji", "\uD83D\uDC4D"), added.fields());
    assertNull(removed.text());
    assertEquals(Map.of("reaction.message_id", "wamid.OURS", "reaction.removed", "true"), removed.fields());
  }

  @Test
  void orderWithItsNote() {
    InboundMessage m = only(message("wamid.O1", "order", "order", obj("catalog_id", "CAT-1", "text", "by Friday please",
        "product_items", arr(obj("product_retailer_id", "SKU-1", "quantity", 2, "item_price", 9.99,
            "currency", "USD")))));

    assertEquals("by Friday please", m.text());
    assertEquals(Map.of("order.catalog_id", "CAT-1", "order.items", "1", "order.items[0].product_retailer_id", "SKU-1",
        "order.items[0].quantity", "2", "order.items[0].item_price", "9.99", "order.items[0].currency", "USD"),
        m.fields());
  }

  @Test
  void aNewNumberIsAContactEventNotAMessage() {
    // the shape Meta documents for the Cloud API, inside a batch with a customer message
    WebhookBatch batch = Payloads.parse(Payloads.inbound(text("wamid.T9", "hello"),
        message("wamid.Y1", "system", "system", obj(
            "body", "User Sheena changed from 16505551234 to 16505559999", "wa_id", "16505559999",
            "type", "user_changed_number"))));

    assertEquals(List.of(), batch.skipped());
    assertEquals(List.of("wamid.T9"), batch.messages().stream().map(InboundMessage::messageId).toList());
    assertEquals(List.of(new ContactEvent(PHONE_NUMBER_ID, CUSTOMER, "wamid.Y1", Instant.ofEpochSecond(SENT),
        "user_changed_number", "User Sheena changed from 16505551234 to 16505559999", "16505559999", null,
        Map.of("system.wa_id", "16505559999", "system.type", "user_changed_number"))), batch.contactEvents());
  }

  @Test
  void theOtherSpellingsOfSystemNoticesAreContactEventsToo() {
    WebhookBatch batch = Payloads.parse(Payloads.inbound(
        message("wamid.Y2", "system", "system", obj("body", "changed", "new_wa_id", "16505550000",
            "type", "customer_changed_number")),
        message("wamid.Y3", "system", "system", obj("body", "User's security code changed",
            "identity", "b1c2d3", "customer", CUSTOMER, "type", "customer_identity_changed")),
        message("wamid.Y4", "system", "system", obj("body", "new user id", "new_user_id", "US.13491208655302741918",
            "type", "user_changed_user_id")),
        message("wamid.Y5", "system", "system", "x")));

    assertEquals(List.of(), batch.messages());
    List<ContactEvent> events = batch.contactEvents();
    assertEquals(List.of("customer_changed_number", "customer_identity_changed", "user_changed_user_id", "unknown"),
        events.stream().map(ContactEvent::kind).toList());
    assertEquals("16505550000", events.get(0).newPhone());
    assertNull(events.get(1).newPhone());
    assertEquals("b1c2d3", events.get(1).fields().get("system.identity"));
    assertEquals("US.13491208655302741918", events.get(2).newUserId());
    assertEquals("system", events.get(3).fields().get("malformed"), "a system member that is no object is noted");
  }

  @Test
  void welcomeRequestHasNoText() {
    InboundMessage m = only(message("wamid.W1", "request_welcome"));

    assertEquals("request_welcome", m.type());
    assertNull(m.text());
    assertEquals(Map.of(), m.fields());
  }

  @Test
  void unsupportedMessageIsAcceptedWithItsErrors() {
    InboundMessage m = only(message("wamid.U1", "unsupported",
        "errors", arr(obj("code", 131051, "title", "Message type unknown", "message", "Message type unknown",
            "error_data", obj("details", "Message type is currently not supported."))),
        "unsupported", obj("type", "edit")));

    assertEquals("unsupported", m.type());
    assertNull(m.text());
    assertEquals(Map.of("unsupported.type", "edit", "errors.code", "131051", "errors.title", "Message type unknown",
        "errors.message", "Message type unknown", "errors.details", "Message type is currently not supported."),
        m.fields());
  }

  @Test
  void legacyUnknownMessageIsAcceptedWithItsErrors() {
    InboundMessage m = only(message("wamid.U2", "unknown", "errors", arr(
        obj("code", 131051, "details", "Message type is not currently supported", "title", "Unsupported message type"),
        obj("code", 131052))));

    assertEquals("unknown", m.type());
    assertNull(m.text());
    assertEquals(Map.of("errors.code", "131051", "errors.title", "Unsupported message type",
        "errors.details", "Message type is not currently supported", "errors.count", "2"), m.fields());
  }

  @Test
  void aTypeNewerThanThisCodeKeepsItsTypeAndScalarFacts() {
    InboundMessage m = only(message("wamid.N1", "hologram", "hologram",
        obj("id", "H-1", "depth", 3, "layers", arr(1, 2))));

    assertEquals("hologram", m.type());
    assertNull(m.text());
    assertEquals(Map.of("hologram.id", "H-1", "hologram.depth", "3"), m.fields());
  }

  @Test
  void clickToWhatsAppAdReferralAndForwardedContext() {
    InboundMessage m = only(message("wamid.AD1", "text", "text", obj("body", "Is this still on sale?"),
        "context", obj("forwarded", true, "referred_product", obj("catalog_id", "CAT-1",
            "product_retailer_id", "SKU-9")),
        "referral", obj("source_url", "https://fb.me/ad", "source_id", "120211", "source_type", "ad",
            "headline", "Spring sale", "body", "Everything -20%", "media_type", "image", "ctwa_clid", "ARAkL",
            "welcome_message", obj("text", "Hi!"))));

    assertEquals("Is this still on sale?", m.text());
    assertEquals(Map.of("context.forwarded", "true", "context.referred_product.catalog_id", "CAT-1",
        "context.referred_product.product_retailer_id", "SKU-9", "referral.source_url", "https://fb.me/ad",
        "referral.source_id", "120211", "referral.source_type", "ad", "referral.headline", "Spring sale",
        "referral.body", "Everything -20%", "referral.media_type", "image", "referral.ctwa_clid", "ARAkL"),
        m.fields());
  }

  @Test
  void groupMessageKeepsTheGroupId() {
    InboundMessage m = only(message("wamid.G1", "text", "text", obj("body", "hi all"), "group_id", "G-42"));

    assertEquals("hi all", m.text());
    assertEquals(Map.of("group.id", "G-42"), m.fields());
  }
}

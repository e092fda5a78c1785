package io.switchboard.gateway.whatsapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.whatsapp.VerificationHandshake.Answer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class VerificationHandshakeTest {

  private static final String TOKEN = "s3cret-verify-token";

  @Test
  void theRightTokenGetsTheChallengeBackVerbatim() {
    Answer answer = VerificationHandshake.answer("subscribe", TOKEN, "1158201444", TOKEN);

    assertTrue(answer.accepted());
    assertEquals(new Answer(200, "1158201444"), answer);
  }

  @ParameterizedTest
  @ValueSource(strings = {"wrong", "s3cret-verify-toke", "s3cret-verify-token ", "S3CRET-VERIFY-TOKEN", "x"})
  void anyOtherTokenIsForbidden(String token) {
    Answer answer = VerificationHandshake.answer("subscribe", token, "1158201444", TOKEN);

    assertFalse(answer.accepted());
    assertEquals(new Answer(403, "hub.verify_token does not match"), answer);
  }

  @ParameterizedTest
  @ValueSource(strings = {"wrong", "s3cret-verify-toke", "s3cret-verify-token ", "x"})
  void aTokenStoredAsItsHashMatchesTheTokenAndNothingElse(String other) {
    String stored = VerificationHandshake.stored(TOKEN);
    assertTrue(stored.matches("sha256:[0-9a-f]{64}"), stored);
    assertFalse(stored.contains(TOKEN));

    assertEquals(new Answer(200, "1158201444"), VerificationHandshake.answer("subscribe", TOKEN, "1158201444", stored));
    assertEquals(new Answer(403, "hub.verify_token does not match"),
        VerificationHandshake.answer("subscribe", other, "1158201444", stored));
    // the hash itself is not the token: presenting the stored value does not pass
    assertEquals(403, VerificationHandshake.answer("subscribe", stored, "1", stored).status());
  }

  @Test
  void noTokenStoresAsNoToken() {
    assertEquals(null, VerificationHandshake.stored(null));
    assertEquals("", VerificationHandshake.stored(""));
  }

  @Test
  void aModeOtherThanSubscribeIsForbidden() {
    assertEquals(new Answer(403, "hub.mode must be subscribe"),
        VerificationHandshake.answer("unsubscribe", TOKEN, "1", TOKEN));
  }

  @Test
  void withoutAConfiguredTokenNothingMatches() {
    assertEquals(403, VerificationHandshake.answer("subscribe", "anything", "1", null).status());
    assertEquals(403, VerificationHandshake.answer("subscribe", "anything", "1", "").status());
  }

  @ParameterizedTest
  @CsvSource(value = {
      "NULL, token, 1", "subscribe, NULL, 1", "subscribe, token, NULL",
      "'', token, 1", "subscribe, '', 1", "subscribe, token, ''"}, nullValues = "NULL")
  void aMissingParameterIsABadRequest(String mode, String token, String challenge) {
    Answer answer = VerificationHandshake.answer(mode, token, challenge, "token");

    assertEquals(new Answer(400, "hub.mode, hub.verify_token and hub.challenge are required"), answer);
  }

  @Test
  void anOverlongChallengeIsABadRequest() {
    String challenge = "9".repeat(VerificationHandshake.MAX_CHALLENGE_CHARS + 1);

    assertEquals(400, VerificationHandshake.answer("subscribe", TOKEN, challenge, TOKEN).status());
    assertEquals(200, VerificationHandshake.answer("subscribe", TOKEN, challenge.substring(1), TOKEN).status());
  }
}

package io.switchboard.team;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.agent.AgentProfile;
import io.switchboard.agent.AgentStatus;
import io.switchboard.routing.Candidate;
import io.switchboard.routing.Need;
import io.switchboard.routing.Presence;
import io.switchboard.routing.RoutingRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The team's offer bookkeeping on its own: no actors, the time passed in. */
class OfferBookTest {

  private static final Instant T0 = Instant.parse("2024-06-10T09:00:00Z");
  private static final Duration REDELIVERY = Duration.ofSeconds(2);
  private static final Duration QUEUE_CHECK = Duration.ofSeconds(30);
  private static final List<String> MEMBERS = List.of("t/a", "t/b");

  private final OfferBook book = new OfferBook(REDELIVERY, QUEUE_CHECK);

  private static RoutingRequest request(String conversationId, int attempt, String channel) {
    return new RoutingRequest(conversationId, attempt, 0, Need.of(channel), T0);
  }

  private static AgentStatus status(String agentId, int load, Instant lastAssignedAt) {
    return new AgentStatus(agentId, Presence.ONLINE, AgentProfile.withCapacity(3), Map.of("chat", load), load,
        lastAssignedAt);
  }

  private static final Map<String, AgentStatus> IDLE =
      Map.of("t/a", status("t/a", 0, null), "t/b", status("t/b", 0, null));

  private static Candidate candidate(List<Candidate> candidates, String agentId) {
    return candidates.stream().filter(c -> c.agentId().equals(agentId)).findFirst().orElseThrow();
  }

  @Test
  void anOfferInFlightCountsAgainstTheAgentsRoomOnItsChannelUntilItIsNoLongerFresh() {
    book.record(request("t/chat:1", 1, "chat"), "t/a", T0, false);

    List<Candidate> now = book.candidates(MEMBERS, IDLE, "chat", T0.plusSeconds(1));
    assertEquals(1, candidate(now, "t/a").load());
    assertEquals(1, candidate(now, "t/a").totalOpen());
    assertEquals(0, candidate(now, "t/b").load());
    assertEquals(0, candidate(book.candidates(MEMBERS, IDLE, "email", T0.plusSeconds(1)), "t/a").load());
    // two redelivery intervals later a lost offer no longer counts
    assertEquals(0, candidate(book.candidates(MEMBERS, IDLE, "chat", T0.plus(REDELIVERY.multipliedBy(2))), "t/a")
        .load());
  }

  @Test
  void membersWithoutAStatusAreNoCandidatesAndTheOrderIsTheMembers() {
    List<Candidate> candidates = book.candidates(List.of("t/b", "t/x", "t/a"), IDLE, "chat", T0);
    assertEquals(List.of("t/b", "t/a"), candidates.stream().map(Candidate::agentId).toList());
  }

  @Test
  void offersAreStrictlyLaterThanEveryEarlierOneAndMoveTheCursorExceptToThePreferredAgent() {
    Instant first = book.record(request("t/chat:1", 1, "chat"), "t/a", T0, false);
    Instant second = book.record(request("t/chat:2", 1, "chat"), "t/b", T0, false);
    assertEquals(T0, first);
    assertTrue(second.isAfter(first));
    assertEquals("t/b", book.cursor());

    RoutingRequest returning = new RoutingRequest("t/chat:3", 1, 0, Need.of("chat").withPreferredAgent("t/a"), T0);
    book.record(returning, "t/a", T0.plusSeconds(1), false);
    assertEquals("t/b", book.cursor());
    assertEquals(T0.plusSeconds(1), book.offered("t/chat:3").first());
  }

  @Test
  void anAcceptedRoundIsAnsweredAndRememberedForTwoRedeliveryIntervals() {
    book.record(request("t/chat:1", 1, "chat"), "t/a", T0, false);
    book.accepted("t/chat:1", 2, T0); // another round's acceptance changes nothing
    assertNotNull(book.offered("t/chat:1"));
    assertFalse(book.acceptedRecently("t/chat:1", 1, T0));

    book.accepted("t/chat:1", 1, T0.plusSeconds(1));
    assertNull(book.offered("t/chat:1"));
    assertTrue(book.acceptedRecently("t/chat:1", 1, T0.plusSeconds(2)));
    assertFalse(book.acceptedRecently("t/chat:1", 2, T0.plusSeconds(2)));
    Instant forgotten = T0.plusSeconds(1).plus(REDELIVERY.multipliedBy(2)).plusMillis(1);
    assertFalse(book.acceptedRecently("t/chat:1", 1, forgotten));
  }

  @Test
  void aDeclineAnswersOnlyTheOfferOfItsRoundAndAgent() {
    book.record(request("t/chat:1", 2, "chat"), "t/a", T0, true);
    assertNull(book.declined("t/chat:1", 1, "t/a"));
    assertNull(book.declined("t/chat:1", 2, "t/b"));
    OfferBook.Offered declined = book.declined("t/chat:1", 2, "t/a");
    assertNotNull(declined);
    assertTrue(declined.probe());
    assertNull(book.offered("t/chat:1"));
  }

  @Test
  void aWithdrawnConversationLeavesNoOfferAndNoAcceptance() {
    book.record(request("t/chat:1", 1, "chat"), "t/a", T0, false);
    book.record(request("t/chat:2", 1, "chat"), "t/b", T0, false);
    book.accepted("t/chat:2", 1, T0);
    book.withdrawn("t/chat:1");
    book.withdrawn("t/chat:2");
    assertNull(book.offered("t/chat:1"));
    assertFalse(book.acceptedRecently("t/chat:2", 1, T0));
  }

  @Test
  void anOfferIsResentOnlyOnceNoLongerFreshAndThenCountsAgainFromThen() {
    book.record(request("t/chat:1", 1, "chat"), "t/a", T0, false);
    OfferBook.Offered o = book.offered("t/chat:1");
    assertFalse(book.resendDue("t/chat:1", o, T0.plusSeconds(1)));

    Instant later = T0.plus(REDELIVERY.multipliedBy(2));
    assertTrue(book.resendDue("t/chat:1", o, later));
    OfferBook.Offered again = book.offered("t/chat:1");
    assertEquals(later, again.at());
    assertEquals(T0, again.first()); // the agent sees the same offer
    assertTrue(book.fresh(again, later.plusSeconds(1)));
  }

  @Test
  void offersNobodyAskedAboutForAQueueCheckIntervalAreForgottenAtMostOncePerRedeliveryInterval() {
    book.record(request("t/chat:1", 1, "chat"), "t/a", T0, false);
    book.candidates(MEMBERS, IDLE, "chat", T0); // prunes now: nothing stale yet
    book.record(request("t/chat:2", 1, "chat"), "t/b", T0.plusSeconds(1), false);

    Instant stale = T0.plus(QUEUE_CHECK).plusSeconds(1);
    book.candidates(MEMBERS, IDLE, "chat", stale);
    assertNull(book.offered("t/chat:1"));
    assertNotNull(book.offered("t/chat:2")); // stale only 1 s later: left until the next prune
    book.candidates(MEMBERS, IDLE, "chat", stale.plusSeconds(1));
    assertNotNull(book.offered("t/chat:2"));
    book.candidates(MEMBERS, IDLE, "chat", stale.plus(REDELIVERY));
    assertNull(book.offered("t/chat:2"));
  }

  @Test
  void afterARecoveryTheRoundRobinContinuesAfterTheMemberAssignedLast() {
    book.resumeAfter(MEMBERS, IDLE);
    assertNull(book.cursor());
    book.resumeAfter(List.of("t/a", "t/b", "t/c"), Map.of(
        "t/a", status("t/a", 0, T0.plusSeconds(5)),
        "t/b", status("t/b", 0, T0.plusSeconds(9)),
        "t/c", status("t/c", 0, null)));
    assertEquals("t/b", book.cursor());
  }
}

package io.switchboard.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.switchboard.HoldToken;
import io.switchboard.agent.Agent.Hold;
import io.switchboard.agent.Agent.State;
import io.switchboard.routing.RoutingPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** When the held conversations' offline graces end: pure, no actors. */
class OfflineGraceTest {

  private static final Instant OFFLINE = Instant.parse("2024-06-10T09:00:00Z");
  private static final Duration SERVER = Duration.ofMinutes(2);

  private static RoutingPolicy graceOf(Duration offlineGrace) {
    return new RoutingPolicy(Duration.ofMinutes(5), 3, null, false, null, offlineGrace);
  }

  private static Hold hold(HoldToken token, RoutingPolicy policy) {
    return new Hold(token, "chat", "t/sales", policy, OFFLINE.minusSeconds(60), true);
  }

  /** Offline since {@link #OFFLINE}, holding a claim (no policy), a team with a 30 s grace and one with 10 min. */
  private static State holding() {
    return State.empty()
        .holding("t/chat:claimed", hold(HoldToken.of("c1"), null), null)
        .holding("t/chat:short", hold(HoldToken.round(1), graceOf(Duration.ofSeconds(30))), null)
        .holding("t/chat:long", hold(HoldToken.round(2), graceOf(Duration.ofMinutes(10))), null)
        .holding("t/chat:old-policy", hold(HoldToken.round(3), graceOf(null)), null)
        .offlineSince(OFFLINE);
  }

  @Test
  void aHoldsGraceIsItsTeamsOrTheServersWhenItsPolicyNamesNone() {
    Hold thirtySeconds = hold(HoldToken.round(1), graceOf(Duration.ofSeconds(30)));
    assertEquals(OFFLINE.plusSeconds(30), OfflineGrace.end(OFFLINE, thirtySeconds, SERVER));
    assertEquals(OFFLINE.plus(SERVER), OfflineGrace.end(OFFLINE, hold(HoldToken.round(1), graceOf(null)), SERVER));
    assertEquals(OFFLINE.plus(SERVER), OfflineGrace.end(OFFLINE, hold(HoldToken.claim(), null), SERVER));
  }

  @Test
  void theNextGraceEndIsTheEarliestAfterTheGivenInstant() {
    State s = holding();
    assertEquals(OFFLINE.plusSeconds(30), OfflineGrace.next(s, OFFLINE, null, SERVER));
    assertEquals(OFFLINE.plus(SERVER), OfflineGrace.next(s, OFFLINE, OFFLINE.plusSeconds(30), SERVER));
    assertEquals(OFFLINE.plusSeconds(600), OfflineGrace.next(s, OFFLINE, OFFLINE.plus(SERVER), SERVER));
    assertNull(OfflineGrace.next(s, OFFLINE, OFFLINE.plusSeconds(600), SERVER));
    assertNull(OfflineGrace.next(State.empty(), OFFLINE, null, SERVER));
  }

  @Test
  void dueAreTheHoldsWhoseGraceEndedByNow() {
    State s = holding();
    assertEquals(Set.of(), OfflineGrace.due(s, OFFLINE.plusSeconds(29), SERVER).keySet());
    assertEquals(Set.of("t/chat:short"), OfflineGrace.due(s, OFFLINE.plusSeconds(30), SERVER).keySet());
    assertEquals(Set.of("t/chat:short", "t/chat:claimed", "t/chat:old-policy"),
        OfflineGrace.due(s, OFFLINE.plus(SERVER), SERVER).keySet());
    assertEquals(4, OfflineGrace.due(s, OFFLINE.plusSeconds(600), SERVER).size());
  }

  @Test
  void withoutAKnownOfflineInstantEveryHoldIsDue() {
    // snapshots older than offlineSince: the expiry tells every held conversation at once, as it did then
    State s = holding().offlineSince(null);
    assertEquals(4, OfflineGrace.due(s, OFFLINE, SERVER).size());
  }
}

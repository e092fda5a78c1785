package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.*;

import io.switchboard.routing.StrategyKind;
import io.switchboard.team.TeamConfig;
import io.switchboard.testkit.Fixture;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class SmokeTest {
  static final Fixture f = new Fixture();

  @AfterAll
  static void close() { f.close(); }

  @Test
  void inboundIsAssignedThenReroutedAfterSilence() {
    f.onlineAgent("t1/a", 2);
    f.onlineAgent("t1/b", 2);
    assertTrue(f.configureTeam("t1/sales", TeamConfig.of(List.of("t1/a", "t1/b"), StrategyKind.ROUND_ROBIN, Duration.ofMinutes(5))).ok());
    String c = Fixture.conv("t1", "111");
    assertTrue(f.inbound(c, "m1", "t1/sales").ok());
    f.awaitAssigned(c, "t1/a");
    f.advance(Duration.ofMinutes(5));
    f.awaitAssigned(c, "t1/b");
    f.eventually(() -> assertTrue(f.agent("t1/a").state().holds().isEmpty()));
  }
}

package io.switchboard.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The idempotent asks of {@link Entities#askAgain} against real sharded entities on a one-node cluster:
 * a copy lost on the way is replaced within {@link Entities#RESEND}, an entity slow to answer still gets the
 * whole timeout for its first copy, and one that never answers fails the request at the timeout.
 */
class EntitiesTest {
  static ActorTestKit kit;
  static final EntityTypeKey<Ping> DROPS_FIRST = EntityTypeKey.create(Ping.class, "drops-first");
  static final EntityTypeKey<Ping> SLOW = EntityTypeKey.create(Ping.class, "slow");
  static final EntityTypeKey<Ping> SILENT = EntityTypeKey.create(Ping.class, "silent");
  /** Every copy any entity receives, by entity id. */
  static TestProbe<String> received;

  record Ping(ActorRef<String> replyTo) {}

  /** The slow entity's own timer: answer the first copy now. */
  private record Late(ActorRef<String> replyTo) {}

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("entities-test", ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.port = 0
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.loglevel = WARNING
        """).withFallback(ConfigFactory.load()));
    Cluster.get(kit.system()).manager().tell(Join.create(Cluster.get(kit.system()).selfMember().address()));
    received = kit.createTestProbe();
    ClusterSharding sharding = ClusterSharding.get(kit.system());
    sharding.init(Entity.of(DROPS_FIRST, ctx -> dropsFirst(ctx.getEntityId())));
    sharding.init(Entity.of(SLOW, ctx -> answersTheFirstCopyAfter(ctx.getEntityId(), Duration.ofMillis(2500))));
    sharding.init(Entity.of(SILENT, ctx -> silent(ctx.getEntityId())));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** Loses the first copy (as a region does in a hand-off), answers the others. */
  static Behavior<Ping> dropsFirst(String id) {
    return Behaviors.setup(ctx -> {
      int[] copies = {0};
      return Behaviors.receiveMessage(p -> {
        received.ref().tell(id);
        if (copies[0]++ > 0) p.replyTo().tell("answered copy " + copies[0]);
        return Behaviors.same();
      });
    });
  }

  /** Answers only its first copy, {@code after} it came (an entity recovering on a saturated node). */
  static Behavior<Ping> answersTheFirstCopyAfter(String id, Duration after) {
    return Behaviors.<Object>setup(ctx -> Behaviors.withTimers(timers -> {
      boolean[] first = {true};
      return Behaviors.receiveMessage(m -> {
        if (m instanceof Ping p) {
          received.ref().tell(id);
          if (first[0]) timers.startSingleTimer(new Late(p.replyTo()), after);
          first[0] = false;
        } else if (m instanceof Late l) {
          l.replyTo().tell("first copy answered late");
        }
        return Behaviors.same();
      });
    })).narrow();
  }

  static Behavior<Ping> silent(String id) {
    return Behaviors.receiveMessage(p -> {
      received.ref().tell(id);
      return Behaviors.same();
    });
  }

  private static Entities entities(Duration timeout) {
    return new Entities(kit.system(), timeout);
  }

  @Test
  void aCopyLostOnTheWayIsSentAgainAndItsAnswerIsTheRequestsAnswer() throws Exception {
    String answer = entities(Duration.ofSeconds(5)).askAgain(DROPS_FIRST, "a", Ping::new)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals("answered copy 2", answer);
    assertEquals("a", received.receiveMessage());
    assertEquals("a", received.receiveMessage());
    received.expectNoMessage(Entities.RESEND.plusMillis(300)); // answered: no third copy
  }

  @Test
  void anEntitySlowToAnswerStillGetsTheWholeTimeoutForItsFirstCopy() throws Exception {
    String answer = entities(Duration.ofSeconds(5)).askAgain(SLOW, "b", Ping::new)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals("first copy answered late", answer);
    // copies at 0, 1 and 2 s; answered at 2.5 s, so no fourth
    for (int i = 0; i < 3; i++) assertEquals("b", received.receiveMessage());
    received.expectNoMessage(Entities.RESEND.plusMillis(300));
  }

  @Test
  void anEntityThatNeverAnswersFailsTheRequestAtTheTimeoutAfterACopyEverySecond() {
    CompletableFuture<String> answer = entities(Duration.ofSeconds(3)).askAgain(SILENT, "c", Ping::new)
        .toCompletableFuture();
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> answer.get(10, TimeUnit.SECONDS));
    assertInstanceOf(TimeoutException.class, e.getCause() instanceof java.util.concurrent.CompletionException c
        ? c.getCause() : e.getCause());
    for (int i = 0; i < 3; i++) assertEquals("c", received.receiveMessage());
    received.expectNoMessage(Duration.ofMillis(300));
  }
}

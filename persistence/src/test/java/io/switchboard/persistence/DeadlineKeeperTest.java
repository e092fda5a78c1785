package io.switchboard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.conversation.Conversation;
import io.switchboard.persistence.readmodel.ReadModels;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import java.util.function.Predicate;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.junit.jupiter.api.Test;

/**
 * The wake-up keeper against a real store, with stand-ins for the conversations: it reads the index
 * past the rows it woke that have not answered yet, wakes each row once, and writes back what the
 * conversations answered. Runs on each store through a subclass.
 */
abstract class DeadlineKeeperTest {
  /** A fresh, empty store for one test. */
  protected abstract StoreSettings freshStore();

  private static final int BATCH = 5;

  @Test
  void wakeUpsNotAnsweredYetDoNotHoldBackTheRowsBehindThem() throws Exception {
    StoreSettings store = freshStore();
    // retry-after is an hour: a row behind the silent ones is woken only if a read goes past them
    ActorTestKit kit = StoreTestKit.start(store, "keeper", """
        switchboard.read-models.wakeup { batch = %d, poll-interval = 50ms, retry-after = 1h }
        """.formatted(BATCH));
    try {
      // 13 rows due; the earliest five (a whole read) never answer, like conversations still settling
      // after a restart; rows 4 to 8 share one instant, so a read ends between rows of the same time.
      Rows rows = insertDue(store, 13, i -> i < 4 ? 20 - i : i <= 8 ? 10 : 18 - i);
      List<String> ids = rows.ids();
      Set<String> silent = new HashSet<>(ids.subList(0, BATCH));

      TestProbe<Woke> woken = startKeeper(kit, store, id -> !silent.contains(id));

      Set<String> seen = new HashSet<>();
      for (int i = 0; i < ids.size(); i++) {
        String id = woken.receiveMessage(Duration.ofSeconds(30)).id();
        assertTrue(seen.add(id), id + " woken twice");
      }
      assertEquals(new HashSet<>(ids), seen);

      // the answers (nothing further due) are written back; the silent rows keep their time until retry-after
      woken.awaitAssert(Duration.ofSeconds(20), () -> {
        for (int i = 0; i < ids.size(); i++) {
          Instant expected = silent.contains(ids.get(i)) ? rows.times().get(i) : null;
          assertEquals(expected, wakeAt(store, ids.get(i)), ids.get(i));
        }
        return null;
      });
      woken.expectNoMessage(Duration.ofMillis(300)); // and nobody is woken again meanwhile
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void atMostMaxInFlightWakeUpsWaitForAnAnswerAndTheRestFollowInOrder() throws Exception {
    StoreSettings store = freshStore();
    ActorTestKit kit = StoreTestKit.start(store, "keeper", """
        switchboard.read-models.wakeup { batch = 4, max-in-flight = 3, poll-interval = 50ms, retry-after = 1h }
        """);
    try {
      List<String> ids = insertDue(store, 10, i -> 10 - i).ids();
      TestProbe<Woke> woken = startKeeper(kit, store, id -> false); // answered by the test below

      List<Woke> waiting = new ArrayList<>();
      List<String> order = new ArrayList<>();
      for (int i = 0; i < 3; i++) waiting.add(woken.receiveMessage(Duration.ofSeconds(30)));
      waiting.sort(java.util.Comparator.comparing(Woke::id)); // woken together, they report in any order
      while (!waiting.isEmpty()) {
        woken.expectNoMessage(Duration.ofMillis(300)); // three wait for an answer: nobody else is woken
        Woke w = waiting.remove(0);
        order.add(w.id());
        w.replyTo().tell(new Conversation.Woken(w.id(), w.seq(), null));
        if (order.size() + waiting.size() < ids.size()) waiting.add(woken.receiveMessage(Duration.ofSeconds(30)));
      }
      assertEquals(ids, order, "every row woken once, earliest first");
    } finally {
      kit.shutdownTestKit();
    }
  }

  /** A wake-up as a conversation received it. */
  record Woke(String id, long seq, ActorRef<Conversation.Woken> replyTo) implements NoSerializationVerificationNeeded {}

  /**
   * Stand-ins for the conversations (each reports its wake-ups and, if {@code answers} says so,
   * answers that nothing further is due), then the read models with their keeper.
   */
  private static TestProbe<Woke> startKeeper(ActorTestKit kit, StoreSettings store, Predicate<String> answers)
      throws Exception {
    TestProbe<Woke> woken = kit.createTestProbe(Woke.class);
    ClusterSharding.get(kit.system()).init(Entity.of(Conversation.ENTITY_TYPE_KEY,
        ctx -> standIn(ctx.getEntityId(), answers.test(ctx.getEntityId()), woken.ref())));
    ReadModels.start(kit.system(), store).ready().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return woken;
  }

  private static Behavior<Conversation.Command> standIn(String id, boolean answers, ActorRef<Woke> woken) {
    return Behaviors.receive(Conversation.Command.class)
        .onMessage(Conversation.WakeUp.class, w -> {
          woken.tell(new Woke(id, w.seq(), w.replyTo()));
          if (answers) w.replyTo().tell(new Conversation.Woken(id, w.seq(), null));
          return Behaviors.same();
        })
        .build();
  }

  /** Rows of the wake-up index, in the order inserted. */
  private record Rows(List<String> ids, List<Instant> times) {}

  /** Inserts {@code n} rows due, for conversations a, b, c, ...: row i fell due {@code minutesAgo(i)} minutes ago. */
  private static Rows insertDue(StoreSettings store, int n, IntUnaryOperator minutesAgo) throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS); // the stores keep microseconds
    List<String> ids = new ArrayList<>();
    List<Instant> times = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add("keeper/whatsapp:" + (char) ('a' + i));
      times.add(now.minus(Duration.ofMinutes(minutesAgo.applyAsInt(i))));
    }
    try (Connection con = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
         PreparedStatement ps = con.prepareStatement(
             "INSERT INTO sb_wakeup (conversation_id, wake_at, seq) VALUES (?, ?, 1)")) {
      for (int i = 0; i < ids.size(); i++) {
        ps.setString(1, ids.get(i));
        ps.setObject(2, OffsetDateTime.ofInstant(times.get(i), ZoneOffset.UTC));
        ps.addBatch();
      }
      ps.executeBatch();
    }
    return new Rows(ids, times);
  }

  private static Instant wakeAt(StoreSettings store, String conversationId) throws Exception {
    try (Connection con = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
         PreparedStatement ps = con.prepareStatement("SELECT wake_at FROM sb_wakeup WHERE conversation_id = ?")) {
      ps.setString(1, conversationId);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next(), "no row for " + conversationId);
        OffsetDateTime t = rs.getObject(1, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
      }
    }
  }
}

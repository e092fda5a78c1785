package io.switchboard.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The bounded fan-out of a WhatsApp POST's messages: at most n conversations at once, each in payload order. */
class WhatsAppFanOutTest {
  private static final ActorTestKit testKit = ActorTestKit.create("WhatsAppFanOutTest");
  private static final Materializer materializer = Materializer.matFromSystem(testKit.system());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** An item of a payload: the {@code n}-th message of contact {@code key}. */
  private record Item(String key, int n) {}

  @Test
  void asksAtMostParallelismAtOnceAndEachKeyInOrder() throws Exception {
    // 40 contacts' 3 messages each, interleaved the way a POST of several changes can carry them
    List<Item> items = new ArrayList<>();
    for (int n = 0; n < 3; n++) for (int k = 0; k < 40; k++) items.add(new Item("c" + k, n));
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    Set<Item> done = ConcurrentHashMap.newKeySet();
    Map<String, List<Integer>> started = new ConcurrentHashMap<>();
    List<String> outOfOrder = new ArrayList<>();

    List<String> results = WhatsAppRoutes.inOrderPerKey(items, Item::key, 4, item -> {
      most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      started.computeIfAbsent(item.key(), k -> new ArrayList<>()).add(item.n());
      if (item.n() > 0 && !done.contains(new Item(item.key(), item.n() - 1))) {
        synchronized (outOfOrder) {
          outOfOrder.add(item.toString());
        }
      }
      // answers come after a few milliseconds in any order, as an entity's would
      return CompletableFuture.supplyAsync(() -> {
        done.add(item);
        inFlight.decrementAndGet();
        return item.key() + "/" + item.n();
      }, CompletableFuture.delayedExecutor(ThreadLocalRandom.current().nextInt(1, 4), TimeUnit.MILLISECONDS));
    }, materializer).toCompletableFuture().get(20, TimeUnit.SECONDS);

    assertTrue(most.get() <= 4, "at most 4 asks at once, saw " + most.get());
    assertTrue(most.get() > 1, "the keys are asked side by side, saw " + most.get());
    assertEquals(List.of(), outOfOrder, "each item asked once the one before it of its key was answered");
    started.forEach((key, ns) -> assertEquals(List.of(0, 1, 2), ns, key));
    List<String> expected = new ArrayList<>();
    for (int k = 0; k < 40; k++) for (int n = 0; n < 3; n++) expected.add("c" + k + "/" + n);
    assertEquals(expected, results, "key by key in the order of their first item, each key's in list order");
  }

  @Test
  void aFailedAskFailsTheWhole() {
    List<Item> items = List.of(new Item("a", 0), new Item("b", 0), new Item("a", 1));
    CompletionStage<List<String>> all = WhatsAppRoutes.inOrderPerKey(items, Item::key, 2,
        item -> item.key().equals("b") ? CompletableFuture.failedFuture(new IllegalStateException("the store is down"))
            : CompletableFuture.completedFuture(item.toString()), materializer);

    ExecutionException e = assertThrows(ExecutionException.class,
        () -> all.toCompletableFuture().get(20, TimeUnit.SECONDS));
    assertInstanceOf(IllegalStateException.class, e.getCause());
  }

  @Test
  void nothingToAskIsAnEmptyList() throws Exception {
    assertEquals(List.of(), WhatsAppRoutes.<Item, String>inOrderPerKey(List.of(), Item::key, 16,
        item -> CompletableFuture.completedFuture(item.toString()), materializer)
        .toCompletableFuture().get(20, TimeUnit.SECONDS));
  }
}

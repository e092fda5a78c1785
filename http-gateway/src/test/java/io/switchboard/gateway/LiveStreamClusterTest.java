package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.agent.Agent;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The agents' live streams across a cluster: two gateways (two actor systems in this JVM, ports 0)
 * on a PostgreSQL database of the test's own. The agent's entity runs on node A; its stream is read
 * on node B (and resumed on A with {@code Last-Event-ID}); every assignment arrives, in order, once.
 */
class LiveStreamClusterTest {
  private static final String DB = "sb_live_" + Long.toUnsignedString(System.nanoTime(), 36);
  private static final String PG = "jdbc:postgresql://127.0.0.1:5432/";
  private static TestGateway a;
  private static TestGateway b;
  private static String key;
  /** The agent whose entity lives on node A. */
  private static String agent;
  private static int contacts;

  @BeforeAll
  static void cluster() throws Exception {
    try (Connection c = DriverManager.getConnection(PG + "postgres", "postgres", ""); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + DB);
    }
    String store = store();
    a = new TestGateway(store);
    b = new TestGateway(store + "pekko.cluster.seed-nodes = [\"" + a.gateway.system().address() + "\"]\n");
    awaitMembersUp(2);
    key = a.tenant("live", Map.of());
    for (int i = 1; i <= 8; i++) {
      String name = "desk" + i;
      assertEquals(200, a.call("PUT", "/v1/tenants/live/agents/" + name, key,
          Map.of("capacity", Map.of("*", 100))).status());
      assertEquals(200, b.call("PUT", "/v1/tenants/live/agents/" + name + "/presence", key,
          Map.of("presence", "ONLINE")).status());
    }
    agent = agentOnA();
    assertEquals(200, a.call("PUT", "/v1/tenants/live/teams/desk", key, Map.of("members", List.of(agent),
        "strategy", "LEAST_BUSY", "replyWindow", "PT10M")).status());
    probe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      assertEquals(1, a.call("GET", "/v1/tenants/live/teams/desk", key, null).body().get("memberStatus").size());
      return null;
    });
  }

  private static String store() {
    return "switchboard.persistence.store = postgres\nswitchboard.persistence.postgres.url = \"" + PG + DB + "\"\n";
  }

  /** Waits until node A sees exactly {@code n} members, all Up. */
  private static void awaitMembersUp(int n) {
    probe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      var members = java.util.stream.StreamSupport.stream(
          Cluster.get(a.gateway.system()).state().getMembers().spliterator(), false).toList();
      assertEquals(n, members.size(), "members " + members);
      assertTrue(members.stream().allMatch(m -> m.status() == MemberStatus.up()), "members " + members);
      return null;
    });
  }

  /** An agent name whose entity node A's shard region holds. */
  private static String agentOnA() {
    TestProbe<ShardRegion.CurrentShardRegionState> p = TestProbe.create(a.gateway.system());
    ClusterSharding.get(a.gateway.system()).shardState().tell(new GetShardRegionState(Agent.ENTITY_TYPE_KEY, p.ref()));
    Set<String> local = new HashSet<>();
    p.receiveMessage(Duration.ofSeconds(10)).getShards().forEach(s -> local.addAll(s.getEntityIds()));
    String found = local.stream().filter(id -> id.startsWith("live/desk")).sorted().findFirst().orElse(null);
    assertNotNull(found, "no agent entity on node A: " + local);
    return found.substring("live/".length());
  }

  @AfterAll
  static void stop() throws Exception {
    if (b != null) b.close();
    if (a != null) a.close();
    try (Connection c = DriverManager.getConnection(PG + "postgres", "postgres", ""); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
    }
  }

  private static TestProbe<Object> probe() {
    return TestProbe.create(a.gateway.system());
  }

  private String events() {
    return "/v1/tenants/live/agents/" + agent + "/events";
  }

  /** A new contact's first message, through {@code node}; returns its conversation. */
  private static String send(TestGateway node) {
    Map<String, Object> msg = newContactsMessage();
    TestGateway.Answer r = node.call("POST", "/v1/tenants/live/messages", key, msg);
    assertEquals(202, r.status(), r.raw());
    return "webchat:" + msg.get("contact");
  }

  /** The first message of a contact never seen before, to the team "desk". */
  private static Map<String, Object> newContactsMessage() {
    String contact = "c" + (++contacts);
    return new HashMap<>(Map.of("channel", "webchat", "contact", contact, "messageId", "m-" + contact,
        "type", "text", "text", "hello", "timestamp", Instant.now().toString(), "team", "desk"));
  }

  @Test
  void aStreamOnNodeBGetsEveryAssignmentOfAnAgentOnNodeAInOrder() throws Exception {
    try (SseClient sse = new SseClient(b.client, b.base() + events(), key)) {
      assertEquals(200, sse.status);
      SseClient.Event subscribed = sse.next(30);
      assertEquals("subscribed", subscribed.type());
      long id = Long.parseLong(subscribed.id());

      // one at a time, through both nodes: each assignment arrives, in the order they happened
      List<Long> millis = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        long sent = System.nanoTime();
        String conversation = send(i % 2 == 0 ? a : b);
        SseClient.Event e = sse.next("assigned", 30);
        millis.add((System.nanoTime() - sent) / 1_000_000);
        assertEquals(conversation, e.data().get("conversation").asText(), "assignment " + i);
        assertEquals(agent, e.data().get("agent").asText());
        assertEquals(Long.toString(++id), e.id(), "ids count the agent's events");
      }
      List<Long> sorted = new ArrayList<>(millis);
      sorted.sort(null);
      System.out.printf("live stream on node B, agent on node A: 202 -> event, median %d ms, max %d ms, in order %s%n",
          sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), millis);

      // a burst: every one arrives, once, numbered without a gap
      Set<String> burst = new HashSet<>();
      for (int i = 0; i < 20; i++) burst.add(send(i % 2 == 0 ? a : b));
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < burst.size(); i++) {
        SseClient.Event e = sse.next("assigned", 30);
        assertTrue(seen.add(e.data().get("conversation").asText()), "twice: " + e.data());
        assertEquals(Long.toString(++id), e.id());
      }
      assertEquals(burst, seen);
    }
  }

  @Test
  void aClientResumesOnTheOtherNodeWithLastEventIdAndLosesNothing() throws Exception {
    List<String> sent = new ArrayList<>();
    List<SseClient.Event> first = new ArrayList<>();
    try (SseClient sse = new SseClient(b.client, b.base() + events(), key)) {
      assertEquals("subscribed", sse.next(30).type());
      for (int i = 0; i < 10; i++) sent.add(send(i % 2 == 0 ? a : b));
      for (int i = 0; i < 4; i++) first.add(sse.next("assigned", 30));
    }
    // disconnected: more happens meanwhile
    for (int i = 0; i < 5; i++) sent.add(send(i % 2 == 0 ? b : a));

    List<SseClient.Event> rest = resumeAndCheck(a, first, sent);
    // nothing left over: a stream opened now starts right after the last event received
    try (SseClient sse = new SseClient(b.client, b.base() + events(), key)) {
      assertEquals(rest.get(rest.size() - 1).id(), sse.next(30).id());
    }
  }

  /**
   * The node serving a stream dies (its actor system ends without leaving the cluster, as with kill -9): the
   * client reconnects to another node with the last id it received and gets every event after it, those
   * that happened while it was away included, once each and without a gap.
   */
  @Test
  void whenTheStreamsNodeDiesTheClientResumesOnAnotherAndLosesNothing() throws Exception {
    TestGateway c = new TestGateway(store() + "pekko.cluster.seed-nodes = [\"" + a.gateway.system().address() + "\"]\n"
        + "pekko.coordinated-shutdown.run-by-actor-system-terminate = off\n");
    List<String> sent = new ArrayList<>();
    List<SseClient.Event> first = new ArrayList<>();
    try {
      awaitMembersUp(3);
      SseClient sse = new SseClient(c.client, c.base() + events(), key);
      assertEquals("subscribed", sse.next(30).type());
      for (int i = 0; i < 10; i++) sent.add(send(i % 2 == 0 ? a : b));
      for (int i = 0; i < 4; i++) first.add(sse.next("assigned", 30));
      // node C dies with the stream open: no CoordinatedShutdown, no leave; the survivors down it
      org.apache.pekko.actor.Address dead = c.gateway.system().address();
      c.gateway.system().terminate();
      c.gateway.system().getWhenTerminated().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      sse.close();
      Cluster.get(a.gateway.system()).manager().tell(new org.apache.pekko.cluster.typed.Down(dead));
      awaitMembersUp(2);
    } finally {
      c.receiver.stop();
      c.receivers.shutdownTestKit();
    }
    for (int i = 0; i < 5; i++) sent.add(sendUntilAccepted(i % 2 == 0 ? b : a));
    resumeAndCheck(b, first, sent);
  }

  /**
   * Opens the stream on {@code node} with the id of the last event in {@code first} and reads the rest of
   * {@code sent}: the stream starts where the client left, and first + rest hold every conversation sent,
   * once each, numbered without a gap. Returns the rest.
   */
  private List<SseClient.Event> resumeAndCheck(TestGateway node, List<SseClient.Event> first, List<String> sent)
      throws Exception {
    String lastId = first.get(first.size() - 1).id();
    List<SseClient.Event> rest = new ArrayList<>();
    try (SseClient sse = new SseClient(node.client, node.base() + events(), key, lastId)) {
      SseClient.Event subscribed = sse.next(30);
      assertEquals("subscribed", subscribed.type());
      assertEquals(lastId, subscribed.id(), "the stream starts where the client left");
      for (int i = 0; i < sent.size() - first.size(); i++) rest.add(sse.next("assigned", 30));
    }
    Set<String> all = new HashSet<>();
    long id = Long.parseLong(first.get(0).id());
    for (SseClient.Event e : concat(first, rest)) {
      assertTrue(all.add(e.data().get("conversation").asText()), "twice: " + e.data());
      assertEquals(Long.toString(id++), e.id(), "no gap, no repeat");
    }
    assertEquals(new HashSet<>(sent), all);
    return rest;
  }

  /**
   * A new contact's first message, sent again (same message id) while the answer is a 503: right after a node
   * died, an entity that lived there answers only once its shard runs on a survivor.
   */
  private static String sendUntilAccepted(TestGateway node) {
    Map<String, Object> msg = newContactsMessage();
    probe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      TestGateway.Answer r = node.call("POST", "/v1/tenants/live/messages", key, msg);
      assertEquals(202, r.status(), r.raw());
      return null;
    });
    return "webchat:" + msg.get("contact");
  }

  @Test
  void aLastEventIdThatIsNoIdIsRefused() throws Exception {
    for (String bad : List.of("abc", "-1", "12x", "99999999999999999999")) {
      java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(b.base() + events()))
          .header("Authorization", "Bearer " + key).header("Last-Event-ID", bad).GET().build();
      java.net.http.HttpResponse<String> res = b.client.send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(400, res.statusCode(), res.body());
      assertEquals("invalid_last_event_id", TestGateway.JSON.readTree(res.body()).get("error").asText());
    }
  }

  private static <T> List<T> concat(List<T> x, List<T> y) {
    List<T> all = new ArrayList<>(x);
    all.addAll(y);
    return all;
  }
}

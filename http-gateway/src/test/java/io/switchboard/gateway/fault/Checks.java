package io.switchboard.gateway.fault;

import static io.switchboard.gateway.fault.FaultRun.AGENTS;
import static io.switchboard.gateway.fault.FaultRun.QUIET;
import static io.switchboard.gateway.fault.FaultRun.TENANT;
import static io.switchboard.gateway.fault.FaultRun.capacityOf;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.gateway.fault.Api.Result;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * What the fault test checks through the API ({@link FaultRun} says when): acknowledged writes after a restart,
 * reply windows armed before a stop, capacity, single assignment. Every failure is added to {@code violations}.
 */
final class Checks {
  /** A quiet-team conversation waiting for its agent's first answer, as its view showed it before a stop. */
  record Before(String agent, int reroutes, Instant deadline) {}

  private final Api api;
  private final Map<String, Contact> contacts;
  private final List<String> violations;
  private final AtomicInteger overshoots;

  Checks(Api api, Map<String, Contact> contacts, List<String> violations, AtomicInteger overshoots) {
    this.api = api;
    this.contacts = contacts;
    this.violations = violations;
    this.overshoots = overshoots;
  }

  boolean checkCapacity(String agent, JsonNode view, String when) {
    int cap = capacityOf(agent);
    int held = view.path("holding").size();
    int load = view.path("load").path("webchat").asInt(0);
    if (held > cap || load > cap) {
      overshoots.incrementAndGet();
      violations.add(agent + " above its capacity " + cap + " " + when + ": holding " + view.path("holding")
          + ", load " + view.path("load"));
      return false;
    }
    return true;
  }

  /** The views of {@code keys} on {@code node}, 16 at a time: those answered 200 or 404 (a 503 is asked again). */
  Map<String, Result> views(Node node, Set<String> keys) {
    Map<String, Result> out = new ConcurrentHashMap<>();
    try {
      Awaitility.await("conversation views").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
          .pollDelay(Duration.ZERO).until(() -> {
            Set<String> todo = new java.util.HashSet<>(keys);
            todo.removeAll(out.keySet());
            out.putAll(viewsOnce(node, todo));
            return out.size() == keys.size();
          });
    } catch (ConditionTimeoutException e) {
      violations.add("no view of " + (keys.size() - out.size()) + " conversations within 2 min");
    }
    return out;
  }

  /** One pass over {@code keys}: the views answered 200 or 404. */
  Map<String, Result> viewsOnce(Node node, Set<String> keys) {
    Map<String, Result> out = new HashMap<>();
    List<String> todo = new ArrayList<>(keys);
    for (int i = 0; i < todo.size(); i += 16) {
      List<String> batch = todo.subList(i, Math.min(todo.size(), i + 16));
      List<CompletableFuture<Result>> fs = batch.stream().map(k -> api.async("GET", node.base(),
          "/v1/tenants/" + TENANT + "/conversations/" + k, null)).toList();
      for (int j = 0; j < batch.size(); j++) {
        Result r = fs.get(j).join();
        if (r.status() == 200 || r.status() == 404) out.put(batch.get(j), r);
      }
    }
    return out;
  }

  /**
   * Every acknowledged message, resolve and reply is there.
   *
   * @return lost messages, resolves acknowledged, lost, replies acknowledged, lost
   */
  long[] durability(Node node, String when) {
    Set<String> keys = contacts.values().stream().filter(c -> c.acked > 0).map(c -> c.key).collect(Collectors.toSet());
    Map<String, Result> views = views(node, keys);
    long lost = 0;
    long resolves = 0;
    long lostResolves = 0;
    long replies = 0;
    long lostReplies = 0;
    List<String> examples = new ArrayList<>();
    for (String k : keys) {
      Contact c = contacts.get(k);
      Result v = views.get(k);
      if (v == null) continue;
      long messages = v.status() == 404 ? 0 : v.body().path("messages").asLong();
      if (messages < c.acked) {
        lost += c.acked - messages;
        if (examples.size() < 5) examples.add(k + ": " + c.acked + " acknowledged, " + (v.status() == 404
            ? "conversation 404" : messages + " stored"));
      }
      if (c.resolveAcked) {
        resolves++;
        if (!"RESOLVED".equals(v.text("status"))) {
          lostResolves++;
          if (examples.size() < 10) examples.add(k + ": resolve acknowledged, now " + v.text("status"));
        }
      }
      if (c.replyAcked && !c.resolveAttempted) {
        replies++;
        if (v.body() == null || !v.body().path("answered").asBoolean()) {
          lostReplies++;
          if (examples.size() < 15) examples.add(k + ": reply acknowledged, now answered=false (" + v.raw() + ")");
        }
      }
    }
    if (lost + lostResolves + lostReplies > 0) {
      violations.add(String.format("after %s: %d acknowledged messages, %d resolves, %d replies lost, e.g. %s", when,
          lost, lostResolves, lostReplies, examples));
    }
    return new long[] {lost, resolves, lostResolves, replies, lostReplies};
  }

  /**
   * Quiet-team conversations waiting for their agent's first answer just before a stop: those the quiet agents
   * hold whose views say assigned to them, unanswered, with a reply deadline.
   */
  Map<String, Before> armedWindows(Node node) {
    List<String> held = new ArrayList<>();
    for (String a : QUIET) {
      Result v = api.get(node.base(), "/v1/tenants/" + TENANT + "/agents/" + a);
      if (v.ok() && v.body() != null) v.body().path("holding").forEach(h -> held.add(h.asText()));
    }
    Map<String, Before> armed = new HashMap<>();
    viewsOnce(node, Set.copyOf(held)).forEach((k, r) -> {
      JsonNode b = r.body();
      if (r.status() == 200 && "ASSIGNED".equals(b.path("status").asText()) && QUIET.contains(b.path("agent").asText())
          && !b.path("answered").asBoolean() && b.hasNonNull("replyDeadline")) {
        armed.put(k, new Before(b.path("agent").asText(), b.path("reroutes").asInt(),
            Instant.parse(b.path("replyDeadline").asText())));
      }
    });
    return armed;
  }

  /** Waits until every window armed before the stop (deadline after it) has lapsed; seconds from ready. */
  double windowsFired(int number, Map<String, Before> armed, Instant stoppedAt, Node node, int[] fired) {
    Map<String, Before> due = new HashMap<>(armed);
    due.values().removeIf(b -> b.deadline().isBefore(stoppedAt));
    Set<String> waiting = ConcurrentHashMap.newKeySet();
    waiting.addAll(due.keySet());
    long t0 = System.nanoTime();
    AtomicReference<String> last = new AtomicReference<>("");
    try {
      Awaitility.await("reply windows armed before stop " + number).atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200)).pollDelay(Duration.ZERO).until(() -> {
            viewsOnce(node, Set.copyOf(waiting)).forEach((k, v) -> {
              JsonNode b = v.body();
              boolean lapsed = v.status() == 200 && (b.path("reroutes").asInt() > due.get(k).reroutes()
                  || ("ESCALATED".equals(b.path("status").asText())
                      && b.path("reason").asText("").startsWith("reply_window_lapsed")));
              if (lapsed) waiting.remove(k);
              else last.set(k + " " + v.raw());
            });
            return waiting.isEmpty();
          });
    } catch (ConditionTimeoutException e) {
      violations.add("stop " + number + ": " + waiting.size() + " of " + due.size() + " reply windows armed before it "
          + "did not fire within 60 s of the restart, e.g. " + last.get());
    }
    fired[0] = due.size() - waiting.size();
    return (System.nanoTime() - t0) / 1e9;
  }

  /**
   * Once traffic is over: no agent above its capacity, no conversation with two agents; agents' holds, their
   * open conversations (read model) and the conversations' views agree.
   *
   * <p>The system still moves when traffic stops: a saturated quiet team drains its queue (three holds a
   * second with nine slots and a 3 s window; a long run left it 50 s of work), desk conversations not answered
   * lapse every 60 s. One poll reads the views, then the agents, seconds apart, so a conversation assigned or
   * released meanwhile disagrees with its holder in that poll only. A disagreement counts when the next poll
   * finds it again with the same view and the same holders (nothing moved: it is stuck); the check passes at
   * the first poll that repeats none of the previous poll's.
   *
   * @return double assignments, stale holds (of the last poll's repeated disagreements)
   */
  int[] consistency(Node node) {
    AtomicReference<int[]> found = new AtomicReference<>(new int[] {0, 0});
    AtomicReference<List<String>> problems = new AtomicReference<>(List.of());
    AtomicReference<Map<String, Problem>> previous = new AtomicReference<>(null);
    Set<String> keys = contacts.values().stream().filter(c -> c.sent > 0).map(c -> c.key).collect(Collectors.toSet());
    try {
      Awaitility.await("agents and conversations agree").atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500)).pollDelay(Duration.ZERO).until(() -> {
            Map<String, Problem> now = disagreements(node, keys);
            Map<String, Problem> before = previous.getAndSet(now);
            if (before == null) return false;
            List<Problem> repeated = now.entrySet().stream().filter(e -> e.getValue().state() == null
                || e.getValue().equals(before.get(e.getKey()))).map(Map.Entry::getValue).toList();
            found.set(new int[] {(int) repeated.stream().filter(Problem::doubleAssignment).count(),
                (int) repeated.stream().filter(Problem::staleHold).count()});
            problems.set(repeated.stream().map(Problem::text).toList());
            return repeated.isEmpty();
          });
    } catch (ConditionTimeoutException e) {
      violations.add("at the end, after 60 s: " + problems.get().size() + " disagreements that stayed from one poll "
          + "to the next, e.g. " + problems.get().stream().limit(10).toList());
      if (problems.get().stream().anyMatch(x -> x.contains("above capacity"))) overshoots.incrementAndGet();
    }
    return found.get();
  }

  /**
   * A disagreement seen in one poll. {@code state} is what it was seen with (the conversation's view, the
   * holders, the read model's row): the same problem in the next poll is one that did not move. Null: it
   * counts at once (an agent above its capacity is wrong even for a moment).
   */
  record Problem(String text, String state, boolean doubleAssignment, boolean staleHold) {}

  /** One poll: every disagreement, keyed by what it is about. */
  private Map<String, Problem> disagreements(Node node, Set<String> keys) {
    Map<String, Problem> out = new HashMap<>();
    Map<String, Result> views = viewsOnce(node, keys);
    Map<String, List<String>> holders = new HashMap<>();
    for (String a : AGENTS) {
      Result v = api.get(node.base(), "/v1/tenants/" + TENANT + "/agents/" + a);
      Result rows = api.get(node.base(), "/v1/tenants/" + TENANT + "/agents/" + a + "/conversations");
      if (!v.ok() || !rows.ok()) {
        out.put("agent " + a, new Problem(a + ": view " + v.status() + ", conversations " + rows.status(),
            v.status() + "/" + rows.status(), false, false));
        continue;
      }
      int cap = capacityOf(a);
      if (v.body().path("holding").size() > cap || v.body().path("load").path("webchat").asInt(0) > cap) {
        out.put("capacity " + a, new Problem(a + " above capacity " + cap + ": " + v.body().path("holding"),
            null, false, false));
      }
      for (JsonNode h : v.body().path("holding")) holders.computeIfAbsent(h.asText(), x -> new ArrayList<>()).add(a);
      int assignedRows = 0;
      for (JsonNode row : rows.body()) {
        if (!"ASSIGNED".equals(row.path("status").asText())) continue;
        assignedRows++;
        String conv = row.path("conversation").asText();
        Result cv = views.get(conv);
        String agentNow = cv == null || cv.body() == null ? null : cv.text("agent");
        if (!a.equals(agentNow)) {
          out.put("row " + a + " " + conv, new Problem(a + "'s open conversations (read model) list " + conv
              + ", whose view says agent " + agentNow, row + " " + (cv == null ? null : cv.raw()), false, false));
        }
      }
      if (assignedRows > cap) {
        out.put("rows " + a, new Problem(a + "'s open conversations (read model): " + assignedRows + " > " + cap,
            rows.raw(), false, false));
      }
    }
    for (Map.Entry<String, List<String>> h : holders.entrySet()) {
      Result cv = views.get(h.getKey());
      String status = cv == null ? null : cv.text("status");
      String agent = cv == null ? null : cv.text("agent");
      String state = h.getValue() + " " + (cv == null ? null : cv.raw());
      if (h.getValue().size() > 1) {
        out.put("held " + h.getKey(), new Problem(h.getKey() + " held by " + h.getValue(), state, true, false));
      } else if (!"ASSIGNED".equals(status) || !h.getValue().get(0).equals(agent)) {
        boolean assigned = "ASSIGNED".equals(status);
        out.put("held " + h.getKey(), new Problem(h.getKey() + " held by " + h.getValue() + ", its view: " + status
            + " agent " + agent, state, assigned, !assigned));
      }
    }
    for (Map.Entry<String, Result> e : views.entrySet()) {
      Result v = e.getValue();
      List<String> by = holders.getOrDefault(e.getKey(), List.of());
      if (v.status() == 200 && "ASSIGNED".equals(v.text("status")) && !by.contains(v.text("agent"))) {
        out.put("assigned " + e.getKey(), new Problem(e.getKey() + " assigned to " + v.text("agent")
            + ", who does not hold it (holders: " + holders.get(e.getKey()) + ")",
            by + " " + v.raw(), true, false));
      }
    }
    return out;
  }
}

package io.switchboard.gateway.live;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.EntityIds;
import io.switchboard.persistence.readmodel.ReadModelQueries;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * An agent's live stream, the same on every node: {@code subscribed} (its id: where the stream
 * starts), then the agent's log ({@code sb_agent_event}) after that point, each line with its
 * {@code seq} as the SSE id, read when a hint says there is more ({@link AgentEvents.Changed}) and
 * every {@code poll-interval} otherwise; {@code window_closing} lines (not in the log) pass through
 * without an id. Queries run on the read models' dispatcher and only on demand: a slow client lags
 * and loses nothing. docs/ARCHITECTURE.md, "The agents' live streams".
 */
public final class AgentStream {
  /** Lines read per query. */
  static final int PAGE = 100;
  /** Non-durable lines held for a slow client; beyond that the oldest go. */
  private static final int LIVE_BUFFER = 64;

  private final ReadModelQueries queries;
  private final ActorRef<AgentEvents.Command> events;
  private final ObjectMapper json;
  private final Duration pollInterval;
  private final Duration keepAlive;
  /**
   * Ends every open stream when the node starts to stop (before it unbinds): the clients reconnect to
   * another node and resume with Last-Event-ID, and the stop does not wait for them until its
   * deadline, nor do they poll the read models' pool after it closed.
   */
  private final SharedKillSwitch stopping = KillSwitches.shared("agent-streams");

  public AgentStream(ReadModelQueries queries, ActorRef<AgentEvents.Command> events, ObjectMapper json,
      Duration pollInterval, Duration keepAlive) {
    this.queries = queries;
    this.events = events;
    this.json = json;
    this.pollInterval = pollInterval;
    this.keepAlive = keepAlive;
  }

  /**
   * @param agentId {@code tenant/name}
   * @param after the client's {@code Last-Event-ID}; empty: from the agent's last line now
   */
  public Source<ServerSentEvent, NotUsed> of(String agentId, Optional<Long> after) {
    CompletionStage<Long> start = after.isPresent() ? CompletableFuture.completedFuture(after.get())
        : queries.agentFeedHead(agentId);
    return Source.completionStage(start)
        .flatMapConcat(from -> Source.single(ServerSentEvent.create("{}", Optional.of("subscribed"),
            Optional.of(Long.toString(from)), OptionalInt.empty())).concat(lines(agentId, from)))
        .keepAlive(keepAlive, ServerSentEvent::heartbeat)
        .via(stopping.flow())
        .mapMaterializedValue(m -> NotUsed.notUsed());
  }

  private Source<ServerSentEvent, NotUsed> lines(String agentId, long from) {
    Source<AgentEvents.Feed, NotUsed> hints = ActorSource.<AgentEvents.Feed>actorRef(f -> false, f -> Optional.empty(),
            LIVE_BUFFER, OverflowStrategy.dropHead())
        .mapMaterializedValue(ref -> {
          events.tell(new AgentEvents.Subscribe(agentId, ref));
          return NotUsed.notUsed();
        });
    AgentEvents.Feed poll = new AgentEvents.Changed(List.of(agentId));
    Source<AgentEvents.Feed, NotUsed> triggers = Source.<AgentEvents.Feed>single(poll)
        .concat(hints.merge(Source.tick(pollInterval, pollInterval, poll)));
    // what arrives while a query runs collapses into one batch: at most one more query, live lines kept
    return triggers.conflateWithSeed(Batch::of, Batch::add)
        .scanAsync(new Cursor(from, List.of()), (cursor, batch) -> step(agentId, cursor, batch))
        .mapConcat(Cursor::out);
  }

  /** Completes every open stream (at a graceful stop); streams opened later complete at once. */
  public void endAll() {
    stopping.shutdown();
  }

  /** Where the stream is in the agent's log, and the lines to send for the last step. */
  private record Cursor(long seq, List<ServerSentEvent> out) {}

  private record Batch(boolean query, List<AgentEvent> live) {
    static Batch of(AgentEvents.Feed f) {
      return new Batch(false, List.of()).add(f);
    }

    Batch add(AgentEvents.Feed f) {
      if (f instanceof AgentEvents.Live l) {
        List<AgentEvent> more = new ArrayList<>(live.size() < LIVE_BUFFER ? live : live.subList(1, live.size()));
        more.add(l.event());
        return new Batch(query, List.copyOf(more));
      }
      return new Batch(true, live);
    }
  }

  private CompletionStage<Cursor> step(String agentId, Cursor cursor, Batch batch) {
    List<ServerSentEvent> out = new ArrayList<>();
    for (AgentEvent e : batch.live()) out.add(ServerSentEvent.create(toJson(e), e.type()));
    if (!batch.query()) return CompletableFuture.completedFuture(new Cursor(cursor.seq(), out));
    return drain(agentId, cursor.seq(), out);
  }

  /** Reads page after page until the log has no more (bounded: the log keeps agent-events-kept lines). */
  private CompletionStage<Cursor> drain(String agentId, long after, List<ServerSentEvent> out) {
    return queries.agentFeedAfter(agentId, after, PAGE).thenCompose(rows -> {
      long seq = after;
      for (ReadModelQueries.AgentFeedEvent r : rows) {
        AgentEvent e = new AgentEvent(r.type(), EntityIds.localName(r.agentId()), EntityIds.localName(r.conversationId()),
            EntityIds.localName(r.team()), r.reason(), r.at(), null);
        out.add(ServerSentEvent.create(toJson(e), Optional.of(e.type()), Optional.of(Long.toString(r.seq())),
            OptionalInt.empty()));
        seq = r.seq();
      }
      return rows.size() < PAGE ? CompletableFuture.completedFuture(new Cursor(seq, out)) : drain(agentId, seq, out);
    });
  }

  private String toJson(AgentEvent e) {
    try {
      return json.writeValueAsString(e);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException(ex);
    }
  }
}

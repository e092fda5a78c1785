package io.switchboard.persistence.readmodel;

import com.typesafe.config.Config;
import io.switchboard.conversation.Conversation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Wakes conversations for their deadlines from the wake-up index {@code sb_wakeup} (one per cluster,
 * a singleton): every {@code poll-interval} it reads the rows due within {@code lookahead}, earliest
 * first, and tells each conversation {@link Conversation.WakeUp}, at most once per row version and
 * {@code retry-after}. A conversation that was passivated (or lost with a node) starts, recovers and
 * fires what is due; each answers {@link Conversation.Woken} with its own next deadline, which the
 * keeper writes back into the index in batches. A row stays until it is rewritten, so a wake-up that
 * is lost is sent again. JDBC runs on the read models' query dispatcher and comes back with
 * {@code pipeToSelf}. See docs/ARCHITECTURE.md, "Recovery on demand".
 */
public final class DeadlineKeeper {
  private DeadlineKeeper() {}

  /** {@code switchboard.read-models.wakeup}. */
  public record Settings(Duration pollInterval, Duration lookahead, Duration retryAfter, int batch,
      Duration checkAfter) {
    public static Settings from(Config readModels) {
      Config c = readModels.getConfig("wakeup");
      return new Settings(c.getDuration("poll-interval"), c.getDuration("lookahead"), c.getDuration("retry-after"),
          c.getInt("batch"), c.getDuration("check-after"));
    }
  }

  /** Local messages only (the conversations' answers arrive through an adapter). */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  private record Poll() implements Command {}

  private record Polled(List<Wakeups.Due> rows, Throwable failure) implements Command {}

  private record WokenUp(Conversation.Woken woken) implements Command {}

  private record Recorded(List<Conversation.Woken> woken, Throwable failure) implements Command {}

  /** A wake-up sent (or answered) for this row version, and when. */
  private record Sent(Instant wakeAt, long seq, Instant at) {}

  public static Behavior<Command> create(ReadModelQueries queries, Settings settings, ClusterSharding sharding,
      Clock clock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Poll.class, new Poll(), settings.pollInterval());
      return new Keeper(ctx, queries, settings, sharding, clock).behavior();
    }));
  }

  private static final class Keeper {
    private final ActorContext<Command> ctx;
    private final ReadModelQueries queries;
    private final Settings settings;
    private final ClusterSharding sharding;
    private final Clock clock;
    private final ActorRef<Conversation.Woken> wokenAdapter;
    private final Map<String, Sent> sent = new HashMap<>();
    private List<Conversation.Woken> answers = new ArrayList<>();
    private boolean polling;
    private boolean recording;
    /** Entries of {@code sent} older than this are forgotten (computed once: it is read per entry). */
    private final Duration forgetAfter;
    private Instant nextForget = Instant.MIN;

    Keeper(ActorContext<Command> ctx, ReadModelQueries queries, Settings settings, ClusterSharding sharding,
        Clock clock) {
      this.ctx = ctx;
      this.queries = queries;
      this.settings = settings;
      this.sharding = sharding;
      this.clock = clock;
      this.wokenAdapter = ctx.messageAdapter(Conversation.Woken.class, WokenUp::new);
      this.forgetAfter = settings.retryAfter().multipliedBy(2);
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessage(Poll.class, p -> onPoll())
          .onMessage(Polled.class, this::onPolled)
          .onMessage(WokenUp.class, this::onWoken)
          .onMessage(Recorded.class, this::onRecorded)
          .build();
    }

    private Behavior<Command> onPoll() {
      Instant now = clock.instant();
      if (!polling) {
        polling = true;
        ctx.pipeToSelf(queries.dueWakeups(now.plus(settings.lookahead()), settings.batch()), Polled::new);
      }
      if (!now.isBefore(nextForget)) {
        Instant before = now.minus(forgetAfter);
        sent.values().removeIf(s -> s.at().isBefore(before));
        nextForget = now.plus(settings.retryAfter());
      }
      record();
      return Behaviors.same();
    }

    private Behavior<Command> onPolled(Polled p) {
      polling = false;
      if (p.failure() != null) {
        ctx.getLog().warn("reading the wake-up index failed (retried at the next poll): {}", p.failure().toString());
        return Behaviors.same();
      }
      Instant now = clock.instant();
      for (Wakeups.Due due : p.rows()) {
        Sent prev = sent.get(due.conversationId());
        if (prev != null && due.wakeAt().equals(prev.wakeAt()) && due.seq() == prev.seq()
            && prev.at().plus(settings.retryAfter()).isAfter(now)) {
          continue; // woken (or answered) for this very row a moment ago
        }
        sent.put(due.conversationId(), new Sent(due.wakeAt(), due.seq(), now));
        sharding.entityRefFor(Conversation.ENTITY_TYPE_KEY, due.conversationId())
            .tell(new Conversation.WakeUp(due.wakeAt(), due.seq(), wokenAdapter));
      }
      return Behaviors.same();
    }

    private Behavior<Command> onWoken(WokenUp w) {
      Conversation.Woken woken = w.woken();
      sent.put(woken.conversationId(), new Sent(woken.next(), woken.seq(), clock.instant()));
      answers.add(woken);
      if (answers.size() >= settings.batch()) record();
      return Behaviors.same();
    }

    /** Writes the answers gathered so far, one batch at a time. */
    private void record() {
      if (recording || answers.isEmpty()) return;
      List<Conversation.Woken> batch = answers;
      answers = new ArrayList<>();
      recording = true;
      ctx.pipeToSelf(queries.recordWoken(batch), (n, failure) -> new Recorded(batch, failure));
    }

    private Behavior<Command> onRecorded(Recorded r) {
      recording = false;
      if (r.failure() != null) {
        ctx.getLog().warn("writing {} answers into the wake-up index failed (retried): {}", r.woken().size(),
            r.failure().toString());
        List<Conversation.Woken> retry = new ArrayList<>(r.woken());
        retry.addAll(answers);
        answers = retry;
      }
      return Behaviors.same();
    }
  }
}

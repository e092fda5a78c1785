package io.switchboard.persistence.readmodel;

import com.typesafe.config.Config;
import io.switchboard.conversation.Conversation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Wakes conversations for their deadlines from the wake-up index {@code sb_wakeup} (one per cluster,
 * a singleton): every {@code poll-interval} it reads {@code batch} rows due within {@code lookahead},
 * in (wake_at, conversation_id) order, and tells each conversation {@link Conversation.WakeUp}, at most
 * once per row version and {@code retry-after}, with at most {@code max-in-flight} wake-ups
 * unanswered (each starts a recovery and writes: a flood of them would overrun the journal's write
 * queue). Each read continues after the last row handled by the one before, until a read comes back
 * short and the next starts again from the earliest: rows woken but not answered yet (a conversation
 * answers once settled, which can take a while after a restart) do not hold back the rows behind them. A conversation that was passivated (or lost with a node) starts, recovers and
 * fires what is due; each answers {@link Conversation.Woken} with its own next deadline, which the
 * keeper writes back into the index in batches. A row stays until it is rewritten, so a wake-up that
 * is lost is sent again. JDBC runs on the read models' query dispatcher and comes back with
 * {@code pipeToSelf}. See docs/ARCHITECTURE.md, "Recovery on demand".
 */
public final class DeadlineKeeper {
  private DeadlineKeeper() {}

  /** {@code switchboard.read-models.wakeup}. */
  public record Settings(Duration pollInterval, Duration lookahead, Duration retryAfter, int batch,
      int maxInFlight, Duration checkAfter, Duration afterMemberLoss) {
    public static Settings from(Config readModels) {
      Config c = readModels.getConfig("wakeup");
      return new Settings(c.getDuration("poll-interval"), c.getDuration("lookahead"), c.getDuration("retry-after"),
          c.getInt("batch"), c.getInt("max-in-flight"), c.getDuration("check-after"),
          c.getDuration("resend-after-member-loss"));
    }
  }

  /** Local messages only (the conversations' answers arrive through an adapter). */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  private record Poll() implements Command {}

  private record Polled(List<Wakeups.Due> rows, Throwable failure) implements Command {}

  private record WokenUp(Conversation.Woken woken) implements Command {}

  private record Recorded(List<Conversation.Woken> woken, Throwable failure) implements Command {}

  /** A member left the cluster (downed after a crash, or gone after leaving). */
  private record MemberGone(ClusterEvent.MemberRemoved removed) implements Command {}

  /** {@code resend-after-member-loss} (and three times that) after a member left: send the unanswered again. */
  private record ResendUnanswered(boolean last) implements Command {}

  /**
   * A wake-up sent for this row version, or what the conversation answered (its next deadline as of
   * its event {@code seq}), and when.
   */
  private record Sent(Instant wakeAt, long seq, Instant at, boolean answered) {
    /**
     * Whether {@code due} needs no wake-up now. Sent: it is the very row woken, less than
     * {@code retryAfter} ago. Answered (less than {@code retryAfter} ago): the row was written from
     * an earlier event than the answer, or from the same one and the answer's deadline has not come
     * yet (the row is about to be rewritten with the answer). Once that deadline passes, the
     * conversation is woken again: it may have passivated after answering.
     */
    boolean covers(Wakeups.Due due, Instant now, Duration retryAfter) {
      if (!at.plus(retryAfter).isAfter(now)) return false;
      if (!answered) return due.seq() == seq && due.wakeAt().equals(wakeAt);
      return due.seq() < seq || due.seq() == seq && (wakeAt == null || now.isBefore(wakeAt));
    }
  }

  public static Behavior<Command> create(ReadModelQueries queries, Settings settings, ClusterSharding sharding,
      Clock clock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Poll.class, new Poll(), settings.pollInterval());
      Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.MemberRemoved.class, MemberGone::new), ClusterEvent.MemberRemoved.class));
      return new Keeper(ctx, timers, queries, settings, sharding, clock).behavior();
    }));
  }

  private static final class Keeper {
    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final ReadModelQueries queries;
    private final Settings settings;
    private final ClusterSharding sharding;
    private final Clock clock;
    private final ActorRef<Conversation.Woken> wokenAdapter;
    private final Map<String, Sent> sent = new HashMap<>();
    /** Conversations woken that have not answered yet, oldest wake-up first (dropped after {@code retry-after}). */
    private final LinkedHashMap<String, Instant> inFlight = new LinkedHashMap<>();
    /** The last read stopped at {@code max-in-flight}: rows due wait for answers to free room. */
    private boolean full;
    private List<Conversation.Woken> answers = new ArrayList<>();
    private boolean polling;
    /** The last row of the previous read, when it was a full batch: the next read continues after it. */
    private Wakeups.Due cursor;
    private boolean recording;
    /** Entries of {@code sent} older than this are forgotten (computed once: it is read per entry). */
    private final Duration forgetAfter;
    private Instant nextForget = Instant.MIN;

    Keeper(ActorContext<Command> ctx, TimerScheduler<Command> timers, ReadModelQueries queries, Settings settings,
        ClusterSharding sharding, Clock clock) {
      this.ctx = ctx;
      this.timers = timers;
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
          .onMessage(MemberGone.class, this::onMemberGone)
          .onMessage(ResendUnanswered.class, this::onResendUnanswered)
          .build();
    }

    private Behavior<Command> onPoll() {
      Instant now = clock.instant();
      if (!polling) {
        polling = true;
        ctx.pipeToSelf(queries.dueWakeups(now.plus(settings.lookahead()), cursor, settings.batch()), Polled::new);
      }
      Instant expired = now.minus(settings.retryAfter());
      for (var it = inFlight.values().iterator(); it.hasNext() && !it.next().isAfter(expired); ) it.remove();
      if (!now.isBefore(nextForget)) {
        Instant before = now.minus(forgetAfter);
        sent.values().removeIf(s -> s.at().isBefore(before));
        nextForget = now.plus(settings.retryAfter());
      }
      record();
      return Behaviors.same();
    }

    /**
     * The wake-ups sent to conversations that ran on a member that is gone were lost with it, and those
     * sent since to its shards (before they moved) too: they would otherwise be sent again only after
     * {@code retry-after}, and the deadlines of a dead node's conversations fire that much late. Once its
     * shards can start elsewhere (the member is removed; sharding waits {@code down-removal-margin} more),
     * the unanswered ones are sent again at the next poll, twice in case the first pass came too early.
     */
    private Behavior<Command> onMemberGone(MemberGone g) {
      ctx.getLog().info("{} left the cluster: wake-ups not answered are sent again in {} and {}",
          g.removed().member().address(), settings.afterMemberLoss(), settings.afterMemberLoss().multipliedBy(3));
      timers.startSingleTimer(ResendUnanswered.class, new ResendUnanswered(false), settings.afterMemberLoss());
      return Behaviors.same();
    }

    private Behavior<Command> onResendUnanswered(ResendUnanswered r) {
      int before = inFlight.size();
      for (String id : inFlight.keySet()) {
        Sent s = sent.get(id);
        if (s != null && !s.answered()) sent.remove(id);
      }
      inFlight.clear();
      if (full) {
        full = false;
        if (!polling) ctx.getSelf().tell(new Poll());
      }
      ctx.getLog().info("{} wake-ups not answered since a member left: sent again from the next read", before);
      if (!r.last()) {
        timers.startSingleTimer(ResendUnanswered.class, new ResendUnanswered(true),
            settings.afterMemberLoss().multipliedBy(2));
      }
      return Behaviors.same();
    }

    private Behavior<Command> onPolled(Polled p) {
      polling = false;
      if (p.failure() != null) {
        ctx.getLog().warn("reading the wake-up index failed (retried at the next poll): {}", p.failure().toString());
        return Behaviors.same();
      }
      List<Wakeups.Due> rows = p.rows();
      Instant now = clock.instant();
      // the next read continues after the last row handled here; a short read ends the sweep
      Wakeups.Due from = cursor;
      cursor = rows.size() < settings.batch() ? null : rows.get(rows.size() - 1);
      full = false;
      for (int i = 0; i < rows.size(); i++) {
        Wakeups.Due due = rows.get(i);
        Sent prev = sent.get(due.conversationId());
        if (prev != null && prev.covers(due, now, settings.retryAfter())) continue; // woken or answered a moment ago
        if (inFlight.size() >= settings.maxInFlight()) {
          cursor = i == 0 ? from : rows.get(i - 1); // the rest waits for answers
          full = true;
          break;
        }
        sent.put(due.conversationId(), new Sent(due.wakeAt(), due.seq(), now, false));
        inFlight.remove(due.conversationId());
        inFlight.put(due.conversationId(), now);
        sharding.entityRefFor(Conversation.ENTITY_TYPE_KEY, due.conversationId())
            .tell(new Conversation.WakeUp(due.wakeAt(), due.seq(), wokenAdapter));
      }
      return Behaviors.same();
    }

    private Behavior<Command> onWoken(WokenUp w) {
      Conversation.Woken woken = w.woken();
      sent.put(woken.conversationId(), new Sent(woken.next(), woken.seq(), clock.instant(), true));
      inFlight.remove(woken.conversationId());
      // rows wait for room and half of it is free again: read on now rather than at the next poll
      if (full && !polling && inFlight.size() <= settings.maxInFlight() / 2) {
        full = false;
        ctx.getSelf().tell(new Poll());
      }
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

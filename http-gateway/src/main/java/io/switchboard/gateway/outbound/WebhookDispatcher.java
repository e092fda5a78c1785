package io.switchboard.gateway.outbound;

import io.switchboard.gateway.Hmac;
import io.switchboard.persistence.jdbc.Jdbc;
import io.switchboard.persistence.outbox.OutboxRow;
import io.switchboard.persistence.outbox.WebhookOutbox;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Delivers the webhook outbox: every {@code poll-interval} it asks {@link WebhookOutbox} which tenants
 * have events due and, for each (up to {@code max-parallel-tenants} at once), opens a <em>lane</em>:
 * look up the tenant's {@link WebhookTarget}, read its oldest events, and POST them one at a time in
 * {@code id} order, each signed with the tenant's secret.
 *
 * <ul>
 *   <li>2xx: the event is delivered and its row deleted; the lane goes on with the next one.
 *   <li>Anything else (non-2xx, refused connection, no answer within {@code request-timeout}): the
 *       failure is recorded with the time of the next attempt ({@code backoff}) and the lane closes;
 *       the tenant's later events wait behind this one, so a receiver always sees a conversation's
 *       events in order. A later poll opens the lane again once the event is due.
 *   <li>The {@code max-attempts}-th failure moves the event to {@code sb_webhook_dead} with its last
 *       error, and the lane goes on with the next event.
 *   <li>A tenant without a webhook: its events are deleted (logged once per tenant at INFO).
 * </ul>
 *
 * <p>Lanes are independent, so a slow or failing receiver never delays another tenant. A lane has
 * one step in flight at a time (lookup, read, request or write), each of which comes back as a
 * message through {@code pipeToSelf}: never two requests in flight for one tenant. Blocking JDBC
 * runs on {@link OutboundSettings#JDBC_DISPATCHER}.
 *
 * <p>Delivery is at least once: a crash between a 2xx and the row's deletion repeats the event, with
 * the same {@code X-Switchboard-Event-Id}. Run one dispatcher per outbox, not one per node of a
 * cluster (a cluster singleton): two would deliver the same rows.
 */
public final class WebhookDispatcher extends AbstractBehavior<WebhookDispatcher.Command> {
  /** {@code sha256=<hex>}: HMAC-SHA256 of the exact body bytes under the tenant's secret, see {@link Hmac}. */
  public static final String SIGNATURE_HEADER = "X-Switchboard-Signature-256";
  /** {@code persistenceId:sequenceNr}, the same on every repeat: receivers drop repeats by it. */
  public static final String EVENT_ID_HEADER = "X-Switchboard-Event-Id";
  /** {@code conversation.assigned}, {@code .rerouted}, {@code .escalated} or {@code .resolved}. */
  public static final String EVENT_TYPE_HEADER = "X-Switchboard-Event-Type";
  /** 1 for the first delivery of an event, 2 for its first retry, and so on. */
  public static final String ATTEMPT_HEADER = "X-Switchboard-Delivery-Attempt";

  /** The dispatcher's messages: all its own, it takes no commands from outside. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  private enum Tick implements Command { INSTANCE }

  private record Polled(List<String> tenants, Throwable failure) implements Command {}

  private record TargetFound(Lane lane, Optional<WebhookTarget> target, Throwable failure) implements Command {}

  private record Dropped(Lane lane, int count, Throwable failure) implements Command {}

  private record RowsRead(Lane lane, List<OutboxRow> rows, Throwable failure) implements Command {}

  private record Sent(Lane lane, OutboxRow row, HttpPost.Reply reply, Throwable failure) implements Command {}

  /** A row's outcome is written; {@code moveOn}: the lane continues with the next row. */
  private record Recorded(Lane lane, boolean moveOn, Throwable failure) implements Command {}

  /**
   * One tenant's delivery in progress. Messages carry their lane, and one whose lane is no longer the
   * tenant's current one is dropped.
   */
  private static final class Lane {
    final String tenant;
    WebhookTarget target;
    final ArrayDeque<OutboxRow> rows = new ArrayDeque<>();
    /** The last read filled a batch: there may be more rows after these. */
    boolean more;

    Lane(String tenant) {
      this.tenant = tenant;
    }
  }

  private final WebhookOutbox outbox;
  private final WebhookTargets targets;
  private final OutboundSettings settings;
  private final Executor jdbcExecutor;
  private final HttpPost http;
  private final Map<String, Lane> lanes = new HashMap<>();
  /** Tenants already logged as having no webhook; forgotten when one appears, to log again if it goes. */
  private final Set<String> noTargetLogged = new HashSet<>();
  private boolean polling;
  /** The outbox failed and that was logged at WARN; further failures go to DEBUG until it answers. */
  private boolean storeFailing;

  /**
   * The dispatcher of one outbox. Restarted with backoff if it ever fails; the outbox holds all
   * its state, so a restart only repeats at most the deliveries in flight.
   */
  public static Behavior<Command> create(WebhookOutbox outbox, WebhookTargets targets, OutboundSettings settings) {
    return Behaviors.supervise(Behaviors.<Command>setup(context -> Behaviors.<Command>withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, Tick.INSTANCE, settings.pollInterval());
      context.getSelf().tell(Tick.INSTANCE); // the first poll now, not one interval after start
      return new WebhookDispatcher(context, outbox, targets, settings);
    }))).onFailure(Exception.class,
        SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofMinutes(1), 0.2));
  }

  private WebhookDispatcher(ActorContext<Command> context, WebhookOutbox outbox, WebhookTargets targets,
      OutboundSettings settings) {
    super(context);
    this.outbox = outbox;
    this.targets = targets;
    this.settings = settings;
    this.jdbcExecutor = context.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(OutboundSettings.JDBC_DISPATCHER));
    // at most one request per lane; the rest is headroom for requests given up on whose
    // connections have not closed yet
    this.http = new HttpPost(context.getSystem(), settings.requestTimeout(), settings.maxParallelTenants(),
        2 * settings.maxParallelTenants());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(Polled.class, this::onPolled)
        .onMessage(TargetFound.class, this::onTargetFound)
        .onMessage(Dropped.class, this::onDropped)
        .onMessage(RowsRead.class, this::onRowsRead)
        .onMessage(Sent.class, this::onSent)
        .onMessage(Recorded.class, this::onRecorded)
        .build();
  }

  private Behavior<Command> onTick() {
    int free = settings.maxParallelTenants() - lanes.size();
    if (polling || free <= 0) return this;
    // a stopping node starts no new deliveries: the shard regions that look targets up are going away
    // (each lookup failed and was logged once a second until the singleton stopped); what is due stays in
    // the outbox for the dispatcher's next incarnation
    if (CoordinatedShutdown.get(getContext().getSystem()).getShutdownReason().isPresent()) return this;
    polling = true;
    Instant now = Instant.now();
    // busy tenants may come back too: ask for enough to fill every free lane anyway
    int limit = lanes.size() + free;
    getContext().pipeToSelf(jdbc(() -> outbox.dueTenants(now, limit)), Polled::new);
    return this;
  }

  private Behavior<Command> onPolled(Polled m) {
    polling = false;
    if (m.failure() != null) {
      storeFailed("polling the webhook outbox", m.failure());
      return this;
    }
    storeAnswered();
    for (String tenant : m.tenants()) {
      if (lanes.size() >= settings.maxParallelTenants()) break;
      if (!lanes.containsKey(tenant)) open(tenant);
    }
    return this;
  }

  private void open(String tenant) {
    Lane lane = new Lane(tenant);
    lanes.put(tenant, lane);
    CompletionStage<Optional<WebhookTarget>> lookup;
    try {
      lookup = targets.targetOf(tenant);
    } catch (RuntimeException e) {
      lookup = CompletableFuture.failedFuture(e);
    }
    getContext().pipeToSelf(
        Async.within(lookup, settings.requestTimeout(), "the webhook target lookup", getContext().getSystem()),
        (target, failure) -> new TargetFound(lane, target == null ? Optional.empty() : target, failure));
  }

  private Behavior<Command> onTargetFound(TargetFound m) {
    Lane lane = m.lane();
    if (!current(lane)) return this;
    if (m.failure() != null) {
      getContext().getLog().warn("The webhook of tenant {} could not be looked up ({}); its events wait",
          lane.tenant, Async.describe(m.failure()));
      close(lane);
    } else if (m.target().isEmpty()) {
      if (noTargetLogged.add(lane.tenant)) {
        getContext().getLog().info("Tenant {} has no webhook: its conversation events are dropped", lane.tenant);
      }
      drop(lane);
    } else {
      noTargetLogged.remove(lane.tenant);
      lane.target = m.target().get();
      read(lane);
    }
    return this;
  }

  /** Deletes one batch of the tenant's oldest rows. */
  private void drop(Lane lane) {
    int batch = settings.batchSize();
    getContext().pipeToSelf(jdbc(() -> {
      List<OutboxRow> rows = outbox.oldest(lane.tenant, batch);
      if (rows.isEmpty()) return 0;
      outbox.deleteUpTo(lane.tenant, rows.get(rows.size() - 1).id());
      return rows.size();
    }), (count, failure) -> new Dropped(lane, count == null ? 0 : count, failure));
  }

  private Behavior<Command> onDropped(Dropped m) {
    Lane lane = m.lane();
    if (!current(lane)) return this;
    if (m.failure() != null) {
      storeFailed("dropping the webhook events of tenant " + lane.tenant, m.failure());
      close(lane);
    } else {
      getContext().getLog().debug("Dropped {} webhook events of tenant {} (no webhook)", m.count(), lane.tenant);
      if (m.count() == settings.batchSize()) drop(lane);
      else close(lane);
    }
    return this;
  }

  private void read(Lane lane) {
    int batch = settings.batchSize();
    getContext().pipeToSelf(jdbc(() -> outbox.oldest(lane.tenant, batch)),
        (rows, failure) -> new RowsRead(lane, rows, failure));
  }

  private Behavior<Command> onRowsRead(RowsRead m) {
    Lane lane = m.lane();
    if (!current(lane)) return this;
    if (m.failure() != null) {
      storeFailed("reading the webhook events of tenant " + lane.tenant, m.failure());
      close(lane);
      return this;
    }
    lane.rows.clear();
    lane.rows.addAll(m.rows());
    lane.more = m.rows().size() == settings.batchSize();
    deliverNext(lane);
    return this;
  }

  private void deliverNext(Lane lane) {
    OutboxRow row = lane.rows.peekFirst();
    if (row == null) {
      if (lane.more) read(lane);
      else close(lane);
      return;
    }
    if (!row.dueAt(Instant.now())) { // it waits for a retry, and everything after it with it
      close(lane);
      return;
    }
    byte[] body = row.payload().getBytes(StandardCharsets.UTF_8);
    List<HttpHeader> headers = List.of(
        RawHeader.create(SIGNATURE_HEADER, Hmac.sign(lane.target.secret(), body)),
        RawHeader.create(EVENT_ID_HEADER, row.eventId()),
        RawHeader.create(EVENT_TYPE_HEADER, row.eventType()),
        RawHeader.create(ATTEMPT_HEADER, Integer.toString(row.attempts() + 1)));
    getContext().pipeToSelf(http.post(lane.target.url(), headers, body, false),
        (reply, failure) -> new Sent(lane, row, reply, failure));
  }

  private Behavior<Command> onSent(Sent m) {
    Lane lane = m.lane();
    OutboxRow row = m.row();
    if (!current(lane)) return this;
    if (m.failure() == null && m.reply().success()) {
      getContext().pipeToSelf(jdbc(() -> outbox.delete(row.id())), (deleted, failure) -> new Recorded(lane, true, failure));
      return this;
    }
    String error = m.failure() != null ? HttpPost.failure(m.failure()) : HttpPost.describe(m.reply());
    int attempts = row.attempts() + 1;
    Instant now = Instant.now();
    if (attempts >= settings.maxAttempts()) {
      getContext().getLog().warn("Webhook event {} ({}) of tenant {} given up after {} attempts, moved to "
          + "sb_webhook_dead: {}", row.eventId(), row.eventType(), lane.tenant, attempts, error);
      getContext().pipeToSelf(jdbc(() -> outbox.deadLetter(row, attempts, error, now)),
          (moved, failure) -> new Recorded(lane, true, failure));
    } else {
      Instant next = now.plus(settings.backoff(attempts));
      if (attempts == 1) {
        getContext().getLog().info("Webhook event {} of tenant {} not delivered ({}); retrying at {}",
            row.eventId(), lane.tenant, error, next);
      } else {
        getContext().getLog().debug("Webhook event {} of tenant {} not delivered, attempt {} ({}); retrying at {}",
            row.eventId(), lane.tenant, attempts, error, next);
      }
      getContext().pipeToSelf(jdbc(() -> {
        outbox.recordFailure(row.id(), attempts, next);
        return Done.getInstance();
      }), (done, failure) -> new Recorded(lane, false, failure));
    }
    return this;
  }

  private Behavior<Command> onRecorded(Recorded m) {
    Lane lane = m.lane();
    if (!current(lane)) return this;
    if (m.failure() != null) {
      // the row is as it was: a later poll tries it again (a delivered one is repeated, same event id)
      storeFailed("recording a webhook delivery of tenant " + lane.tenant, m.failure());
      close(lane);
    } else if (m.moveOn()) {
      lane.rows.pollFirst();
      deliverNext(lane);
    } else {
      close(lane);
    }
    return this;
  }

  private boolean current(Lane lane) {
    return lanes.get(lane.tenant) == lane;
  }

  private void close(Lane lane) {
    lanes.remove(lane.tenant, lane);
  }

  private void storeFailed(String what, Throwable failure) {
    if (!storeFailing) {
      storeFailing = true;
      getContext().getLog().warn("{} failed: {}; retrying every {}", what, Async.describe(failure),
          Async.human(settings.pollInterval()));
    } else {
      getContext().getLog().debug("{} failed: {}", what, Async.describe(failure));
    }
  }

  private void storeAnswered() {
    if (storeFailing) {
      storeFailing = false;
      getContext().getLog().info("The webhook outbox answers again");
    }
  }

  /** Runs blocking JDBC on the outbox's own dispatcher. */
  private <T> CompletableFuture<T> jdbc(Jdbc.Call<T> call) {
    return Jdbc.async(jdbcExecutor, call);
  }
}

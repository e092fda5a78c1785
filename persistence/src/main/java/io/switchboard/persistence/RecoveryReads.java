package io.switchboard.persistence;

import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;

/**
 * What {@link PrefetchingSnapshotDao} read of the journal while loading an entity's snapshot, kept
 * for the journal's {@link RecoveryJournalDao} until that entity's replay asks for it: the highest
 * sequence number and the events after the snapshot, read in the snapshot's own statement.
 *
 * <p>A read is handed out only while it still says what the database holds for its persistence id
 * as far as this node can know: no journal write of that persistence id was running on this node
 * when the read began, none began after it (a write that begins drops the read), and it is younger
 * than {@link #TTL_NANOS}. A write that finished before the read began committed before the read's
 * statement ran, so the statement saw it. Everything else asks the database, as the plugin does.
 *
 * <p>One per actor system (journal and snapshot store are plugins of the same system); every
 * method is short and under one lock, taken once per recovery and once per journal batch.
 */
final class RecoveryReads implements Extension {
  /** A read older than this is not used (its recovery failed or stalled); the plugin's query runs instead. */
  static final long TTL_NANOS = TimeUnit.SECONDS.toNanos(5);
  /** Past this many unconsumed reads, the stale ones are dropped (they are normally consumed within ms). */
  private static final int PRUNE_ABOVE = 10_000;

  static final Id ID = new Id();

  static RecoveryReads get(ActorSystem system) {
    return ID.get(system);
  }

  static final class Id extends AbstractExtensionId<RecoveryReads> {
    @Override
    public RecoveryReads createExtension(ExtendedActorSystem system) {
      return new RecoveryReads();
    }
  }

  /** One entity's journal as the snapshot load's statement saw it. */
  static final class Read {
    final String persistenceId;
    final long startedAt = System.nanoTime();
    boolean valid = true;
    boolean done;
    long highest;
    /** The latest snapshot's sequence number (0 without one): the events are those after it. */
    long after;
    /** Not deleted, ascending; every such event after {@code after} when {@code complete}. */
    List<JournalPekkoSerializationRow> events;
    boolean complete;

    Read(String persistenceId) {
      this.persistenceId = persistenceId;
    }
  }

  private final Map<String, Read> reads = new HashMap<>();
  private long answered, asked;
  /** Persistence ids with a journal write running on this node, and how many. */
  private final Map<String, Integer> writing = new HashMap<>();

  /** Called before the snapshot load's statement runs. */
  synchronized Read begin(String persistenceId) {
    Read read = new Read(persistenceId);
    if (writing.containsKey(persistenceId)) read.valid = false;
    reads.put(persistenceId, read);
    if (reads.size() > PRUNE_ABOVE) prune();
    return read;
  }

  /** The statement's result: from now on the read can be handed out. */
  synchronized void done(Read read, long highest, long after, List<JournalPekkoSerializationRow> events,
      boolean complete) {
    read.highest = highest;
    read.after = after;
    read.events = events;
    read.complete = complete;
    read.done = true;
  }

  /** The statement failed. */
  synchronized void abandon(Read read) {
    reads.remove(read.persistenceId, read);
  }

  /** A journal write of these persistence ids begins: their reads are no longer the database's state. */
  synchronized void writing(Iterable<String> persistenceIds) {
    for (String id : persistenceIds) {
      writing.merge(id, 1, Integer::sum);
      reads.remove(id);
    }
  }

  /** That write ended (committed or rolled back). */
  synchronized void written(Iterable<String> persistenceIds) {
    for (String id : persistenceIds) writing.computeIfPresent(id, (k, n) -> n == 1 ? null : n - 1);
  }

  /**
   * The highest sequence number the snapshot load read, if it may be used. The read stays for the
   * replay when one follows (events after {@code fromSequenceNr}, which is the replay's start - 1).
   */
  synchronized OptionalLong highest(String persistenceId, long fromSequenceNr) {
    Read read = reads.get(persistenceId);
    if (!usable(read)) {
      if (read != null && read.done) reads.remove(persistenceId);
      asked++;
      return OptionalLong.empty();
    }
    answered++;
    if (read.highest <= fromSequenceNr) reads.remove(persistenceId); // no replay follows
    return OptionalLong.of(read.highest);
  }

  /**
   * The events of the replay from {@code from} to {@code to}, if the snapshot load read all of them
   * (its events start right after the snapshot the replay starts from); null when the plugin's query
   * must run. Consumes the read.
   */
  synchronized List<JournalPekkoSerializationRow> events(String persistenceId, long from, long to) {
    Read read = reads.get(persistenceId);
    if (read == null || !read.done) return null;
    reads.remove(persistenceId);
    if (!usable(read) || !read.complete || from != read.after + 1) return null;
    return read.events.stream().filter(e -> e.sequenceNumber() >= from && e.sequenceNumber() <= to).toList();
  }

  private boolean usable(Read read) {
    return read != null && read.done && read.valid && System.nanoTime() - read.startedAt < TTL_NANOS;
  }

  private void prune() {
    long now = System.nanoTime();
    for (Iterator<Read> it = reads.values().iterator(); it.hasNext(); ) {
      if (now - it.next().startedAt >= TTL_NANOS) it.remove();
    }
  }

  /** Highest sequence numbers answered from a read, and asked of the database, since the start. */
  synchronized long[] counts() {
    return new long[] {answered, asked};
  }
}

package io.switchboard.persistence;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.concurrent.duration.FiniteDuration;
import scala.jdk.javaapi.FutureConverters;
import scala.runtime.BoxedUnit;
import scala.util.Try;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;

/**
 * The journal DAO of both stores: {@link BatchedJournalDao}'s writes (the plugin's own on H2), and
 * a recovery's highest sequence number and replay answered from what {@link PrefetchingSnapshotDao}
 * read in the snapshot load's statement, when {@link RecoveryReads} says it is still the
 * database's state; otherwise the plugin's queries, as before.
 *
 * <p>Every write marks its persistence ids in {@link RecoveryReads} from before its statement until
 * it ended, which is what keeps a replay seeing every event written before it: the plugin's journal
 * asks the highest sequence number of an entity only after that entity's last write ended, and a
 * read that a write overlapped is not used. Selected by {@code jdbc-journal.dao}, which {@link
 * Store#pekkoConfig} sets on both stores.
 */
public class RecoveryJournalDao extends BatchedJournalDao {
  private final Serialization serialization;
  private final RecoveryReads reads;

  public RecoveryJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, JournalConfig journalConfig,
      Serialization serialization, ExecutionContext ec, Materializer mat) {
    super(db, profile, journalConfig, serialization, ec, mat);
    this.serialization = serialization;
    this.reads = RecoveryReads.get(serialization.system());
  }

  @Override
  public Future<BoxedUnit> writeJournalRows(
      Seq<Tuple2<JournalPekkoSerializationRow, scala.collection.immutable.Set<String>>> xs) {
    Set<String> ids = new LinkedHashSet<>();
    xs.foreach(row -> ids.add(row._1().persistenceId()));
    reads.writing(ids);
    Future<BoxedUnit> written;
    try {
      written = super.writeJournalRows(xs);
    } catch (RuntimeException e) {
      reads.written(ids);
      throw e;
    }
    FutureConverters.asJava(written).whenComplete((done, failure) -> reads.written(ids));
    return written;
  }

  @Override
  public Future<Object> highestSequenceNr(String persistenceId, long fromSequenceNr) {
    OptionalLong read = reads.highest(persistenceId, fromSequenceNr);
    if (read.isEmpty()) return super.highestSequenceNr(persistenceId, fromSequenceNr);
    return Future.successful(read.getAsLong());
  }

  @Override
  public org.apache.pekko.stream.scaladsl.Source<Try<Tuple2<PersistentRepr, Object>>, NotUsed> messagesWithBatch(
      String persistenceId, long fromSequenceNr, long toSequenceNr, int batchSize,
      Option<Tuple2<FiniteDuration, Scheduler>> refreshInterval) {
    List<JournalPekkoSerializationRow> rows = refreshInterval.isDefined() ? null
        : reads.events(persistenceId, fromSequenceNr, toSequenceNr);
    if (rows == null) {
      return super.messagesWithBatch(persistenceId, fromSequenceNr, toSequenceNr, batchSize, refreshInterval);
    }
    return Source.from(rows).map(row -> PekkoSerialization.fromRow(serialization, row)).asScala();
  }
}

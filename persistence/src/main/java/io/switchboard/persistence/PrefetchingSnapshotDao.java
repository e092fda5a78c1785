package io.switchboard.persistence;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.config.SnapshotConfig;
import org.apache.pekko.persistence.jdbc.config.SnapshotTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.SnapshotTableConfiguration;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.persistence.jdbc.snapshot.dao.DefaultSnapshotDao;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import scala.Option;
import scala.Tuple2;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * The snapshot DAO of pekko-persistence-jdbc whose load of an entity's latest snapshot also reads
 * what the journal's replay will ask next, in the same statement, so that a recovery costs one
 * round trip to the store instead of two (a new entity: snapshot, highest sequence number) or
 * three (one with events after its snapshot: and the replay).
 *
 * <p>Why: Pekko's recovery asks the snapshot store, and only once it answered, the journal for the
 * highest sequence number, and only then for the events; each is a query of its own in the plugin
 * (1.1.1), waited for in series by the entity before its first command (a new conversation's
 * opening message waited for two). The plugin has no query that reads both tables.
 *
 * <p>What it does instead, for the latest snapshot (the load of every recovery without selection
 * criteria): one {@code UNION ALL} statement returning the snapshot row, the journal's highest
 * sequence number of the persistence id, and its first {@link #EVENTS} events after the snapshot
 * (not deleted, ascending: the rows and order of the plugin's replay query). The snapshot is answered
 * as the plugin would; the journal part is left in {@link RecoveryReads} for {@link
 * RecoveryJournalDao}, which answers the highest sequence number and the replay from it when no
 * write of that persistence id ran on this node since (see {@link RecoveryReads} for the rule),
 * and asks the database otherwise. Other loads, and any store where the journal is not {@link
 * RecoveryJournalDao} on the same database, are the plugin's.
 *
 * <p>Selected by configuration ({@code jdbc-snapshot-store.dao}, set by {@link Store#pekkoConfig});
 * the plugin instantiates it reflectively with the constructor below. The JDBC work runs as a Slick
 * action on the plugin's pool and threads; the snapshot is deserialized on the snapshot store's
 * dispatcher, as the plugin does.
 */
public class PrefetchingSnapshotDao extends DefaultSnapshotDao {
  /** Events after the snapshot read with it; a replay with more reads them with the plugin's query. */
  static final int EVENTS = 256;

  private final JdbcBackend.JdbcDatabaseDef db;
  private final Serialization serialization;
  private final ExecutionContext ec;
  /** Null when the journal is not one that consumes the reads. */
  private final RecoveryReads reads;
  private final String query;

  public PrefetchingSnapshotDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, SnapshotConfig snapshotConfig,
      Serialization serialization, ExecutionContext ec, Materializer mat) {
    super(db, profile, snapshotConfig, serialization, ec, mat);
    this.db = db;
    this.serialization = serialization;
    this.ec = ec;
    Config config = serialization.system().settings().config();
    String journalPlugin = config.getString("pekko.persistence.journal.plugin");
    JournalConfig journal = journalPlugin.isEmpty() || !config.hasPath(journalPlugin) ? null
        : new JournalConfig(config.getConfig(journalPlugin));
    boolean sameDb = journal != null && snapshotConfig.useSharedDb().isDefined()
        && journal.useSharedDb().equals(snapshotConfig.useSharedDb());
    boolean consumer = journal != null && RecoveryJournalDao.class.getName().equals(journal.pluginConfig().dao());
    this.reads = sameDb && consumer ? RecoveryReads.get(serialization.system()) : null;
    this.query = reads == null ? null : query(snapshotConfig.snapshotTableConfiguration(),
        journal.eventJournalTableConfiguration());
  }

  /** The rows: part 0 the snapshot (at most one), part 2 the events, part 1 the highest sequence number. */
  private static String query(SnapshotTableConfiguration snapshots, EventJournalTableConfiguration journal) {
    SnapshotTableColumnNames s = snapshots.columnNames();
    EventJournalTableColumnNames j = journal.columnNames();
    String snapshotTable = Sql.qualified(snapshots.schemaName(), snapshots.tableName());
    String journalTable = Sql.qualified(journal.schemaName(), journal.tableName());
    String sPid = Sql.quote(s.persistenceId()), sSeq = Sql.quote(s.sequenceNumber());
    String jPid = Sql.quote(j.persistenceId()), jSeq = Sql.quote(j.sequenceNumber());
    String snapshot = "SELECT 0 AS part, " + String.join(", ", Sql.quote(s.sequenceNumber()), Sql.quote(s.created()),
        Sql.quote(s.snapshotSerId()), Sql.quote(s.snapshotSerManifest()), Sql.quote(s.snapshotPayload()),
        Sql.quote(s.metaSerId()), Sql.quote(s.metaSerManifest()), Sql.quote(s.metaPayload()))
        + ", NULL, NULL, NULL, NULL FROM (SELECT * FROM " + snapshotTable + " WHERE " + sPid + " = ? ORDER BY " + sSeq
        + " DESC LIMIT 1) s";
    String highest = "SELECT 1, (SELECT MAX(" + jSeq + ") FROM " + journalTable + " WHERE " + jPid + " = ?), "
        + "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL";
    String events = "SELECT 2, " + String.join(", ", jSeq, Sql.quote(j.writeTimestamp()), Sql.quote(j.eventSerId()),
        Sql.quote(j.eventSerManifest()), Sql.quote(j.eventPayload()), Sql.quote(j.metaSerId()),
        Sql.quote(j.metaSerManifest()), Sql.quote(j.metaPayload()), Sql.quote(j.ordering()), Sql.quote(j.deleted()),
        Sql.quote(j.writer()), Sql.quote(j.adapterManifest()))
        + " FROM (SELECT * FROM " + journalTable + " WHERE " + jPid + " = ? AND " + Sql.quote(j.deleted())
        + " = FALSE AND " + jSeq + " > COALESCE((SELECT MAX(" + sSeq + ") FROM " + snapshotTable + " WHERE " + sPid
        + " = ?), 0) ORDER BY " + jSeq + " LIMIT ?) e";
    // In this order: PostgreSQL types a UNION's columns pair by pair from the left, and two NULLs make text.
    return snapshot + " UNION ALL " + events + " UNION ALL " + highest + " ORDER BY 1, 2";
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Future<Option<Tuple2<SnapshotMetadata, Object>>> latestSnapshot(String persistenceId) {
    if (reads == null) return super.latestSnapshot(persistenceId);
    RecoveryReads.Read read = reads.begin(persistenceId);
    SimpleJdbcAction<SnapshotRow> load = new SimpleJdbcAction<>(ctx -> {
      try {
        return load(ctx.connection(), persistenceId, read);
      } catch (SQLException | RuntimeException e) {
        reads.abandon(read);
        throw Sql.<RuntimeException>rethrow(e);
      }
    });
    Future<SnapshotRow> row = db.run((DBIOAction) load);
    return row.map(r -> r == null ? Option.empty() : Option.apply(r.deserialize(serialization, persistenceId)), ec);
  }

  /** The snapshot's columns, deserialized on the caller's dispatcher. */
  private record SnapshotRow(long sequenceNr, long created, int serId, String serManifest, byte[] payload,
      Integer metaSerId, String metaSerManifest, byte[] metaPayload) {
    /** As the plugin's {@code DefaultSnapshotDao.toSnapshotData} (private there). */
    Tuple2<SnapshotMetadata, Object> deserialize(Serialization serialization, String persistenceId) {
      Object snapshot = serialization.deserialize(payload, serId, serManifest).get();
      Option<Object> meta = Option.empty();
      if (metaPayload != null && metaSerId != null) {
        meta = Option.apply(serialization.deserialize(metaPayload, metaSerId,
            metaSerManifest == null ? "" : metaSerManifest).get());
      }
      return new Tuple2<>(new SnapshotMetadata(persistenceId, sequenceNr, created, meta), snapshot);
    }
  }

  private SnapshotRow load(Connection con, String persistenceId, RecoveryReads.Read read) throws SQLException {
    SnapshotRow snapshot = null;
    long highest = 0;
    List<JournalPekkoSerializationRow> events = new ArrayList<>();
    try (PreparedStatement ps = con.prepareStatement(query)) {
      ps.setString(1, persistenceId); // the snapshot
      ps.setString(2, persistenceId); // the events
      ps.setString(3, persistenceId); // after the snapshot's
      ps.setInt(4, EVENTS);
      ps.setString(5, persistenceId); // the highest
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int part = rs.getInt(1);
          long seq = rs.getLong(2);
          if (part == 1) {
            highest = seq; // MAX of no rows is NULL: getLong gives 0, the plugin's answer too
            continue;
          }
          long ts = rs.getLong(3);
          int serId = rs.getInt(4);
          String serManifest = rs.getString(5);
          byte[] payload = rs.getBytes(6);
          int metaSerId = rs.getInt(7);
          Integer meta = rs.wasNull() ? null : metaSerId;
          String metaManifest = rs.getString(8);
          byte[] metaPayload = rs.getBytes(9);
          if (part == 0) {
            snapshot = new SnapshotRow(seq, ts, serId, serManifest, payload, meta, metaManifest, metaPayload);
          } else {
            events.add(new JournalPekkoSerializationRow(rs.getLong(10), rs.getBoolean(11), persistenceId, seq,
                rs.getString(12), ts, rs.getString(13), payload, serId, serManifest, Option.apply(metaPayload),
                Option.apply(meta), Option.apply(metaManifest)));
          }
        }
      }
    }
    long after = snapshot == null ? 0 : snapshot.sequenceNr();
    // All events after the snapshot were read unless the limit cut them (then only if the last is the highest).
    boolean complete = events.size() < EVENTS || events.get(events.size() - 1).sequenceNumber() >= highest;
    reads.done(read, highest, after, events, complete);
    return snapshot;
  }
}

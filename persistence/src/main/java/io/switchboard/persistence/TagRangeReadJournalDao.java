package io.switchboard.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.persistence.jdbc.query.dao.DefaultReadJournalDao;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import scala.Option;
import scala.Tuple3;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;
import scala.util.Try;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * The read journal DAO of pekko-persistence-jdbc with a tag query that costs what it returns.
 *
 * <p>Why: the plugin's {@code eventsByTag} (1.1.1) joins {@code event_tag} to {@code event_journal}
 * and bounds only the journal's {@code ordering}; the tag table has no index on its tag, and the
 * planners (PostgreSQL, H2) do not carry an ordering range across the join, so every poll of every
 * projection reads all rows of its tag, and the read models slow down as the journal grows (measured
 * here: 25 ms a poll at 10,000 rows per tag, growing with it; a node holding a million
 * conversations would spend its time there).
 *
 * <p>What it does instead: the same rows, in the same order, with the range on
 * {@code event_tag.event_id} as well, which the index {@code event_tag (tag, event_id)} that
 * {@link Store#createSchema} creates turns into one index range scan plus a primary-key lookup per
 * event. Everything else is the plugin's. Selected by configuration ({@code jdbc-read-journal.dao},
 * set by {@link Store#pekkoConfig}); the plugin instantiates it reflectively with this constructor.
 * The JDBC work runs as a Slick action on the plugin's pool and threads.
 */
public class TagRangeReadJournalDao extends DefaultReadJournalDao {
  private final String query;
  private final Serialization serialization;

  public TagRangeReadJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, ReadJournalConfig config,
      Serialization serialization, ExecutionContext ec, Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    this.serialization = serialization;
    EventJournalTableConfiguration journal = config.eventJournalTableConfiguration();
    EventTagTableConfiguration tags = config.eventTagTableConfiguration();
    EventJournalTableColumnNames c = journal.columnNames();
    String eventId = "t." + quote(tags.columnNames().eventId());
    this.query = "SELECT " + String.join(", ", col(c.ordering()), col(c.deleted()), col(c.persistenceId()),
        col(c.sequenceNumber()), col(c.writer()), col(c.writeTimestamp()), col(c.adapterManifest()),
        col(c.eventPayload()), col(c.eventSerId()), col(c.eventSerManifest()), col(c.metaPayload()),
        col(c.metaSerId()), col(c.metaSerManifest()))
        + " FROM " + qualified(tags.schemaName(), tags.tableName()) + " t JOIN "
        + qualified(journal.schemaName(), journal.tableName()) + " j ON " + col(c.ordering()) + " = " + eventId
        + " WHERE t." + quote(tags.columnNames().tag()) + " = ? AND " + eventId + " > ? AND " + eventId + " <= ?"
        + " AND " + col(c.deleted()) + " = FALSE ORDER BY " + eventId + " LIMIT ?";
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public org.apache.pekko.stream.scaladsl.Source<Try<Tuple3<PersistentRepr, scala.collection.immutable.Set<String>,
      Object>>, NotUsed> eventsByTag(String tag, long offset, long maxOffset, long max) {
    SimpleJdbcAction<List<JournalPekkoSerializationRow>> read = new SimpleJdbcAction<>(ctx -> {
      try {
        return rows(ctx.connection(), tag, offset, maxOffset, max);
      } catch (SQLException e) {
        throw TagRangeReadJournalDao.<RuntimeException>rethrow(e);
      }
    });
    Future<List<JournalPekkoSerializationRow>> rows = db().run((DBIOAction) read);
    Source<Try<Tuple3<PersistentRepr, scala.collection.immutable.Set<String>, Object>>, NotUsed> events =
        Source.completionStage(FutureConverters.asJava(rows)).mapConcat(list -> {
          List<Try<Tuple3<PersistentRepr, scala.collection.immutable.Set<String>, Object>>> out =
              new ArrayList<>(list.size());
          // as the plugin's: the tags are not read back (nothing uses them)
          for (JournalPekkoSerializationRow row : list) {
            out.add(PekkoSerialization.fromRow(serialization, row).map(t ->
                new Tuple3<>(t._1(), scala.collection.immutable.Set$.MODULE$.empty(), t._2())));
          }
          return out;
        });
    return events.asScala();
  }

  private List<JournalPekkoSerializationRow> rows(Connection con, String tag, long offset, long maxOffset, long max)
      throws SQLException {
    List<JournalPekkoSerializationRow> out = new ArrayList<>();
    try (PreparedStatement ps = con.prepareStatement(query)) {
      ps.setString(1, tag);
      ps.setLong(2, offset);
      ps.setLong(3, maxOffset);
      ps.setLong(4, Math.min(max, Integer.MAX_VALUE));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          byte[] metaPayload = rs.getBytes(11);
          int metaSerId = rs.getInt(12);
          boolean noMetaSerId = rs.wasNull();
          out.add(new JournalPekkoSerializationRow(rs.getLong(1), rs.getBoolean(2), rs.getString(3), rs.getLong(4),
              rs.getString(5), rs.getLong(6), rs.getString(7), rs.getBytes(8), rs.getInt(9), rs.getString(10),
              Option.apply(metaPayload), noMetaSerId ? Option.empty() : Option.apply(metaSerId),
              Option.apply(rs.getString(13))));
        }
      }
    }
    return out;
  }

  private static String col(String column) {
    return "j." + quote(column);
  }

  /** As Slick names a table: quoted, with its schema if one is configured. */
  private static String qualified(Option<String> schema, String table) {
    return schema.isDefined() ? quote(schema.get()) + "." + quote(table) : quote(table);
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E rethrow(Throwable t) throws E {
    throw (E) t;
  }
}

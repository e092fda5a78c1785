package io.switchboard.persistence;

import com.typesafe.config.Config;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.db.SlickDatabase;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.ReadJournalProvider;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import scala.Option;

/**
 * The read journal of an agent's scan for its grants' assignments after a recovery (docs/ARCHITECTURE.md,
 * "One durable write per routed conversation"; {@code switchboard.core.grant-read-journal}, set by {@link
 * Store#pekkoConfig}): {@code currentEventsByTag} answered with one read of the rows committed now, on the
 * read journal's pool, through {@link TagRangeReadJournalDao}'s tag query.
 *
 * <p>Why not the plugin's {@code currentEventsByTag}: it returns events only up to what its journal-sequence
 * actor has confirmed free of gaps, and that actor waits up to {@code max-tries × query-delay} for each gap (a
 * rolled-back batch leaves one) and backs off to a minute while the store is away: after an outage an agent's
 * scan waited more than 30 s, and the agent took no offer meanwhile. The scan needs no gap detection: it runs
 * after the settling, when every write it must see has landed or failed. Registered as a plugin (this class is
 * its provider), so the routing core stays free of JDBC.
 */
public final class HoldScanReadJournal implements ReadJournalProvider {
  /** The plugin's configuration path, with {@code class} naming this provider. */
  public static final String ID = "switchboard.hold-scan-journal";

  private final Javadsl javadsl;

  public HoldScanReadJournal(ExtendedActorSystem system, Config config, String configPath) {
    Config readJournal = system.settings().config().getConfig("jdbc-read-journal");
    SlickDatabase db = ((org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl)
        org.apache.pekko.persistence.jdbc.db.SlickExtension$.MODULE$.get(system)).database(readJournal);
    TagRangeReadJournalDao dao = new TagRangeReadJournalDao(db.database(), db.profile(),
        new ReadJournalConfig(readJournal), SerializationExtension.get(system), system.dispatcher(),
        Materializer.matFromSystem(system));
    this.javadsl = new Javadsl(dao);
  }

  @Override
  public org.apache.pekko.persistence.query.scaladsl.ReadJournal scaladslReadJournal() {
    return new org.apache.pekko.persistence.query.scaladsl.ReadJournal() {};
  }

  @Override
  public org.apache.pekko.persistence.query.javadsl.ReadJournal javadslReadJournal() {
    return javadsl;
  }

  static final class Javadsl implements CurrentEventsByTagQuery {
    private final TagRangeReadJournalDao dao;

    Javadsl(TagRangeReadJournalDao dao) {
      this.dao = dao;
    }

    @Override
    public Source<EventEnvelope, NotUsed> currentEventsByTag(String tag, Offset offset) {
      long from = offset instanceof Sequence s ? s.value() : 0L;
      return dao.eventsByTag(tag, from, Long.MAX_VALUE, Integer.MAX_VALUE).asJava().map(row -> {
        var t = row.get(); // a row that cannot be read fails the scan (the agent tries again)
        PersistentRepr repr = t._1();
        return new EventEnvelope(Offset.sequence((Long) t._3()), repr.persistenceId(), repr.sequenceNr(),
            repr.payload(), repr.timestamp(), Option.empty());
      });
    }
  }
}

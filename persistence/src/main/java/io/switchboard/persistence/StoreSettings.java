package io.switchboard.persistence;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Which store holds the journal and snapshots, read once from {@code switchboard.persistence}
 * (each key can also come from an environment variable, see reference.conf).
 */
public record StoreSettings(Kind kind, Path h2Dir, String pgUrl, String pgUser, String pgPassword, String pgSchema,
    int poolSize, int readPoolSize, Duration readRefreshInterval) {

  public enum Kind { H2, POSTGRES }

  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  public StoreSettings {
    if (poolSize < 1) throw new IllegalArgumentException("switchboard.persistence.pool-size must be >= 1");
    if (readPoolSize < 1) throw new IllegalArgumentException("switchboard.persistence.read-pool-size must be >= 1");
    if (!IDENTIFIER.matcher(pgSchema).matches()) {
      throw new IllegalArgumentException("switchboard.persistence.postgres.schema must be a lower-case SQL identifier: "
          + pgSchema);
    }
  }

  public static StoreSettings from(Config root) {
    Config c = root.getConfig("switchboard.persistence");
    String store = c.getString("store").trim().toLowerCase();
    Kind kind = switch (store) {
      case "h2" -> Kind.H2;
      case "postgres", "postgresql", "pg" -> Kind.POSTGRES;
      default -> throw new IllegalArgumentException(
          "switchboard.persistence.store must be h2 or postgres, not '" + store + "'");
    };
    return new StoreSettings(kind, Path.of(c.getString("h2.dir")).toAbsolutePath().normalize(),
        c.getString("postgres.url"), c.getString("postgres.user"), c.getString("postgres.password"),
        c.getString("postgres.schema"), c.getInt("pool-size"), c.getInt("read-pool-size"),
        c.getDuration("read-refresh-interval"));
  }

  /** The same settings on an H2 database in {@code dir}. */
  public StoreSettings withH2(Path dir) {
    return new StoreSettings(Kind.H2, dir, pgUrl, pgUser, pgPassword, pgSchema, poolSize, readPoolSize,
        readRefreshInterval);
  }

  /** The same settings on PostgreSQL at {@code url}, in {@code schema}. */
  public StoreSettings withPostgres(String url, String schema) {
    return new StoreSettings(Kind.POSTGRES, h2Dir, url, pgUser, pgPassword, schema, poolSize, readPoolSize,
        readRefreshInterval);
  }

  /**
   * The JDBC URL the store is reached at. On H2: {@code WRITE_DELAY=0} writes every commit to the file
   * before the commit returns (H2's default, 500 ms, keeps the last half second of commits in memory
   * only: a {@code kill -9} lost the messages acknowledged in it); the database stays open until the
   * actor system has finished with it ({@code DB_CLOSE_ON_EXIT=FALSE}: H2's own shutdown hook would
   * close it under the journal's last writes), and {@link Store#sync} writes and syncs it at shutdown.
   */
  public String jdbcUrl() {
    if (kind == Kind.H2) {
      return "jdbc:h2:file:" + h2Dir.resolve("switchboard") + ";DB_CLOSE_DELAY=-1;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
    }
    String sep = pgUrl.contains("?") ? "&" : "?";
    return pgUrl + sep + "currentSchema=" + pgSchema;
  }

  public String user() {
    return kind == Kind.H2 ? "sa" : pgUser;
  }

  public String password() {
    return kind == Kind.H2 ? "" : pgPassword;
  }

  public String driver() {
    return kind == Kind.H2 ? "org.h2.Driver" : "org.postgresql.Driver";
  }

  public String slickProfile() {
    return kind == Kind.H2 ? "slick.jdbc.H2Profile$" : "slick.jdbc.PostgresProfile$";
  }

  public String describe() {
    return kind == Kind.H2 ? "H2 file database in " + h2Dir : "PostgreSQL " + pgUrl + " schema " + pgSchema;
  }
}

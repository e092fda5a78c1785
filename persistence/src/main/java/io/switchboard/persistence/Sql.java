package io.switchboard.persistence;

import scala.Option;

/** Naming tables and columns as Slick does, for the statements the DAOs here write by hand. */
final class Sql {
  private Sql() {}

  /** Quoted, with its schema if one is configured. */
  static String qualified(Option<String> schema, String table) {
    return schema.isDefined() ? quote(schema.get()) + "." + quote(table) : quote(table);
  }

  static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  /** Throws a checked exception from a Slick action's body, failing its future with that exception itself. */
  @SuppressWarnings("unchecked")
  static <E extends Throwable> E rethrow(Throwable t) throws E {
    throw (E) t;
  }
}

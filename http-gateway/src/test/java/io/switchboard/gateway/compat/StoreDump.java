package io.switchboard.gateway.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.persistence.StoreSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The journal's tables (events, tags, snapshots) as JSON, and back into another store: how a store
 * written by one version of the code is kept in the repository and replayed by a later one. Only the
 * columns' values go in, as text, numbers, booleans and base64 bytes; the read models are left out
 * (they are rebuilt from the events, which is part of what is checked).
 */
final class StoreDump {
  static final List<String> TABLES = List.of("event_journal", "event_tag", "snapshot");
  private static final ObjectMapper JSON = new ObjectMapper();

  private StoreDump() {}

  static ObjectNode dump(StoreSettings store) throws SQLException {
    ObjectNode out = JSON.createObjectNode();
    try (Connection con = connect(store); Statement st = con.createStatement()) {
      for (String table : TABLES) {
        ObjectNode t = out.putObject(table);
        ArrayNode columns = t.putArray("columns");
        ArrayNode rows = t.putArray("rows");
        try (ResultSet rs = st.executeQuery("SELECT * FROM " + quoted(table) + " ORDER BY 1, 2")) {
          ResultSetMetaData md = rs.getMetaData();
          for (int i = 1; i <= md.getColumnCount(); i++) columns.add(md.getColumnName(i).toLowerCase());
          while (rs.next()) {
            ArrayNode row = rows.addArray();
            for (int i = 1; i <= md.getColumnCount(); i++) {
              int type = md.getColumnType(i);
              Object v = type == Types.BLOB || type == Types.BINARY || type == Types.VARBINARY
                  || type == Types.LONGVARBINARY ? rs.getBytes(i) : rs.getObject(i);
              if (v == null) row.addNull();
              else if (v instanceof byte[] b) row.addObject().put("base64", Base64.getEncoder().encodeToString(b));
              else if (v instanceof Boolean b) row.add(b);
              else if (v instanceof Number n) row.add(n.longValue());
              else row.add(v.toString());
            }
          }
        }
      }
    }
    return out;
  }

  /** Inserts a dump into a store whose schema exists and is empty, and moves the journal's ordering past it. */
  static void load(StoreSettings store, JsonNode dump) throws SQLException {
    try (Connection con = connect(store)) {
      con.setAutoCommit(false);
      for (String table : TABLES) {
        JsonNode t = dump.get(table);
        List<String> columns = new ArrayList<>();
        t.get("columns").forEach(c -> columns.add(c.asText()));
        String sql = "INSERT INTO " + quoted(table) + " (" + String.join(", ", columns.stream().map(StoreDump::quoted).toList())
            + ") VALUES ("
            + String.join(", ", columns.stream().map(c -> "?").toList()) + ")";
        try (PreparedStatement ps = con.prepareStatement(sql)) {
          ResultSetMetaData md = ps.getMetaData();
          for (JsonNode row : t.get("rows")) {
            for (int i = 0; i < columns.size(); i++) {
              JsonNode v = row.get(i);
              int type = md == null ? Types.OTHER : md.getColumnType(i + 1);
              if (v.isNull()) ps.setNull(i + 1, type);
              else if (v.isObject()) ps.setBytes(i + 1, Base64.getDecoder().decode(v.get("base64").asText()));
              else if (v.isBoolean()) ps.setBoolean(i + 1, v.asBoolean());
              else if (v.isNumber() && (type == Types.INTEGER || type == Types.SMALLINT)) ps.setInt(i + 1, v.asInt());
              else if (v.isNumber()) ps.setLong(i + 1, v.asLong());
              else ps.setString(i + 1, v.asText());
            }
            ps.addBatch();
          }
          ps.executeBatch();
        }
      }
      long max = 0;
      try (Statement st = con.createStatement(); ResultSet rs = st.executeQuery("SELECT MAX(\"ordering\") FROM \"event_journal\"")) {
        if (rs.next()) max = rs.getLong(1);
      }
      try (Statement st = con.createStatement()) {
        if (store.kind() == StoreSettings.Kind.H2) {
          st.execute("ALTER TABLE \"event_journal\" ALTER COLUMN \"ordering\" RESTART WITH " + (max + 1));
        } else {
          st.execute("SELECT setval(pg_get_serial_sequence('event_journal', 'ordering'), " + Math.max(max, 1) + ")");
        }
      }
      con.commit();
    }
  }

  /** The schemas' names are lower case: quoted, H2 and PostgreSQL both find them. */
  private static String quoted(String name) {
    return "\"" + name + "\"";
  }

  static Connection connect(StoreSettings store) throws SQLException {
    return DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
  }
}

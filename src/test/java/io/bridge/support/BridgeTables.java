package io.bridge.support;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The bridge's own tables, read from the schema the connection is on (what the Flyway migrations in
 * src/main/resources/db made), so a table added by a later migration is emptied without anyone
 * listing it here. Quartz's tables (its jobs and triggers are the scheduler's configuration) and
 * Flyway's history are left alone.
 */
public final class BridgeTables {

    private BridgeTables() {
    }

    public static List<String> of(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            DatabaseMetaData meta = connection.getMetaData();
            List<String> tables = new ArrayList<>();
            try (ResultSet rows = meta.getTables(connection.getCatalog(), connection.getSchema(), "%", new String[] {"TABLE"})) {
                while (rows.next()) {
                    String name = rows.getString("TABLE_NAME");
                    String lower = name.toLowerCase(Locale.ROOT);
                    if (!lower.startsWith("qrtz_") && !lower.equals("flyway_schema_history")) {
                        tables.add(name);
                    }
                }
            }
            if (tables.isEmpty()) {
                throw new IllegalStateException("no bridge tables in schema " + connection.getSchema() + ": did Flyway run?");
            }
            return tables;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes every row of every bridge table (there are no foreign keys: any order does). */
    public static void empty(JdbcTemplate jdbc) {
        for (String table : of(jdbc.getDataSource())) {
            jdbc.update("DELETE FROM \"" + table + "\"");
        }
    }
}

package io.bridge.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

/**
 * The upgrade to month_users (V15, V15_1) on a database that holds events stored before it:
 * their users are in the table afterwards, once each, and the event tables' indexes are the new
 * ones. On the embedded HSQLDB, and on PostgreSQL (a schema of its own) when the tests run there.
 */
class MonthUsersMigrationTest {

    private static final String POSTGRES = System.getenv().getOrDefault("SPRING_DATASOURCE_URL", "");

    private SingleConnectionDataSource db;
    private String schema;

    @BeforeAll
    static void quietly() { // no Spring here to read the test profile's log levels: Flyway says a lot
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.flywaydb")).setLevel(ch.qos.logback.classic.Level.WARN);
    }

    @AfterEach
    void close() {
        if (schema != null) {
            new JdbcTemplate(db).execute("DROP SCHEMA " + schema + " CASCADE");
        }
        db.destroy();
    }

    @Test
    void theUsersOfEventsStoredBeforeTheUpgradeAreCountedOncePerMonthAndKind() throws SQLException {
        migrate("13");
        JdbcTemplate jdbc = new JdbcTemplate(db);
        store(jdbc, "billable_events", "k1", "2026-10", "a@x.com");
        store(jdbc, "billable_events", "k2", "2026-11", "a@x.com");
        store(jdbc, "billable_events", "k3", "2026-11", "a@x.com");
        store(jdbc, "exempt_events", "k4", "2026-11", "a@x.com");
        store(jdbc, "exempt_events", "k5", "2026-11", "b@x.com");
        store(jdbc, "exempt_events", "k6", "2026-11", "b@x.com");

        migrate(null);

        assertThat(monthUsers(jdbc)).containsExactly(
                "2026-10 billable a@x.com", "2026-11 exempt a@x.com", "2026-11 exempt b@x.com", "2026-11 billable a@x.com");
        assertThat(indexes("billable_events")).contains("ix_billable_events_month").doesNotContain("ix_billable_events_month_user");
        assertThat(indexes("exempt_events")).contains("ix_exempt_events_month").doesNotContain("ix_exempt_events_month_user");
    }

    /** The embedded database commits at each CREATE INDEX: a start cut short there leaves part of V15_1 behind. */
    @Test
    void anUpgradeCutShortIsCompletedByTheNextStart() throws SQLException {
        migrate("15");
        JdbcTemplate jdbc = new JdbcTemplate(db);
        store(jdbc, "billable_events", "k1", "2026-11", "a@x.com");
        store(jdbc, "exempt_events", "k2", "2026-11", "b@x.com");
        // what V15_1 had done when the start was cut short
        jdbc.update("INSERT INTO month_users (event_month, billable, user_key) VALUES ('2026-11', TRUE, 'a@x.com')");
        jdbc.execute("CREATE INDEX ix_billable_events_month ON billable_events (event_month)");
        jdbc.execute("DROP INDEX ix_billable_events_month_user");

        migrate(null);

        assertThat(monthUsers(jdbc)).containsExactly("2026-11 exempt b@x.com", "2026-11 billable a@x.com");
        assertThat(indexes("billable_events")).contains("ix_billable_events_month").doesNotContain("ix_billable_events_month_user");
        assertThat(indexes("exempt_events")).contains("ix_exempt_events_month").doesNotContain("ix_exempt_events_month_user");
    }

    private void migrate(String target) {
        if (db == null) {
            open();
        }
        boolean postgres = schema != null;
        FluentConfiguration flyway = Flyway.configure().dataSource(db)
                .locations("classpath:db/migration", "classpath:db/vendor/" + (postgres ? "postgresql" : "hsqldb"));
        if (postgres) {
            flyway.schemas(schema).defaultSchema(schema);
        }
        if (target != null) {
            flyway.target(target);
        }
        flyway.load().migrate();
    }

    private void open() {
        if (POSTGRES.startsWith("jdbc:postgresql:")) {
            schema = "bridge_migration_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            DriverManagerDataSource target = new DriverManagerDataSource(POSTGRES,
                    System.getenv().getOrDefault("SPRING_DATASOURCE_USERNAME", "postgres"), System.getenv("SPRING_DATASOURCE_PASSWORD"));
            db = new SingleConnectionDataSource(connect(target), true);
            new JdbcTemplate(db).execute("CREATE SCHEMA " + schema);
            new JdbcTemplate(db).execute("SET search_path TO " + schema);
        } else {
            db = new SingleConnectionDataSource("jdbc:hsqldb:mem:month-users-" + UUID.randomUUID() + ";hsqldb.tx=mvcc;sql.pad_space=false;shutdown=true",
                    "SA", "", true);
        }
    }

    private static Connection connect(DriverManagerDataSource target) {
        try {
            return target.getConnection();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void store(JdbcTemplate jdbc, String table, String key, String month, String user) {
        jdbc.update("INSERT INTO " + table + " (dedup_key, event_name, email, user_key, source, event_time, event_month, "
                + "received_at, properties) VALUES (?, 'emailOpen', ?, ?, 'iterable', CURRENT_TIMESTAMP, ?, CURRENT_TIMESTAMP, '{}')",
                key, user, user, month);
    }

    private static List<String> monthUsers(JdbcTemplate jdbc) {
        return jdbc.query("SELECT event_month, billable, user_key FROM month_users ORDER BY event_month, billable, user_key",
                (row, i) -> row.getString(1) + (row.getBoolean(2) ? " billable " : " exempt ") + row.getString(3));
    }

    private List<String> indexes(String table) throws SQLException {
        List<String> names = new ArrayList<>();
        Connection connection = db.getConnection();
        DatabaseMetaData meta = connection.getMetaData();
        String name = schema == null ? table.toUpperCase(Locale.ROOT) : table;
        try (ResultSet rows = meta.getIndexInfo(null, schema == null ? "PUBLIC" : schema, name, false, false)) {
            while (rows.next()) {
                if (rows.getString("INDEX_NAME") != null) {
                    names.add(rows.getString("INDEX_NAME").toLowerCase(Locale.ROOT));
                }
            }
        }
        return names;
    }
}

package io.bridge.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.bridge.support.Postgres;
import io.bridge.webhooks.IterableWebhookProperties.AuthMode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Keys stored before dedup keys began with the event's time (the SHA-256 alone) are rewritten by
 * the migration to exactly the key intake gives a redelivery of the same event now, and keep their
 * $insert_id; the outbox's copies follow.
 */
class DedupKeyMigrationTest {

    static final IterableWebhookParser PARSER = new IterableWebhookParser(
            new IterableWebhookProperties(AuthMode.TOKEN, null, null, "t", 1_048_576, 1000, 8_388_608));

    @BeforeAll
    static void quietly() { // no Spring here to read the test profile's log levels: the pool and Flyway say a lot
        for (String noisy : List.of("com.zaxxer.hikari", "org.flywaydb")) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(noisy)).setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }

    @Test
    void onHsqldb() {
        try (HikariDataSource db = new HikariDataSource()) {
            db.setJdbcUrl("jdbc:hsqldb:mem:keys-" + UUID.randomUUID() + ";hsqldb.tx=mvcc;sql.pad_space=false");
            db.setUsername("SA");
            migrateOver(db, "hsqldb", null);
            new JdbcTemplate(db).execute("SHUTDOWN");
        }
    }

    @Test
    @Tag("postgresql")
    void onPostgresql() {
        String schema = "keys_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (HikariDataSource db = new HikariDataSource()) {
            db.setJdbcUrl(Postgres.url(DedupKeyMigrationTest.class));
            db.setUsername(System.getenv().getOrDefault("SPRING_DATASOURCE_USERNAME", "postgres"));
            db.setPassword(System.getenv("SPRING_DATASOURCE_PASSWORD"));
            db.setSchema(schema);
            try {
                migrateOver(db, "postgresql", schema);
            } finally {
                new JdbcTemplate(db).execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    void migrateOver(HikariDataSource db, String vendor, String schema) {
        Consumer<String> migrateTo = target -> {
            var flyway = Flyway.configure().dataSource(db).locations("classpath:db/migration", "classpath:db/vendor/" + vendor);
            if (schema != null) {
                flyway.schemas(schema).defaultSchema(schema);
            }
            flyway.target(target).load().migrate();
        };
        migrateTo.accept("13");
        JdbcTemplate jdbc = new JdbcTemplate(db);

        IterableEvent timed = PARSER.read("""
                {"email":"a@x.com","eventName":"emailSend","dataFields":{"createdAt":"2026-12-01 01:30:00 +05:00","messageId":"m1"}}""").get(0);
        IterableEvent untimed = PARSER.read("{\"userId\":\"u-1\",\"eventName\":\"emailOpen\"}").get(0);
        assertThat(timed.dedupKey()).as("the event's own time, in seconds since 1970")
                .startsWith("t" + String.format("%011d", Instant.parse("2026-11-30T20:30:00Z").getEpochSecond()))
                .hasSize(64);
        assertThat(untimed.dedupKey()).as("no time of its own: zeros, not when it arrived").startsWith("t00000000000");
        // as the earlier version stored them: the SHA-256's 64 hex digits (the last 12 no key keeps)
        String timedBefore = timed.dedupKey().substring(12) + "0123456789ab";
        String untimedBefore = untimed.dedupKey().substring(12) + "ba9876543210";
        store(jdbc, "exempt_events", timedBefore, timed);
        store(jdbc, "billable_events", untimedBefore, untimed);
        jdbc.update("INSERT INTO forwarding_outbox (event_table, dedup_key, event_id, queued_at, lease_until) "
                + "SELECT 'exempt_events', dedup_key, id, received_at, received_at FROM exempt_events");

        migrateTo.accept("latest");

        assertThat(key(jdbc, "SELECT dedup_key FROM exempt_events")).isEqualTo(timed.dedupKey());
        assertThat(key(jdbc, "SELECT dedup_key FROM billable_events")).isEqualTo(untimed.dedupKey());
        assertThat(key(jdbc, "SELECT dedup_key FROM forwarding_outbox")).isEqualTo(timed.dedupKey());
        assertThat(DedupKey.insertId(timed.dedupKey())).as("$insert_id as before")
                .isEqualTo(DedupKey.insertId(timedBefore)).isEqualTo(timedBefore.substring(0, 32));
        assertThat(DedupKey.insertId(untimed.dedupKey())).isEqualTo(untimedBefore.substring(0, 32));
    }

    static void store(JdbcTemplate jdbc, String table, String key, IterableEvent e) {
        jdbc.update("INSERT INTO " + table + " (dedup_key, event_name, email, user_id, user_key, source, event_time, "
                + "event_month, received_at, properties) VALUES (?, ?, ?, ?, ?, 'iterable', ?, ?, ?, '{}')", key, e.eventName(),
                e.email(), e.userId(), e.userKey(), e.eventTime().atOffset(ZoneOffset.UTC), e.eventMonth(), e.receivedAt().atOffset(ZoneOffset.UTC));
    }

    static String key(JdbcTemplate jdbc, String sql) {
        return jdbc.queryForObject(sql, String.class).strip();
    }
}

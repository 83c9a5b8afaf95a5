package io.bridge.forwarding;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import io.bridge.webhooks.StoredEventsListener.StoredEvent;
import io.bridge.webhooks.StoredEventsListener.Statements;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.stereotype.Component;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The forwarding outbox ({@code forwarding_outbox}, V8): one row per stored event still to forward,
 * written in the transaction that stores the event. Batches claim rows with a lease shared through
 * the database, so that replicas never send the same rows while both live, and the rows of a
 * replica that died are claimed again once its lease lapses.
 *
 * <p>On PostgreSQL a claim sets the batch's claim id and a new lease on the oldest claimable rows
 * (lease lapsed), in one UPDATE whose row choice is {@code FOR UPDATE SKIP LOCKED}: replicas claiming
 * at the same moment take different rows instead of queueing on the same ones. HSQLDB is embedded:
 * one process holds the database, so there is no other replica to arbitrate with, and its claims
 * live in this process alone (the ids each batch holds). A claim there writes nothing: it reads the
 * oldest rows no batch holds, and a batch given back is simply forgotten. After a restart nothing is
 * held, as when every lease has lapsed.
 */
@Component
public class Outbox {

    /** The event tables forwarding reads; table names never come from anywhere else. */
    static final List<String> TABLES = List.of("exempt_events", "billable_events");

    private final ReentrantLock embeddedTurn = new ReentrantLock();
    /** HSQLDB: the outbox ids each batch in flight holds (claim id -> ids, oldest first), and all of them. */
    private final Map<String, List<Long>> embeddedClaims = new ConcurrentHashMap<>();
    private final Set<Long> embeddedHeld = ConcurrentHashMap.newKeySet();
    /** HSQLDB: claims read on from here (0: from the oldest row), and when they last read from the oldest. */
    private long embeddedFrom;
    private long embeddedFromOldestAt;

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final boolean postgres;
    private final String claimSql;
    private final String readSql;
    private final String readRangeSql;

    public Outbox(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(new DataSourceTransactionManager(jdbc.getDataSource()));
        this.tx.setIsolationLevel(TransactionDefinition.ISOLATION_READ_COMMITTED);
        this.postgres = isPostgres(jdbc);
        this.claimSql = "UPDATE forwarding_outbox SET claim_id = ?, lease_until = ? WHERE id IN (SELECT id FROM forwarding_outbox "
                + "WHERE lease_until <= ? ORDER BY id FETCH FIRST ? ROWS ONLY FOR UPDATE SKIP LOCKED)";
        this.readSql = read("o.claim_id = ?");
        this.readRangeSql = read("o.id BETWEEN ? AND ?");
    }

    /** The claimed rows and their events, oldest first: one query over both event tables. */
    private static String read(String rows) {
        StringBuilder read = new StringBuilder();
        for (String table : TABLES) {
            read.append(read.isEmpty() ? "" : " UNION ALL ").append("SELECT o.id, o.event_table, e.dedup_key, e.event_name, e.email, ")
                    .append("e.user_id, e.event_time, e.properties FROM forwarding_outbox o JOIN ").append(table)
                    .append(" e ON e.id = o.event_id WHERE ").append(rows).append(" AND o.event_table = '").append(table).append("'");
        }
        return read.append(" ORDER BY 1").toString();
    }

    /** Per event table: the outbox row of one event it stores, pointing at the event's row. */
    private static final Map<String, String> QUEUE = TABLES.stream()
            .collect(java.util.stream.Collectors.toMap(table -> table, Outbox::queueFrom));

    private static String queueFrom(String table) {
        return "INSERT INTO forwarding_outbox (event_table, dedup_key, event_id, queued_at, lease_until) SELECT '"
                + table + "', e.dedup_key, e.id, ?, ? FROM " + table + " e WHERE e.dedup_key = ?";
    }

    /**
     * Inside the intake's transaction: one batched insert per event table of the outbox rows of the
     * events it stores, each pointing at its event's row (just written, so the lookup is in cache).
     * The statements are the writer's, kept from one transaction to the next.
     */
    void queue(Statements statements, List<StoredEvent> events) throws SQLException {
        for (String table : TABLES) {
            PreparedStatement insert = null;
            for (StoredEvent event : events) {
                if (event.table().equals(table)) {
                    if (insert == null) {
                        insert = statements.prepare(QUEUE.get(table));
                    }
                    OffsetDateTime at = event.receivedAt().atOffset(ZoneOffset.UTC);
                    insert.setObject(1, at);
                    insert.setObject(2, at);
                    insert.setString(3, event.dedupKey());
                    insert.addBatch();
                }
            }
            if (insert != null) {
                insert.executeBatch();
            }
        }
    }

    /** Claims up to {@code max} of the oldest claimable rows for {@code lease}; null when there are none. */
    Claim claim(int max, Duration lease) {
        return postgres ? claimShared(max, lease) : claimEmbedded(max);
    }

    private Claim claimShared(int max, Duration lease) {
        String claimId = UUID.randomUUID().toString();
        Instant now = Instant.now();
        if (jdbc.update(claimSql, claimId, Timestamp.from(now.plus(lease)), Timestamp.from(now), max) == 0) {
            return null;
        }
        Object[] ids = new Object[TABLES.size()];
        java.util.Arrays.fill(ids, claimId);
        // rows whose event is gone (deleted by hand) have nothing to forward: settling the claim deletes them too
        return new Claim(claimId, jdbc.query(readSql, Outbox::event, ids));
    }

    /**
     * One process: the oldest rows no batch of it holds, by the primary key; nothing written. While
     * batches follow one another it reads on from the newest id handed out, instead of reading past
     * every row the other batches hold; it reads from the oldest row again when there is nothing
     * beyond, when a batch was given back, and at least once a second (a transaction that took an id
     * before another but committed after it).
     */
    private Claim claimEmbedded(int max) {
        List<Long> ids;
        embeddedTurn.lock();
        try {
            long now = System.nanoTime();
            boolean fromOldest = embeddedFrom == 0 || now - embeddedFromOldestAt >= 1_000_000_000L;
            ids = fromOldest ? List.of() : jdbc.queryForList("SELECT id FROM forwarding_outbox WHERE id > ? ORDER BY id FETCH FIRST "
                    + max + " ROWS ONLY", Long.class, embeddedFrom).stream().filter(id -> !embeddedHeld.contains(id)).toList();
            if (ids.isEmpty()) {
                embeddedFromOldestAt = now;
                ids = jdbc.queryForList("SELECT id FROM forwarding_outbox ORDER BY id FETCH FIRST " + (max + embeddedHeld.size())
                        + " ROWS ONLY", Long.class).stream().filter(id -> !embeddedHeld.contains(id)).limit(max).toList();
            }
            if (ids.isEmpty()) {
                return null;
            }
            embeddedHeld.addAll(ids);
            embeddedFrom = Math.max(embeddedFrom, ids.get(ids.size() - 1));
        } finally {
            embeddedTurn.unlock();
        }
        String claimId = UUID.randomUUID().toString();
        embeddedClaims.put(claimId, ids);
        Set<Long> mine = Set.copyOf(ids);
        List<OutboxEvent> events = jdbc.query(readRangeSql, Outbox::event, ids.get(0), ids.get(ids.size() - 1),
                ids.get(0), ids.get(ids.size() - 1)).stream().filter(e -> mine.contains(e.id())).toList();
        return new Claim(claimId, events);
    }

    private static OutboxEvent event(java.sql.ResultSet rs, int i) throws SQLException {
        return new OutboxEvent(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                rs.getObject(7, OffsetDateTime.class).toInstant(), rs.getString(8));
    }

    /** Gives claimed rows back (all, or from outbox id {@code fromId} on), claimable again at once. */
    void release(String claimId, Long fromId) {
        if (!postgres) {
            List<Long> held = embeddedClaims.get(claimId);
            if (held != null) {
                List<Long> back = fromId == null ? held : held.stream().filter(id -> id >= fromId).toList();
                embeddedClaims.put(claimId, fromId == null ? List.of() : held.stream().filter(id -> id < fromId).toList());
                back.forEach(embeddedHeld::remove);
                if (!back.isEmpty()) {
                    embeddedTurn.lock();
                    try {
                        embeddedFrom = 0; // the rows given back are older than the newest handed out
                    } finally {
                        embeddedTurn.unlock();
                    }
                }
            }
            return;
        }
        Timestamp now = Timestamp.from(Instant.now());
        if (fromId == null) {
            jdbc.update("UPDATE forwarding_outbox SET claim_id = NULL, lease_until = ? WHERE claim_id = ?", now, claimId);
        } else {
            jdbc.update("UPDATE forwarding_outbox SET claim_id = NULL, lease_until = ? WHERE claim_id = ? AND id >= ?", now, claimId,
                    fromId);
        }
    }

    /** Mixpanel answered for the claim: the rejected are kept with their reason, and the claim's rows are done. */
    void settle(String claimId, List<Rejection> rejected) {
        tx.executeWithoutResult(status -> {
            if (!rejected.isEmpty()) {
                Timestamp now = Timestamp.from(Instant.now());
                List<Object[]> rows = new ArrayList<>();
                for (Rejection r : rejected) {
                    rows.add(new Object[] {r.event().table(), r.event().dedupKey(), r.event().eventName(), now, r.by(),
                            cut(r.field(), 128), cut(r.reason(), 1024)});
                }
                jdbc.batchUpdate("INSERT INTO forwarding_rejected (event_table, dedup_key, event_name, rejected_at, rejected_by, field, "
                        + "reason) VALUES (?, ?, ?, ?, ?, ?, ?)", rows);
            }
            if (postgres) {
                jdbc.update("DELETE FROM forwarding_outbox WHERE claim_id = ?", claimId);
                return;
            }
            List<Long> held = embeddedClaims.getOrDefault(claimId, List.of());
            if (held.isEmpty()) {
                return;
            }
            long first = held.get(0);
            long last = held.get(held.size() - 1);
            if (last - first + 1 == held.size()) { // ids in order, one run without gaps: one range delete
                jdbc.update("DELETE FROM forwarding_outbox WHERE id BETWEEN ? AND ?", first, last);
            } else {
                jdbc.batchUpdate("DELETE FROM forwarding_outbox WHERE id = ?", held.stream().map(id -> new Object[] {id}).toList());
            }
        });
        if (!postgres) { // committed: the rows are gone, and no longer held
            List<Long> held = embeddedClaims.remove(claimId);
            if (held != null) {
                held.forEach(embeddedHeld::remove);
            }
        }
    }

    /** Queues the stored events whose time is in [from, to) again; how many. */
    int replay(Instant from, Instant to) {
        Timestamp now = Timestamp.from(Instant.now());
        Integer queued = tx.execute(status -> {
            int n = 0;
            for (String table : TABLES) {
                n += jdbc.update("INSERT INTO forwarding_outbox (event_table, dedup_key, event_id, queued_at, lease_until) SELECT '"
                        + table + "', dedup_key, id, ?, ? FROM " + table + " WHERE event_time >= ? AND event_time < ?", now, now,
                        Timestamp.from(from), Timestamp.from(to));
            }
            return n;
        });
        return queued == null ? 0 : queued;
    }

    /** Rows waiting to be forwarded (claimed or not). */
    long pending() {
        Long n = jdbc.queryForObject("SELECT COUNT(*) FROM forwarding_outbox", Long.class);
        return n == null ? 0 : n;
    }

    /** When the oldest waiting row was queued; null when none waits. */
    Instant oldestQueuedAt() {
        List<OffsetDateTime> oldest = jdbc.queryForList("SELECT queued_at FROM forwarding_outbox ORDER BY id FETCH FIRST 1 ROWS ONLY",
                OffsetDateTime.class);
        return oldest.isEmpty() ? null : oldest.get(0).toInstant();
    }

    long rejected() {
        Long n = jdbc.queryForObject("SELECT COUNT(*) FROM forwarding_rejected", Long.class);
        return n == null ? 0 : n;
    }

    /** The newest rejections, for the status. */
    List<Map<String, Object>> recentRejections(int n) {
        return jdbc.query("SELECT dedup_key, event_name, rejected_at, rejected_by, field, reason FROM forwarding_rejected ORDER BY id DESC "
                + "FETCH FIRST " + n + " ROWS ONLY", (rs, i) -> {
                    Map<String, Object> r = new java.util.LinkedHashMap<>();
                    r.put("dedupKey", rs.getString(1).strip());
                    r.put("event", rs.getString(2));
                    r.put("at", rs.getObject(3, OffsetDateTime.class).toInstant().toString());
                    r.put("by", rs.getString(4));
                    r.put("field", rs.getString(5));
                    r.put("reason", rs.getString(6));
                    return r;
                });
    }

    private static String cut(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max - 3) + "...";
    }

    private static boolean isPostgres(JdbcTemplate jdbc) {
        try (Connection c = jdbc.getDataSource().getConnection()) {
            return c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot tell which database this is", e);
        }
    }
}

package io.bridge.webhooks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Stores webhook events with a group commit: concurrent deliveries queue up, one writer thread
 * writes everything waiting in a single transaction, and each delivery returns only once the
 * transaction holding its events has committed. A delivery's events are all-or-nothing; a
 * redelivered event (same dedup key) is not stored twice.
 *
 * <p>Why not one {@code jdbc:} endpoint call per request: a durable commit from each request thread
 * stays below the intake's target on this hardware, and one commit per delivery ties throughput to
 * fsync latency. Batching what is waiting into one commit keeps the intake durable and fast
 * (figures in the README).
 *
 * <p>Why one writer: two, each with its own connection and transactions, were not faster on two
 * cores (PostgreSQL about the same at more CPU per event, HSQLDB a quarter slower; README,
 * "Where the time goes"). A second writer would also need {@link MonthUsers}' memory shared
 * between writers, and two transactions holding the same redelivered events in different orders
 * could deadlock.
 */
@Component("eventStore")
public class EventStore implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(EventStore.class);

    /** The tables the MTU router may choose; table names never come from anywhere else. */
    private static final Map<String, String> INSERTS = Map.of(
            "exempt_events", insertInto("exempt_events"),
            "billable_events", insertInto("billable_events"));
    /** The same, skipping events whose dedup key is stored already: for a batch that holds a redelivery, and once more after a race. */
    private static final Map<String, String> MERGES = Map.of(
            "exempt_events", mergeInto("exempt_events"),
            "billable_events", mergeInto("billable_events"));

    private final Map<String, Counter> storedEvents = new HashMap<>();
    /** Transactions that stored deliveries: fewer than the deliveries when the group commit groups. */
    private final Counter commits;
    private final DataSource dataSource;
    private final EventStoreProperties props;
    private final BlockingQueue<Delivery> queue;
    private volatile boolean running;
    private Thread writer;
    /**
     * The writer thread's connection and its statements, kept from one commit to the next while
     * deliveries keep coming: HSQLDB compiles a statement each time one is prepared, a sixth of the
     * writer's time when each commit prepared its own. Released when the queue falls idle, after
     * {@link #HOLD_CONNECTION}, and after any failure (the next commit starts on a fresh one).
     */
    private Connection connection;
    private long connectionSince;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    /** Longest the writer keeps one connection from the pool under unbroken load (its max-lifetime applies on return). */
    private static final long HOLD_CONNECTION = TimeUnit.SECONDS.toNanos(30);
    /** Told of each transaction's new events (the Mixpanel forwarding outbox); resolved at start. */
    private final ObjectProvider<StoredEventsListener> listenerProvider;
    private List<StoredEventsListener> listeners = List.of();

    public EventStore(DataSource dataSource, EventStoreProperties props, MeterRegistry meters,
            ObjectProvider<StoredEventsListener> listeners) {
        this.listenerProvider = listeners;
        for (String table : INSERTS.keySet()) {
            storedEvents.put(table, Counter.builder("bridge.webhook.events").description("Iterable events stored, by table")
                    .tag("table", table).register(meters));
        }
        this.dataSource = dataSource;
        this.props = props;
        this.queue = new LinkedBlockingQueue<>(props.queueCapacity());
        this.commits = Counter.builder("bridge.webhook.commits")
                .description("Transactions that stored webhook deliveries (each holds every delivery that was waiting)")
                .register(meters);
        Gauge.builder("bridge.webhook.deliveries.waiting", queue, BlockingQueue::size)
                .description("Deliveries waiting for a commit; at bridge.events.store.queue-capacity new ones get 503")
                .register(meters);
    }

    /** Header holding the value of {@code $source} that the route gave an event. */
    public static final String SOURCE = "eventSource";
    /** Header holding the table that the route's MTU router chose for an event. */
    public static final String TABLE = "eventTable";

    /** Size of the {@code properties} columns (V5_1): max-payload-bytes (1 MiB) plus room for {@code $source}. */
    static final int PROPERTIES_CHARS = 1_049_600;

    /**
     * Commits the events of one delivery (each message: body {@link IterableEvent}, headers
     * {@value #SOURCE} and {@value #TABLE}). Throws {@link RejectedWebhookException} (400, kept in
     * rejected_webhooks) when the delivery's data can never be stored, {@link StoreUnavailableException}
     * (503) when the database cannot commit now.
     */
    public StoreResult store(List<Message> events, @ExchangeProperty(IterableWebhookBody.PAYLOAD) String payload,
            @Header("Content-Type") String contentType) {
        List<Row> rows = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            Message message = events.get(i);
            String table = message.getHeader(TABLE, String.class);
            String source = message.getHeader(SOURCE, String.class);
            if (!INSERTS.containsKey(table) || source == null) {
                throw new IllegalArgumentException("the route must set header " + SOURCE + " and header " + TABLE
                        + " (one of " + INSERTS.keySet() + ") on every event; got " + SOURCE + "=" + source + ", "
                        + TABLE + "=" + table);
            }
            IterableEvent event = message.getBody(IterableEvent.class);
            event.payload().put("$source", source);
            String properties = event.payload().toString();
            if (properties.length() > PROPERTIES_CHARS) {
                throw new RejectedWebhookException(400, (events.size() == 1 ? "event" : "event[" + i + "]")
                        + ": with $source the event is " + properties.length() + " characters, more than the "
                        + PROPERTIES_CHARS + " that can be stored: send smaller events", payload).sentAs(contentType);
            }
            rows.add(new Row(event, source, table, properties));
        }
        Delivery delivery = new Delivery(rows, new CompletableFuture<>());
        if (!running || !queue.offer(delivery)) {
            throw new StoreUnavailableException(running ? "too many deliveries waiting for a commit" : "shutting down", null);
        }
        try {
            return delivery.committed.get(props.commitTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SQLException sql && isDataError(sql)) {
                // Validation let through something the database refuses: a bug or a poison event.
                // Retrying cannot help, so Iterable must not retry it for nothing: refuse and keep it.
                throw new RejectedWebhookException(400, "the database refused this delivery's data (SQLState "
                        + sqlState(sql) + ": " + describe(sql) + "); it is kept in rejected_webhooks for review: "
                        + "sending it again unchanged will fail again", payload).sentAs(contentType);
            }
            throw new StoreUnavailableException("events not stored: " + describe(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            throw new StoreUnavailableException("no commit within " + props.commitTimeout(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted while waiting for the commit", e);
        }
    }

    private void writeLoop() {
        List<Delivery> batch = new ArrayList<>();
        while (running || !queue.isEmpty()) {
            try {
                Delivery first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    release();
                    continue;
                }
                batch.add(first);
                int events = first.rows.size();
                Delivery next;
                while (events < props.maxBatchEvents() && (next = queue.poll()) != null) {
                    batch.add(next);
                    events += next.rows.size();
                }
                write(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Throwable e) { // keep writing: a dead writer would turn every delivery into a 503
                batch.forEach(d -> d.committed.completeExceptionally(e));
                log.error("event writer failed; {} deliveries answered 503: {}: {}", batch.size(), e.getClass().getName(), describe(e));
            } finally {
                batch.clear();
            }
        }
        release();
    }

    private void write(List<Delivery> batch) {
        write(batch, false, true);
    }

    /**
     * Commits the batch with plain inserts first: nearly every event is new, and a MERGE looks its
     * dedup key up before inserting it, a second walk of the key's index (measured when keys were
     * bare SHA-256s, on the embedded database: mostly rows read back from disk, doubling a large
     * batch's time). A batch that holds a redelivery fails on the unique key, is rolled back and
     * committed again with the MERGE, which counts it as a duplicate.
     */
    private void write(List<Delivery> batch, boolean merge, boolean mayRetry) {
        try {
            List<StoreResult> results = commit(batch, merge);
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).committed.complete(results.get(i));
            }
        } catch (SQLException e) {
            if (!merge && isUniqueViolation(e)) {
                write(batch, true, true);
                return;
            }
            if (batch.size() > 1 && isDataError(e)) {
                // One delivery's data broke the batch (or another replica raced on a dedup key):
                // commit deliveries one by one so only the guilty one fails.
                batch.forEach(d -> write(List.of(d), false, true));
                return;
            }
            if (mayRetry && isUniqueViolation(e)) {
                // Another replica stored one of these events between this MERGE's check and its
                // insert: once more, the MERGE sees that row and counts the event as a duplicate.
                write(batch, true, false);
                return;
            }
            if (isDataError(e)) {
                log.warn("the database refused the data of a webhook delivery (SQLState {}: {}): answered 400, "
                        + "kept in rejected_webhooks", sqlState(e), describe(e));
            } else {
                log.warn("could not commit {} webhook deliveries (SQLState {}: {}): answered 503 so Iterable retries",
                        batch.size(), sqlState(e), describe(e));
            }
            batch.forEach(d -> d.committed.completeExceptionally(e));
        }
    }

    /** One transaction for the whole batch; returns each delivery's counts once committed. */
    private List<StoreResult> commit(List<Delivery> batch, boolean merge) throws SQLException {
        Connection connection = connection();
        Map<String, String> sql = merge ? MERGES : INSERTS;
        Map<String, List<Integer>> owners = new HashMap<>();
        try {
            for (int d = 0; d < batch.size(); d++) {
                for (Row row : batch.get(d).rows) {
                    PreparedStatement insert = prepared(connection, sql.get(row.table));
                    bind(insert, row);
                    insert.addBatch();
                    owners.computeIfAbsent(row.table, t -> new ArrayList<>()).add(d);
                }
            }
            int[] stored = new int[batch.size()];
            int[] events = new int[batch.size()];
            Map<String, Integer> storedPerTable = new HashMap<>();
            List<StoredEventsListener.StoredEvent> fresh = listeners.isEmpty() ? null : new ArrayList<>();
            for (Map.Entry<String, List<Integer>> entry : owners.entrySet()) {
                int[] counts = statements.get(sql.get(entry.getKey())).executeBatch();
                List<Integer> owner = entry.getValue();
                List<Row> written = fresh == null ? null : rowsOf(batch, entry.getKey());
                for (int i = 0; i < counts.length; i++) {
                    // a plain insert that returned stored its row (a driver may not say how many: SUCCESS_NO_INFO);
                    // a MERGE's count says whether it inserted (HSQLDB and PostgreSQL give real counts for it)
                    boolean inserted = !merge || counts[i] > 0;
                    stored[owner.get(i)] += inserted ? 1 : 0;
                    events[owner.get(i)]++;
                    storedPerTable.merge(entry.getKey(), inserted ? 1 : 0, Integer::sum);
                    if (fresh != null && inserted) {
                        Row row = written.get(i);
                        fresh.add(new StoredEventsListener.StoredEvent(row.table, row.event.dedupKey(), row.event.receivedAt(),
                                row.event.eventMonth(), row.event.userKey()));
                    }
                }
            }
            if (fresh != null && !fresh.isEmpty()) {
                for (StoredEventsListener listener : listeners) {
                    listener.storing(statement -> prepared(connection, statement), fresh);
                }
            }
            connection.commit();
            commits.increment();
            storedPerTable.forEach((table, count) -> storedEvents.get(table).increment(count));
            if (fresh != null && !fresh.isEmpty()) {
                for (StoredEventsListener listener : listeners) {
                    try {
                        listener.stored(fresh.size());
                    } catch (RuntimeException e) { // committed: the deliveries' answer is 200 whatever a listener does now
                        log.warn("after a commit, {} failed: {}", listener.getClass().getSimpleName(), describe(e));
                    }
                }
            }
            List<StoreResult> results = new ArrayList<>(batch.size());
            for (int d = 0; d < batch.size(); d++) {
                results.add(new StoreResult(stored[d], events[d] - stored[d]));
            }
            return results;
        } catch (Throwable e) { // whatever failed, the next commit starts on a fresh connection with empty statements
            release();
            throw e;
        }
    }

    /** The statement kept on the writer's connection, prepared the first time it is asked for. */
    private PreparedStatement prepared(Connection connection, String sql) throws SQLException {
        PreparedStatement statement = statements.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            statements.put(sql, statement);
        }
        return statement;
    }

    /** The writer's connection, from the pool when it holds none (or has held one for {@link #HOLD_CONNECTION}). */
    private Connection connection() throws SQLException {
        if (connection != null && System.nanoTime() - connectionSince > HOLD_CONNECTION) {
            release();
        }
        if (connection == null) {
            Connection fresh = dataSource.getConnection();
            try {
                fresh.setAutoCommit(false);
            } catch (SQLException e) {
                fresh.close();
                throw e;
            }
            connection = fresh;
            connectionSince = System.nanoTime();
        }
        return connection;
    }

    /** Gives the writer's connection back to the pool (rolled back, its statements closed); quiet: a broken one is discarded by the pool. */
    private void release() {
        if (connection == null) {
            return;
        }
        rollbackQuietly(connection);
        for (PreparedStatement statement : statements.values()) {
            try {
                statement.close();
            } catch (SQLException ignored) {
                // closed with its connection
            }
        }
        statements.clear();
        try {
            connection.close();
        } catch (SQLException ignored) {
            // the pool discards a broken connection
        }
        connection = null;
    }

    /** The rows of the batch bound to one table's statement, in the order they were bound. */
    private static List<Row> rowsOf(List<Delivery> batch, String table) {
        List<Row> rows = new ArrayList<>();
        for (Delivery delivery : batch) {
            for (Row row : delivery.rows) {
                if (row.table.equals(table)) {
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    private static void bind(PreparedStatement insert, Row row) throws SQLException {
        IterableEvent e = row.event;
        insert.setString(1, e.dedupKey());
        insert.setString(2, e.eventName());
        insert.setString(3, e.email());
        insert.setString(4, e.userId());
        insert.setString(5, e.userKey());
        insert.setString(6, row.source);
        insert.setString(7, e.messageId());
        insert.setString(8, e.campaignId());
        insert.setObject(9, e.eventTime().atOffset(ZoneOffset.UTC));
        insert.setString(10, e.eventMonth());
        insert.setObject(11, e.receivedAt().atOffset(ZoneOffset.UTC));
        insert.setString(12, row.properties);
    }

    private static final String COLUMNS = "dedup_key, event_name, email, user_id, user_key, source, message_id, campaign_id, "
            + "event_time, event_month, received_at, properties";

    private static String insertInto(String table) {
        return "INSERT INTO " + table + " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    }

    /**
     * Insert unless the dedup key is stored already: a MERGE that HSQLDB and PostgreSQL (15+) both
     * run as written.
     */
    private static String mergeInto(String table) {
        return "MERGE INTO " + table + " t USING (VALUES (CAST(? AS CHAR(64)), CAST(? AS VARCHAR(128)), "
                + "CAST(? AS VARCHAR(320)), CAST(? AS VARCHAR(256)), CAST(? AS VARCHAR(320)), CAST(? AS VARCHAR(32)), "
                + "CAST(? AS VARCHAR(256)), CAST(? AS VARCHAR(64)), CAST(? AS TIMESTAMP WITH TIME ZONE), CAST(? AS CHAR(7)), "
                + "CAST(? AS TIMESTAMP WITH TIME ZONE), CAST(? AS VARCHAR(" + PROPERTIES_CHARS + ")))) AS v(" + COLUMNS + ") "
                + "ON t.dedup_key = v.dedup_key "
                + "WHEN NOT MATCHED THEN INSERT (" + COLUMNS + ") VALUES (v.dedup_key, v.event_name, v.email, "
                + "v.user_id, v.user_key, v.source, v.message_id, v.campaign_id, v.event_time, v.event_month, "
                + "v.received_at, v.properties)";
    }

    /**
     * SQLState class 22 (data exception) or 23 (integrity constraint): the data, not the database.
     * A batch failure carries the failing statement's state, else its next exception does.
     */
    private static boolean isDataError(SQLException e) {
        String state = sqlState(e);
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    /** 23505: a unique key (here: a dedup key) is stored already. */
    private static boolean isUniqueViolation(SQLException e) {
        return "23505".equals(sqlState(e));
    }

    private static String sqlState(SQLException e) {
        for (SQLException x = e; x != null; x = x.getNextException()) {
            if (x.getSQLState() != null) {
                return x.getSQLState();
            }
        }
        return null;
    }

    /**
     * What went wrong, for a log line or an answer: the innermost database message's first line, cut
     * and neutralised. Never the batch's own message: PostgreSQL's names the statement with its
     * parameters, that is the delivery itself.
     */
    static String describe(Throwable e) {
        Throwable root = e;
        if (root instanceof SQLException sql) {
            while (sql.getNextException() != null) {
                sql = sql.getNextException();
            }
            root = sql;
        }
        if (root instanceof java.sql.BatchUpdateException && root.getCause() != null) {
            root = root.getCause();
        }
        String message = root == null || root.getMessage() == null ? String.valueOf(root) : root.getMessage();
        message = message.lines().findFirst().orElse("").strip();
        return SafeText.neutralise(message.length() <= 200 ? message : message.substring(0, 200) + "...");
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the pool discards it
        }
    }

    @Override
    public void start() {
        listeners = listenerProvider.orderedStream().toList();
        running = true;
        writer = new Thread(this::writeLoop, "event-store-writer");
        writer.start();
    }

    /** Stops taking deliveries, commits those already queued, then returns. */
    @Override
    public void stop() {
        running = false;
        try {
            writer.join(props.commitTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A start that fails after this one started (Camel refusing a setting, say) destroys the beans
     * without stopping them: the writer ends here too, or its thread would keep the JVM up with
     * nothing serving (a local run would never end, a pod would wait for its liveness probe).
     */
    @PreDestroy
    void end() {
        if (running) {
            stop();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Starts before and stops after the web server and Camel, so no delivery outlives it. */
    @Override
    public int getPhase() {
        return 0;
    }

    /** One event as stored: the event, its {@code $source}, its table, its properties JSON. */
    private record Row(IterableEvent event, String source, String table, String properties) {
    }

    private record Delivery(List<Row> rows, CompletableFuture<StoreResult> committed) {
    }
}

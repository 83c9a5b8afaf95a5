package io.bridge.webhooks;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * Told of the events {@link EventStore} stores: inside the very transaction that stores them (so
 * that what it writes there is committed with the events, or not at all), and again once that
 * transaction has committed. Duplicates (a redelivered event) are not passed on. Implementations
 * must be quick: the intake's group commit waits for them.
 */
public interface StoredEventsListener {

    /** One event the transaction stores: its table, its dedup key, when it arrived, its UTC month (yyyy-MM) and user. */
    record StoredEvent(String table, String dedupKey, Instant receivedAt, String eventMonth, String userKey) {
    }

    /**
     * The storing transaction's statements: one prepared on the writer's connection is kept for
     * its next transactions (HSQLDB compiles a statement each time one is prepared) and closed by
     * the writer, never by a listener.
     */
    @FunctionalInterface
    interface Statements {
        PreparedStatement prepare(String sql) throws SQLException;
    }

    /** Inside the storing transaction, before its commit; an exception rolls the whole transaction back. */
    void storing(Statements statements, List<StoredEvent> events) throws SQLException;

    /** After the commit of {@code events} new events. */
    void stored(int events);
}

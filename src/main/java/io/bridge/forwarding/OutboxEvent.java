package io.bridge.forwarding;

import java.time.Instant;

/**
 * A claimed outbox row and the stored event it points at: what forwarding needs of it.
 *
 * @param id         the outbox row
 * @param table      exempt_events | billable_events
 * @param dedupKey   the event's time and SHA-256 (its $insert_id is derived from it: {@code DedupKey})
 * @param properties the event's JSON as stored (with $source)
 */
public record OutboxEvent(long id, String table, String dedupKey, String eventName, String email, String userId,
        Instant eventTime, String properties) {
}

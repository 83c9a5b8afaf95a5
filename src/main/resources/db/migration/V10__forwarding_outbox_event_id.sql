-- An outbox row points at its event by the event row's id, not only by its dedup key. Reading a
-- claimed batch looked each event up by dedup key: a SHA-256, so the 2,000 lookups of a batch were
-- spread over the whole unique index, and on the embedded database (rows and index nodes on disk,
-- a cache capped by the heap) nearly every step of every lookup missed the cache. Event ids grow
-- as events are stored, so a batch of the oldest rows reads neighbouring rows of the primary key.
-- Rows queued before this change get their ids here; a row whose event is gone keeps none and is
-- settled with nothing to send, as before. Portable: HSQLDB and PostgreSQL.
ALTER TABLE forwarding_outbox ADD COLUMN event_id BIGINT;
UPDATE forwarding_outbox SET event_id = (SELECT e.id FROM exempt_events e WHERE e.dedup_key = forwarding_outbox.dedup_key)
    WHERE event_table = 'exempt_events';
UPDATE forwarding_outbox SET event_id = (SELECT e.id FROM billable_events e WHERE e.dedup_key = forwarding_outbox.dedup_key)
    WHERE event_table = 'billable_events';

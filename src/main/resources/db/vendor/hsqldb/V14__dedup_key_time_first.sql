-- Dedup keys begin with the event's own time (io.bridge.webhooks.DedupKey): 't', the seconds since
-- 1970 of dataFields.createdAt in 11 digits (zeros when the event had none: it was stored with
-- event_time = received_at), then the first 52 hex digits of the SHA-256 that was the whole key.
-- A redelivery of an event stored before this version is still recognised, and $insert_id (the
-- SHA-256's first 32 hex digits) does not change. HSQLDB: UNIX_TIMESTAMP; PostgreSQL has its own version.
UPDATE exempt_events SET dedup_key = 't' || LPAD(CAST(CASE WHEN event_time = received_at THEN 0
        ELSE LEAST(99999999999, GREATEST(0, UNIX_TIMESTAMP(event_time))) END AS VARCHAR(11)), 11, '0') || SUBSTRING(dedup_key FROM 1 FOR 52)
    WHERE dedup_key NOT LIKE 't%';
UPDATE billable_events SET dedup_key = 't' || LPAD(CAST(CASE WHEN event_time = received_at THEN 0
        ELSE LEAST(99999999999, GREATEST(0, UNIX_TIMESTAMP(event_time))) END AS VARCHAR(11)), 11, '0') || SUBSTRING(dedup_key FROM 1 FOR 52)
    WHERE dedup_key NOT LIKE 't%';

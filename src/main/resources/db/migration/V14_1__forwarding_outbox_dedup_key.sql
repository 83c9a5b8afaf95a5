-- The outbox's copy of each waiting event's dedup key, in the form V14 gave the events' own (rows
-- whose event is gone keep theirs; they are settled with nothing to send). Portable.
UPDATE forwarding_outbox SET dedup_key = COALESCE((SELECT e.dedup_key FROM exempt_events e WHERE e.id = forwarding_outbox.event_id), dedup_key)
    WHERE event_table = 'exempt_events';
UPDATE forwarding_outbox SET dedup_key = COALESCE((SELECT e.dedup_key FROM billable_events e WHERE e.id = forwarding_outbox.event_id), dedup_key)
    WHERE event_table = 'billable_events';

-- Webhook columns sized for everything the intake admits (issue 9), so that no accepted delivery
-- can fail on a column and be answered 503 on every retry. Portable: HSQLDB and PostgreSQL.
--
-- properties: the event as sent (numbers kept as written, never longer than the body) plus
-- ,"$source":"iterable" (21 characters), for a body of at most bridge.webhooks.iterable.
-- max-payload-bytes (1 MiB; a character is at least one byte): 1 MiB + 1 KiB.
ALTER TABLE exempt_events ALTER COLUMN properties SET DATA TYPE VARCHAR(1049600);
ALTER TABLE billable_events ALTER COLUMN properties SET DATA TYPE VARCHAR(1049600);

-- payload of a refused delivery: its text, or its bytes base64-encoded when they are not storable
-- text (invalid UTF-8, NUL characters): base64 of 1 MiB is 1,398,104 characters.
ALTER TABLE rejected_webhooks ALTER COLUMN payload SET DATA TYPE VARCHAR(1400000);

-- month_users (V15) for the events stored before it; then each event table's (event_month,
-- user_key) index makes way for one on event_month alone, which the report's event counts use and
-- which new events extend at their end. Reads every stored event's month and user once: the
-- README's "Monthly tracked users" says how long that takes on large tables.
--
-- Runs again from the start if it was cut short: PostgreSQL rolls the whole of it back, but the
-- embedded HSQLDB commits at each CREATE or DROP INDEX, so it may find rows and indexes of a run
-- that did not finish.
DELETE FROM month_users;

INSERT INTO month_users (event_month, billable, user_key)
    SELECT DISTINCT event_month, TRUE, user_key FROM billable_events;

INSERT INTO month_users (event_month, billable, user_key)
    SELECT DISTINCT event_month, FALSE, user_key FROM exempt_events;

CREATE INDEX IF NOT EXISTS ix_billable_events_month ON billable_events (event_month);
CREATE INDEX IF NOT EXISTS ix_exempt_events_month ON exempt_events (event_month);
DROP INDEX IF EXISTS ix_billable_events_month_user;
DROP INDEX IF EXISTS ix_exempt_events_month_user;

-- month_users (V15) for the events stored before it, read through the
-- (event_month, user_key) indexes one last time; then those indexes make way for ones on
-- event_month alone, which the report's event counts use and which new events extend at their end.
-- Reads every stored event's month and user once: see the README's "Upgrading" for the time it
-- takes on large tables.
INSERT INTO month_users (event_month, billable, user_key)
    SELECT DISTINCT event_month, TRUE, user_key FROM billable_events;

INSERT INTO month_users (event_month, billable, user_key)
    SELECT DISTINCT event_month, FALSE, user_key FROM exempt_events;

CREATE INDEX ix_billable_events_month ON billable_events (event_month);
CREATE INDEX ix_exempt_events_month ON exempt_events (event_month);
DROP INDEX ix_billable_events_month_user;
DROP INDEX ix_exempt_events_month_user;

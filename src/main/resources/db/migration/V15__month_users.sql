-- The users seen in each UTC month, for the MTU report (routes/mtu-report.camel.yaml): a row says
-- that user_key had at least one billable (billable = TRUE) or exempt (FALSE) event stored in
-- event_month. Added in the transaction that stores the user's first event of the month and kind
-- (io.bridge.webhooks.MonthUsers); filled for the events stored before it by V15_1.
--
-- Before, the report counted distinct users in the event tables through an (event_month, user_key)
-- index on each. Every stored event inserted into that index at its user's place, a random place
-- of a large index, and on the embedded database each index node lives in its event's row: the
-- writer read whole events (their JSON too) back from disk to insert a new one. This table is
-- small (a user appears once a month, not once per event) and the event tables keep only indexes
-- that grow at their end.
--
-- No unique key: a row is added only when none is seen, so two replicas storing a user's first
-- events of a month at the same moment may both add one. The report counts distinct users; a
-- unique key would make such transactions wait on each other, or fail and be stored again.
CREATE TABLE month_users (
    event_month CHAR(7)      NOT NULL, -- UTC yyyy-MM, as event_month of the events
    billable    BOOLEAN      NOT NULL, -- TRUE: from billable_events; FALSE: from exempt_events
    user_key    VARCHAR(320) NOT NULL  -- as user_key of the events: lower-case email, else userId
);
CREATE INDEX ix_month_users ON month_users (event_month, billable, user_key);

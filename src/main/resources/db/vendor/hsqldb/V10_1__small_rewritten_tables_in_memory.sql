-- Small tables whose rows are rewritten while a sync runs: the run's claim and heartbeat
-- (cohort_exports, per page and per batch), the Mixpanel budget's lock, queries and concurrency slots
-- (per query), and Quartz's cluster check-in and fired triggers (every few seconds). In a CACHED
-- table every rewrite frees a small block of the shared data file; HSQLDB keeps the freed blocks in
-- one list that it sorts again on the next insert into any table, so a large cohort's snapshot
-- inserts (a million rows) paid for a list grown by thousands of such frees: measured, most of the
-- first sync's garbage. As MEMORY tables (a few rows each; mixpanel_queries at most an hour of
-- queries) they live in the heap and log every change to the same durable log, as list_in_flight (V9_1).
SET TABLE cohort_exports TYPE MEMORY;
SET TABLE mixpanel_budget TYPE MEMORY;
SET TABLE mixpanel_queries TYPE MEMORY;
SET TABLE mixpanel_slots TYPE MEMORY;
SET TABLE qrtz_scheduler_state TYPE MEMORY;
SET TABLE qrtz_fired_triggers TYPE MEMORY;

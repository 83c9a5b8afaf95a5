-- The batch in flight (list_in_flight, V9) is one row per list, written before every Iterable call
-- and deleted after it. In a CACHED table (this database's default: rows on disk) each such write
-- frees and takes space in the data file, and HSQLDB sorts its free-space list on the next insert of
-- every table: measured, the first sync of a large cohort spent about a tenth of its time there. A
-- MEMORY table holds its rows in the heap (a few per list at most) and logs every change to the
-- same durable log as the rest, so a commit keeps its guarantee.
SET TABLE list_in_flight TYPE MEMORY;

-- A list member whose subscribe or unsubscribe call is in flight: written before the call, cleared
-- when Iterable's answer has been read. A row still pending at the next run means a call whose
-- outcome the bridge never learnt (it died, or the last retry timed out after Iterable applied it):
-- that run subscribes the member again if they are in the cohort, and unsubscribes them if they are
-- not, so the list converges whatever Iterable did with that call. Portable: HSQLDB and PostgreSQL.
ALTER TABLE list_members ADD COLUMN pending BOOLEAN DEFAULT FALSE NOT NULL;

-- The pending marks of V7 move out of list_members. Marking a batch pending member by member, and
-- settling it member by member, wrote every member of a cohort three times; now the batch in flight
-- is one row (list_in_flight: its members' keys), written before the call and deleted when the
-- answer has been read, and the snapshot is written once per member, as before pending marks existed.
--
-- A batch still in flight when the next run of its list begins is a call whose outcome the bridge
-- never learnt (it died, or the last retry timed out after Iterable applied it): that run turns its
-- members into marks in list_pending, members of unknown standing, whom it subscribes again if they
-- are in the cohort and unsubscribes if not. The same meaning as V7's column, which this moves here.
-- Portable: HSQLDB and PostgreSQL.
CREATE TABLE list_in_flight (
    list_id    BIGINT            NOT NULL,
    email_keys VARCHAR(10485760) NOT NULL, -- the batch's list_members keys, a JSON array (at most 1,000)
    CONSTRAINT pk_list_in_flight PRIMARY KEY (list_id) -- one run per list at a time, one call at a time
);
CREATE TABLE list_pending (
    list_id   BIGINT       NOT NULL,
    email_key VARCHAR(320) NOT NULL, -- a list_members row of the same list
    CONSTRAINT pk_list_pending PRIMARY KEY (list_id, email_key)
);
INSERT INTO list_pending (list_id, email_key) SELECT list_id, email_key FROM list_members WHERE pending = TRUE;
ALTER TABLE list_members DROP COLUMN pending;

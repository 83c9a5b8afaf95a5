-- Never two runs of a cohort at once, across replicas: a run claims its cohort's export row
-- (run_id, run_owner) and renews run_heartbeat as it goes; a claim whose heartbeat is older than
-- bridge.exports.run-lease belongs to a replica that died, and the next run takes it over.
ALTER TABLE cohort_exports ADD COLUMN run_id BIGINT;
ALTER TABLE cohort_exports ADD COLUMN run_owner VARCHAR(200);
ALTER TABLE cohort_exports ADD COLUMN run_heartbeat TIMESTAMP WITH TIME ZONE;

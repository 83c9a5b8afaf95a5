package io.bridge.exports;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Never two runs of a cohort at once, on any replica: a run claims its cohort's row in
 * {@code cohort_exports} with a conditional update, and renews the claim's heartbeat as it goes. A
 * claim not renewed within {@code bridge.exports.run-lease} belongs to a replica that died: the next
 * run takes it over and records the dead run as interrupted. A bridge that is stopping makes its
 * runs stop at the next page or batch (the next run converges).
 */
@Component
public class RunClaims {

    private static final Logger log = LoggerFactory.getLogger(RunClaims.class);

    /** A run that must stop now: its bridge is stopping, or another replica took its cohort over. */
    public static class RunStoppedException extends RuntimeException {
        RunStoppedException(String message) {
            super(message, null, false, false);
        }
    }

    private final JdbcTemplate jdbc;
    private final Duration lease;
    private final String owner;
    private volatile boolean stopping;

    public RunClaims(JdbcTemplate jdbc, ExportProperties exports, @Value("${bridge.instance-id:}") String instanceId) {
        this.jdbc = jdbc;
        this.lease = exports.runLease();
        this.owner = instanceId.isBlank() ? "bridge-" + UUID.randomUUID() : instanceId;
    }

    /** Claims the cohort for a run; false while a live run of it holds the claim. */
    boolean claim(long cohortId, long runId) {
        Instant now = Instant.now();
        List<Map<String, Object>> rows = jdbc.queryForList("SELECT run_id, run_owner FROM cohort_exports WHERE cohort_id = ?", cohortId);
        Long previous = rows.isEmpty() || rows.get(0).get("run_id") == null ? null : ((Number) rows.get(0).get("run_id")).longValue();
        int claimed = previous == null
                ? jdbc.update("UPDATE cohort_exports SET run_id = ?, run_owner = ?, run_heartbeat = ? WHERE cohort_id = ? AND run_id IS NULL",
                        runId, owner, Timestamp.from(now), cohortId)
                : jdbc.update("UPDATE cohort_exports SET run_id = ?, run_owner = ?, run_heartbeat = ? WHERE cohort_id = ? AND run_id = ? "
                        + "AND run_heartbeat < ?", runId, owner, Timestamp.from(now), cohortId, previous, Timestamp.from(now.minus(lease)));
        if (claimed == 1 && previous != null) {
            interrupted(previous, "its replica (" + rows.get(0).get("run_owner") + ") stopped renewing its claim within "
                    + "bridge.exports.run-lease; run " + runId + " took over and converges the list");
        }
        return claimed == 1;
    }

    /** Renews the run's claim; throws when the bridge is stopping or the claim was taken over. */
    void renew(ExportRun run) {
        if (stopping) {
            throw new RunStoppedException("the bridge is stopping: the run stopped between two calls; the next run converges the list");
        }
        long now = System.nanoTime();
        if (now - run.claimRenewedNanos < lease.toNanos() / 6) {
            return;
        }
        if (jdbc.update("UPDATE cohort_exports SET run_heartbeat = ? WHERE cohort_id = ? AND run_id = ?",
                Timestamp.from(Instant.now()), run.cohortId, run.id) == 0) {
            throw new RunStoppedException("another replica took this cohort over (the claim was not renewed within "
                    + "bridge.exports.run-lease): this run stopped");
        }
        run.claimRenewedNanos = now;
    }

    void release(ExportRun run) {
        jdbc.update("UPDATE cohort_exports SET run_id = NULL, run_owner = NULL, run_heartbeat = NULL WHERE cohort_id = ? AND run_id = ?",
                run.cohortId, run.id);
    }

    /**
     * At start-up: claims this instance held before it restarted are dead, and so are runs whose claim
     * lapsed; their runs are recorded as interrupted. Runs of other live replicas are left alone.
     */
    int releaseDead() {
        Instant now = Instant.now();
        for (Map<String, Object> mine : jdbc.queryForList("SELECT cohort_id, run_id FROM cohort_exports WHERE run_owner = ?", owner)) {
            jdbc.update("UPDATE cohort_exports SET run_id = NULL, run_owner = NULL, run_heartbeat = NULL WHERE cohort_id = ? AND run_id = ?",
                    mine.get("cohort_id"), mine.get("run_id"));
        }
        return jdbc.update("UPDATE sync_runs SET status = 'interrupted', ended_at = ?, error = 'the bridge stopped during this run; "
                + "the next run converges the list' WHERE status = 'running' AND NOT EXISTS (SELECT 1 FROM cohort_exports e "
                + "WHERE e.run_id = sync_runs.id AND e.run_heartbeat >= ?)", Timestamp.from(now), Timestamp.from(now.minus(lease)));
    }

    private void interrupted(long runId, String why) {
        jdbc.update("UPDATE sync_runs SET status = 'interrupted', ended_at = ?, error = ? WHERE id = ? AND status = 'running'",
                Timestamp.from(Instant.now()), why, runId);
        log.warn("export run {} interrupted: {}", runId, why);
    }

    @EventListener(ContextClosedEvent.class)
    public void stopping() {
        stopping = true;
    }
}

package io.bridge.exports;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Runs' report.csv files, kept gzip-compressed in {@code sync_run_reports}: each cohort keeps the
 * newest {@code bridge.exports.reports-kept} reports (skipped runs have none and count for nothing).
 */
@Component
public class RunReports {

    private static final Logger log = LoggerFactory.getLogger(RunReports.class);
    private final JdbcTemplate jdbc;
    private final int kept;

    public RunReports(JdbcTemplate jdbc, ExportProperties exports) {
        this.jdbc = jdbc;
        this.kept = exports.reportsKept();
    }

    /** Stores the ended run's report and forgets those of the cohort's older runs. A report that cannot be stored is logged, not fatal. */
    void store(ExportRun run) {
        if (run.report == null) {
            return;
        }
        Path file = null;
        try {
            file = run.report.finish();
            byte[] csvGzip = Files.readAllBytes(file);
            jdbc.update("INSERT INTO sync_run_reports (run_id, csv_gzip) VALUES (?, ?)", run.id, csvGzip);
            // the newest kept reports stay: runs without one (skipped while another run went on) take no slot
            List<Long> older = jdbc.queryForList("SELECT r.run_id FROM sync_run_reports r JOIN sync_runs s ON s.id = r.run_id "
                    + "WHERE s.cohort_id = ? ORDER BY r.run_id DESC OFFSET ? ROWS FETCH FIRST 1 ROWS ONLY", Long.class, run.cohortId, kept);
            if (!older.isEmpty()) {
                jdbc.update("DELETE FROM sync_run_reports WHERE run_id <= ? AND run_id IN (SELECT id FROM sync_runs WHERE cohort_id = ?)",
                        older.get(0), run.cohortId);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("the report of run {} (cohort {}) was not kept: {}", run.id, run.cohortId, e.toString());
        } finally {
            run.report.discard();
            run.report = null;
        }
    }

    /** The run's report.csv, or null when it has none (skipped, interrupted, or older than the kept ones). */
    public InputStream csv(long runId) throws IOException {
        List<byte[]> found = jdbc.query("SELECT csv_gzip FROM sync_run_reports WHERE run_id = ?", (rs, i) -> rs.getBytes(1), runId);
        return found.isEmpty() ? null : new GZIPInputStream(new ByteArrayInputStream(found.get(0)));
    }
}

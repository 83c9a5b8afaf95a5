package io.bridge.exports;

import java.util.ArrayList;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The cohort's members with an email, as one run reads them from Mixpanel: kept in the database
 * ({@code run_members}), page by page, so a cohort of millions never sits in memory. Emails are
 * deduplicated case-insensitively.
 */
@Component
public class RunMembers {

    private static final String STAGE = "MERGE INTO run_members t USING (VALUES (CAST(? AS BIGINT), "
            + "CAST(? AS VARCHAR(320)), CAST(? AS VARCHAR(320)), CAST(? AS VARCHAR(256)))) AS v(run_id, email_key, email, distinct_id) "
            + "ON t.run_id = v.run_id AND t.email_key = v.email_key "
            + "WHEN NOT MATCHED THEN INSERT (run_id, email_key, email, distinct_id) VALUES (v.run_id, v.email_key, v.email, v.distinct_id)";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;

    public RunMembers(JdbcTemplate jdbc, TransactionTemplate transaction) {
        this.jdbc = jdbc;
        this.transaction = transaction;
    }

    /**
     * Removes a run's staged members, 10,000 per transaction: one transaction over a million rows
     * would hold them all in memory until it commits.
     */
    public void clear(long runId) {
        String chunk = "DELETE FROM run_members WHERE run_id = ? AND email_key <= (SELECT MAX(email_key) FROM "
                + "(SELECT email_key FROM run_members WHERE run_id = ? ORDER BY run_id, email_key FETCH FIRST 10000 ROWS ONLY) c)";
        while (Boolean.TRUE.equals(transaction.execute(status -> jdbc.update(chunk, runId, runId) > 0))) {
            // next chunk
        }
    }

    public Page page(long runId) {
        return new Page(runId);
    }

    /** One page of members, written in one batch. */
    public class Page {
        private final long runId;
        private final List<Object[]> rows = new ArrayList<>();

        Page(long runId) {
            this.runId = runId;
        }

        public void add(String emailKey, String email, String distinctId) {
            rows.add(new Object[] {runId, emailKey, email, distinctId});
        }

        /** Writes the page; returns how many emails were new to this run. */
        public int flush() {
            if (rows.isEmpty()) {
                return 0;
            }
            int[] counts = transaction.execute(status -> jdbc.batchUpdate(STAGE, rows)); // one commit per page
            int added = 0;
            for (int count : counts) {
                added += count > 0 ? 1 : 0;
            }
            return added;
        }
    }
}

package io.bridge.exports;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.dao.DuplicateKeyException;
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

    private static final String INSERT = "INSERT INTO run_members (run_id, email_key, email, distinct_id) VALUES (?, ?, ?, ?)";
    private static final String MERGE = "MERGE INTO run_members t USING (VALUES (CAST(? AS BIGINT), "
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
        private final Map<String, Object[]> rows = new LinkedHashMap<>();

        Page(long runId) {
            this.runId = runId;
        }

        public void add(String emailKey, String email, String distinctId) {
            rows.putIfAbsent(emailKey, new Object[] {runId, emailKey, email, distinctId});
        }

        /**
         * Writes the page in one transaction; returns its members that are new to this run, as
         * {email_key, email}. A plain insert is the rule; when an email was already on an earlier
         * page the insert fails as a whole and the page is merged instead.
         */
        public List<String[]> flush() {
            List<Object[]> batch = new ArrayList<>(rows.values());
            if (batch.isEmpty()) {
                return List.of();
            }
            int[] counts;
            try {
                counts = transaction.execute(status -> jdbc.batchUpdate(INSERT, batch));
            } catch (DuplicateKeyException alreadyOnAnEarlierPage) {
                counts = transaction.execute(status -> jdbc.batchUpdate(MERGE, batch));
            }
            List<String[]> added = new ArrayList<>(batch.size());
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] != 0) { // 1, or SUCCESS_NO_INFO
                    added.add(new String[] {(String) batch.get(i)[1], (String) batch.get(i)[2]});
                }
            }
            return added;
        }
    }
}

package io.bridge.exports;

import java.util.ArrayList;
import java.util.List;
import org.apache.camel.ExchangeProperty;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The cohort's members with an email, as one run reads them from Mixpanel: kept in the database
 * ({@code run_members}), page by page, so a cohort of millions never sits in memory, until the run
 * has found who left the list.
 */
@Component("runMembers")
public class RunMembers {

    private static final String INSERT = "INSERT INTO run_members (run_id, email_key, email, distinct_id) VALUES (?, ?, ?, ?)";

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

    /**
     * Stages the members of the page just read (each email once per run), in one transaction. A list
     * that held nobody as the run began has no leavers to find, so such a run stages nothing.
     */
    public void stage(@ExchangeProperty("run") ExportRun run) {
        if (run.snapshotEmpty() || run.pageMembers().isEmpty()) {
            return;
        }
        List<Object[]> rows = new ArrayList<>(run.pageMembers().size());
        for (String[] member : run.pageMembers()) {
            rows.add(new Object[] {run.getId(), member[0], member[1], member[2]});
        }
        transaction.executeWithoutResult(status -> jdbc.batchUpdate(INSERT, rows));
    }
}

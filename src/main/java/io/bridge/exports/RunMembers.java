package io.bridge.exports;

import io.bridge.mixpanel.CohortMember;
import java.util.ArrayList;
import java.util.List;
import org.apache.camel.Body;
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
     * Stages the page's members with an email (each email once per run), in one transaction. A list
     * that held nobody as the run began has no leavers to find, nor has a run that only adds members
     * (add_members), so such a run stages nothing.
     */
    public void stage(@Body List<CohortMember> members, @ExchangeProperty("run") ExportRun run) {
        if (run.snapshotEmpty() || members.isEmpty() || !run.findsLeavers()) {
            return;
        }
        List<Object[]> rows = new ArrayList<>(members.size());
        for (CohortMember member : members) {
            rows.add(new Object[] {run.getId(), member.emailKey(), member.email(), member.distinctId()});
        }
        transaction.executeWithoutResult(status -> jdbc.batchUpdate(INSERT, rows));
    }
}

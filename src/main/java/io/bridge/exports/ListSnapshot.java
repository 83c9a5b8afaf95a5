package io.bridge.exports;

import io.bridge.iterable.BulkAnswer;
import io.bridge.iterable.IterableLists;
import io.bridge.mixpanel.CohortMember;
import java.io.InputStream;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * What the bridge left in each Iterable list ({@code list_members}), and the difference a run sends:
 * Iterable has no call that replaces a list, so a run subscribes those who joined and unsubscribes
 * (never a channel unsubscribe) those who left. A full refresh re-subscribes every member to heal
 * changes made in Iterable by hand. Each batch is written to the snapshot as pending before its call
 * and settled from Iterable's answer, so a run cut off anywhere (even after Iterable applied a call
 * whose answer was lost) is converged by the next one: a pending member is subscribed again if still
 * in the cohort, and unsubscribed if not.
 */
@Component("listSnapshot")
public class ListSnapshot {

    private static final Logger log = LoggerFactory.getLogger(ListSnapshot.class);

    private static final String LEFT = "SELECT m.email_key, m.email, m.pending FROM list_members m WHERE m.list_id = ? AND m.email_key > ? "
            + "AND NOT EXISTS (SELECT 1 FROM run_members r WHERE r.run_id = ? AND r.email_key = m.email_key) "
            + "ORDER BY m.list_id, m.email_key FETCH FIRST ? ROWS ONLY";
    // a batch is written as pending before its call, and settled when the answer has been read
    private static final String INSERT_PENDING = "INSERT INTO list_members (list_id, email_key, email, pending) VALUES (?, ?, ?, TRUE)";
    private static final String MERGE_PENDING = "MERGE INTO list_members t USING (VALUES (CAST(? AS BIGINT), CAST(? AS VARCHAR(320)), "
            + "CAST(? AS VARCHAR(320)))) AS v(list_id, email_key, email) ON t.list_id = v.list_id AND t.email_key = v.email_key "
            + "WHEN MATCHED THEN UPDATE SET pending = TRUE "
            + "WHEN NOT MATCHED THEN INSERT (list_id, email_key, email, pending) VALUES (v.list_id, v.email_key, v.email, TRUE)";
    private static final String MARK_PENDING = "UPDATE list_members SET pending = TRUE WHERE list_id = ? AND email_key = ?";
    private static final String SETTLE = "UPDATE list_members SET pending = FALSE WHERE list_id = ? AND email_key = ?";
    private static final String DELETE = "DELETE FROM list_members WHERE list_id = ? AND email_key = ?";
    // which of a page's keys the list is known to hold (a pending member may not be in it): driven by
    // the keys, one index lookup each (an IN list, or IN (UNNEST(?)), makes HSQLDB scan the whole list
    // for every page)
    private static final String IN_SNAPSHOT = "SELECT m.email_key FROM UNNEST(CAST(? AS VARCHAR(320) ARRAY)) AS k(email_key) "
            + "JOIN list_members m ON m.list_id = ? AND m.email_key = k.email_key AND m.pending = FALSE";

    private final IterableLists lists;
    private final JdbcTemplate jdbc;
    private final int batchSize;

    public ListSnapshot(IterableLists lists, ExportProperties exports, JdbcTemplate jdbc) {
        this.lists = lists;
        this.jdbc = jdbc;
        this.batchSize = exports.batchSize();
    }

    /** The run writes to the list Iterable has under its name (body: its id), or to a new one (null). */
    public void useFoundList(@Body Long listId, @ExchangeProperty("run") ExportRun run) {
        if (listId != null) {
            use(run, listId);
        }
    }

    /**
     * The run writes to the list Iterable just created. A list just created holds nobody, whatever a
     * snapshot under its id says (a list deleted in Iterable whose id comes back, or the demo's
     * stand-in, which forgets its lists on restart and numbers them again): it is forgotten, so that
     * this run subscribes every member.
     */
    public void useCreatedList(@Body long listId, @ExchangeProperty("run") ExportRun run) {
        int stale = jdbc.update("DELETE FROM list_members WHERE list_id = ?", listId);
        if (stale > 0) {
            log.warn("Iterable list {} ('{}') was created anew, but the bridge remembered {} members in a list of that id: "
                    + "forgotten, every member of cohort {} is subscribed", listId, run.getListName(), stale, run.getCohortId());
        }
        use(run, listId);
    }

    private void use(ExportRun run, long listId) {
        run.useList(listId);
        run.snapshotEmpty(jdbc.queryForList("SELECT 1 FROM list_members WHERE list_id = ? FETCH FIRST 1 ROWS ONLY",
                Integer.class, listId).isEmpty());
    }

    /**
     * Queues the page's members (body: those with an email new to this run) that are not in the list
     * yet: all of them on a full refresh, or when the list held nobody as the run began; otherwise
     * those the snapshot lacks.
     */
    public void queueJoiners(@Body List<CohortMember> members, @ExchangeProperty("run") ExportRun run) {
        if (run.fullRefresh() || run.snapshotEmpty() || members.isEmpty()) {
            run.join(members);
            return;
        }
        Set<String> inList = inSnapshot(run, members);
        List<CohortMember> joiners = new ArrayList<>(members.size());
        for (CohortMember member : members) {
            if (inList.contains(member.emailKey())) {
                run.report(member.distinctId(), member.email(), "unchanged", "");
            } else {
                joiners.add(member);
            }
        }
        run.join(joiners);
    }

    private Set<String> inSnapshot(ExportRun run, List<CohortMember> members) {
        String[] keys = members.stream().map(CohortMember::emailKey).toArray(String[]::new);
        return new HashSet<>(jdbc.query(connection -> {
            PreparedStatement select = connection.prepareStatement(IN_SNAPSHOT);
            select.setArray(1, connection.createArrayOf("VARCHAR", keys));
            select.setLong(2, run.getListId());
            return select;
        }, (rs, i) -> rs.getString(1)));
    }

    /**
     * The next batch of joiners, at most bridge.exports.batch-size, written to the snapshot as pending
     * first, in one transaction (one commit per batch, not one per member: each commit is synced to
     * disk). Outside a full refresh no joiner is known to be in the list already (queueJoiners).
     */
    @Transactional
    public void subscribeRequest(Exchange exchange, @ExchangeProperty("run") ExportRun run) {
        List<CohortMember> batch = run.takeJoiners();
        run.batchKnownInList(run.fullRefresh() && !run.snapshotEmpty() ? inSnapshot(run, batch) : Set.of());
        List<Object[]> rows = new ArrayList<>(batch.size());
        for (CohortMember member : batch) {
            rows.add(new Object[] {run.getListId(), member.emailKey(), member.email()});
        }
        jdbc.batchUpdate(run.snapshotEmpty() ? INSERT_PENDING : MERGE_PENDING, rows);
        lists.bulkRequest(exchange, run, emails(batch), true);
    }

    /** Starts unsubscribing who left: nobody can have left a list that held nobody as the run began. */
    @Transactional
    public void startUnsubscribing(Exchange exchange, @ExchangeProperty("run") ExportRun run) {
        run.startUnsubscribing();
        nextLeavers(exchange, run);
    }

    /** Reads Iterable's answer to the batch in flight, settles the batch in the snapshot, and readies the next leavers. */
    @Transactional
    public void acceptBatch(@Body InputStream body, Exchange exchange, @ExchangeProperty("run") ExportRun run) throws java.io.IOException {
        BulkAnswer answer = lists.readBulkAnswer(body);
        boolean subscribing = run.phase() == ExportRun.Phase.SUBSCRIBE;
        // who Iterable accepted is in (subscribe) or out (unsubscribe); who it refused is where they were before the call
        Set<String> knownInList = run.batchKnownInList();
        List<Object[]> settle = new ArrayList<>();
        List<Object[]> delete = new ArrayList<>();
        int changed = 0;
        for (CohortMember member : run.batch()) {
            Object[] key = {run.getListId(), member.emailKey()};
            String kind = answer.refusal(member.emailKey());
            boolean wasIn = knownInList.contains(member.emailKey());
            if (kind != null) {
                run.report(member.distinctId(), member.email(), "failed", kind);
                if (wasIn) {
                    settle.add(key);
                } else if (subscribing) {
                    delete.add(key);
                } // an unsubscribe refused for a member of unknown standing stays pending: tried again next run
            } else if (subscribing) {
                settle.add(key);
                changed += wasIn ? 0 : 1;
                run.report(member.distinctId(), member.email(), wasIn ? "unchanged" : "added", "");
            } else {
                delete.add(key);
                changed++;
                run.report("", member.email(), "removed", "left the cohort");
            }
        }
        if (!settle.isEmpty()) {
            jdbc.batchUpdate(SETTLE, settle);
        }
        if (!delete.isEmpty()) {
            jdbc.batchUpdate(DELETE, delete);
        }
        List<Object[]> failures = answer.refusals().stream().map(r -> new Object[] {run.getId(), r.email(), r.kind()}).toList();
        if (!failures.isEmpty()) {
            jdbc.batchUpdate("INSERT INTO sync_run_failures (run_id, email, reason) VALUES (?, ?, ?)", failures);
        }
        run.batchDone(subscribing ? changed : 0, subscribing ? 0 : changed, failures.size());
        if (!subscribing) {
            nextLeavers(exchange, run);
        }
    }

    /** The next batch of leavers, written to the snapshot as pending before the call. */
    private void nextLeavers(Exchange exchange, ExportRun run) {
        Set<String> knownInList = new HashSet<>();
        List<CohortMember> leavers = run.snapshotEmpty() ? List.of()
                : jdbc.query(LEFT, (rs, i) -> {
                    if (!rs.getBoolean(3)) {
                        knownInList.add(rs.getString(1));
                    }
                    return new CohortMember("", rs.getString(2));
                }, run.getListId(), run.lastKey(), run.getId(), batchSize);
        run.nextBatch(leavers, knownInList);
        if (run.isBatchPending()) {
            jdbc.batchUpdate(MARK_PENDING, leavers.stream().map(member -> new Object[] {run.getListId(), member.emailKey()}).toList());
            lists.bulkRequest(exchange, run, emails(leavers), false);
        }
    }

    private static List<String> emails(List<CohortMember> members) {
        return members.stream().map(CohortMember::email).toList();
    }
}

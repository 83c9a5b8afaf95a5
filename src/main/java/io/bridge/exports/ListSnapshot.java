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
 * changes made in Iterable by hand. Before each call the batch is written down as in flight
 * ({@code list_in_flight}, one row) and its joiners to the snapshot; the row goes when Iterable's
 * answer has been read. So a run cut off anywhere (even after Iterable applied a call whose answer
 * was lost) is converged by the next one: it finds the batch still in flight and holds its members
 * as of unknown standing ({@code list_pending}), subscribing them again if still in the cohort and
 * unsubscribing them if not.
 */
@Component("listSnapshot")
public class ListSnapshot {

    private static final Logger log = LoggerFactory.getLogger(ListSnapshot.class);

    private static final String PENDING = "EXISTS (SELECT 1 FROM list_pending p WHERE p.list_id = m.list_id AND p.email_key = m.email_key)";
    private static final String LEFT = "SELECT m.email_key, m.email, " + PENDING + " FROM list_members m WHERE m.list_id = ? "
            + "AND m.email_key > ? AND NOT EXISTS (SELECT 1 FROM run_members r WHERE r.run_id = ? AND r.email_key = m.email_key) "
            + "ORDER BY m.list_id, m.email_key FETCH FIRST ? ROWS ONLY";
    // remove_members: the list's members this run read (staged), not those it did not
    private static final String REMOVED = LEFT.replace("AND NOT EXISTS (SELECT 1 FROM run_members", "AND EXISTS (SELECT 1 FROM run_members");
    private static final String INSERT = "INSERT INTO list_members (list_id, email_key, email) VALUES (?, ?, ?)";
    private static final String MERGE = "MERGE INTO list_members t USING (VALUES (CAST(? AS BIGINT), CAST(? AS VARCHAR(320)), "
            + "CAST(? AS VARCHAR(320)))) AS v(list_id, email_key, email) ON t.list_id = v.list_id AND t.email_key = v.email_key "
            + "WHEN NOT MATCHED THEN INSERT (list_id, email_key, email) VALUES (v.list_id, v.email_key, v.email)";
    private static final String DELETE = "DELETE FROM list_members WHERE list_id = ? AND email_key = ?";
    // the batch in flight: one row written before its call, deleted when the answer has been read
    private static final String IN_FLIGHT = "INSERT INTO list_in_flight (list_id, email_keys) VALUES (?, ?)";
    private static final String LANDED = "DELETE FROM list_in_flight WHERE list_id = ?";
    // members of unknown standing: a batch an earlier run left in flight
    private static final String MARK = "MERGE INTO list_pending t USING (VALUES (CAST(? AS BIGINT), CAST(? AS VARCHAR(320)))) "
            + "AS v(list_id, email_key) ON t.list_id = v.list_id AND t.email_key = v.email_key "
            + "WHEN NOT MATCHED THEN INSERT (list_id, email_key) VALUES (v.list_id, v.email_key)";
    private static final String SETTLE = "DELETE FROM list_pending WHERE list_id = ? AND email_key = ?";
    // which of a page's keys the list is known to hold (a pending member may not be in it): driven by
    // the keys, one index lookup each (an IN list, or IN (UNNEST(?)), makes HSQLDB scan the whole list
    // for every page)
    private static final String IN_SNAPSHOT = "SELECT m.email_key FROM UNNEST(CAST(? AS VARCHAR(320) ARRAY)) AS k(email_key) "
            + "JOIN list_members m ON m.list_id = ? AND m.email_key = k.email_key WHERE NOT " + PENDING;

    private static final com.fasterxml.jackson.databind.ObjectMapper KEYS = new com.fasterxml.jackson.databind.ObjectMapper();

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

    /**
     * The run writes to this list: a batch an earlier run left in flight (its outcome never learnt)
     * becomes marks of members of unknown standing, which this run settles.
     */
    private void use(ExportRun run, long listId) {
        run.useList(listId);
        boolean empty = jdbc.queryForList("SELECT 1 FROM list_members WHERE list_id = ? FETCH FIRST 1 ROWS ONLY", Integer.class, listId)
                .isEmpty();
        if (empty) { // a first sync, or a snapshot cleared: whatever is in flight or pending is nobody's
            jdbc.update("DELETE FROM list_pending WHERE list_id = ?", listId);
        } else {
            for (String keys : jdbc.queryForList("SELECT email_keys FROM list_in_flight WHERE list_id = ?", String.class, listId)) {
                jdbc.batchUpdate(MARK, keys(keys).stream().map(key -> new Object[] {listId, key}).toList());
            }
        }
        jdbc.update(LANDED, listId);
        run.snapshotEmpty(empty);
        run.pendingMarks(!empty && !jdbc.queryForList("SELECT 1 FROM list_pending WHERE list_id = ? FETCH FIRST 1 ROWS ONLY",
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
            select.setLong(2, run.listId());
            return select;
        }, (rs, i) -> rs.getString(1)));
    }

    /**
     * The next batch of joiners, at most bridge.exports.batch-size, written to the snapshot and as in
     * flight first, in one transaction (one commit per batch, not one per member: each commit is synced
     * to disk). Outside a full refresh no joiner is known to be in the list already (queueJoiners).
     */
    @Transactional
    public void subscribeRequest(Exchange exchange, @ExchangeProperty("run") ExportRun run) {
        List<CohortMember> batch = run.takeJoiners();
        run.batchKnownInList(run.fullRefresh() && !run.snapshotEmpty() ? inSnapshot(run, batch) : Set.of());
        List<Object[]> rows = new ArrayList<>(batch.size());
        for (CohortMember member : batch) {
            rows.add(new Object[] {run.listId(), member.emailKey(), member.email()});
        }
        jdbc.batchUpdate(run.snapshotEmpty() ? INSERT : MERGE, rows);
        inFlight(run, batch);
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
            Object[] key = {run.listId(), member.emailKey()};
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
                run.report("", member.email(), "removed", run.leaversAreRead() ? "removed by Mixpanel" : "left the cohort");
            }
        }
        jdbc.update(LANDED, run.listId());
        if (run.pendingMarks()) {
            settle.addAll(delete);
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

    /** The next batch of leavers, written down as in flight before the call. */
    private void nextLeavers(Exchange exchange, ExportRun run) {
        Set<String> knownInList = new HashSet<>();
        List<CohortMember> leavers = run.snapshotEmpty() || !run.findsLeavers() ? List.of()
                : jdbc.query(run.leaversAreRead() ? REMOVED : LEFT, (rs, i) -> {
                    if (!rs.getBoolean(3)) {
                        knownInList.add(rs.getString(1));
                    }
                    return new CohortMember("", rs.getString(2));
                }, run.listId(), run.lastKey(), run.getId(), batchSize);
        run.nextBatch(leavers, knownInList);
        if (run.isBatchPending()) {
            inFlight(run, leavers);
            lists.bulkRequest(exchange, run, emails(leavers), false);
        }
    }

    /** The batch about to be sent, as one row: its members' keys. */
    private void inFlight(ExportRun run, List<CohortMember> members) {
        try {
            jdbc.update(IN_FLIGHT, run.listId(), KEYS.writeValueAsString(members.stream().map(CohortMember::emailKey).toList()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write the keys of a batch", e);
        }
    }

    private static List<String> keys(String json) {
        try {
            return KEYS.readValue(json, new com.fasterxml.jackson.core.type.TypeReference<List<String>>() { });
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("list_in_flight holds keys that are not a JSON array of strings", e);
        }
    }

    private static List<String> emails(List<CohortMember> members) {
        return members.stream().map(CohortMember::email).toList();
    }
}

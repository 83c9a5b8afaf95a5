package io.bridge.iterable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bridge.exports.ExportProperties;
import io.bridge.exports.ExportRun;
import io.bridge.exports.ExportRun.Phase;
import io.bridge.exports.OutboundHttp;
import java.io.IOException;
import java.io.InputStream;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.List;
import java.util.Set;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Iterable's static lists for cohort export. Iterable has no call that replaces a list, so the
 * bridge keeps what it left in each list ({@code list_members}) and sends the difference: subscribe
 * those who joined, unsubscribe (never a channel unsubscribe) those who left. A full refresh
 * re-subscribes every member to heal changes made in Iterable by hand. Each batch is written to the
 * snapshot as pending before its call and settled from Iterable's answer, so a run cut off anywhere
 * (even after Iterable applied a call whose answer was lost) is converged by the next one: a pending
 * member is subscribed again if still in the cohort, and unsubscribed if not.
 */
@Component("iterableLists")
public class IterableLists {

    /** Failure kinds in Iterable's bulk answer that leave the user out of the list. */
    private static final List<String> FAILURES = List.of("invalidEmails", "conflictEmails", "invalidDataEmails");

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

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(IterableLists.class);
    private final ObjectMapper mapper = new ObjectMapper();
    private final IterableConnection connection;
    private final JdbcTemplate jdbc;
    private final int batchSize;

    public IterableLists(IterableConnection connection, ExportProperties exports, JdbcTemplate jdbc) {
        this.connection = connection;
        this.jdbc = jdbc;
        this.batchSize = exports.batchSize();
    }

    public void listsRequest(Exchange exchange, @ExchangeProperty("run") ExportRun run) {
        call(exchange, run, "GET");
        exchange.getMessage().setBody(null);
    }

    /** Finds the list named {@code mixpanel_<Cohort Name>_<Cohort ID>}, if it exists. */
    public void acceptLists(@Body InputStream body, @ExchangeProperty("run") ExportRun run) throws IOException {
        for (JsonNode list : mapper.readTree(body).path("lists")) {
            if (run.getListName().equals(list.path("name").asText())) {
                useList(run, list.path("id").asLong());
                return;
            }
        }
    }

    public void createListRequest(Exchange exchange, @ExchangeProperty("run") ExportRun run) {
        call(exchange, run, "POST");
        ObjectNode body = mapper.createObjectNode().put("name", run.getListName())
                .put("description", "Mixpanel cohort " + run.getCohortId() + ", kept in sync by the Mixpanel-Iterable bridge");
        exchange.getMessage().setBody(body.toString());
    }

    public void acceptCreatedList(@Body InputStream body, @ExchangeProperty("run") ExportRun run) throws IOException {
        JsonNode created = mapper.readTree(body);
        if (!created.path("listId").canConvertToLong()) {
            throw new IllegalStateException("Iterable created no list: " + created);
        }
        long listId = created.path("listId").asLong();
        // A list just created holds nobody, whatever a snapshot under its id says (a list deleted in
        // Iterable whose id comes back, or the demo's stand-in, which forgets its lists on restart
        // and numbers them again): forget it, so that this run subscribes every member.
        int stale = jdbc.update("DELETE FROM list_members WHERE list_id = ?", listId);
        if (stale > 0) {
            log.warn("Iterable list {} ('{}') was created anew, but the bridge remembered {} members in a list of that id: "
                    + "forgotten, every member of cohort {} is subscribed", listId, run.getListName(), stale, run.getCohortId());
        }
        useList(run, listId);
    }

    private void useList(ExportRun run, long listId) {
        run.useList(listId);
        run.snapshotEmpty(jdbc.queryForList("SELECT 1 FROM list_members WHERE list_id = ? FETCH FIRST 1 ROWS ONLY",
                Integer.class, listId).isEmpty());
    }

    /**
     * Queues the page's members that are not in the list yet: all of them on a full refresh, or when
     * the list held nobody as the run began; otherwise those the snapshot lacks.
     */
    public void queueJoiners(@ExchangeProperty("run") ExportRun run) {
        List<String[]> members = run.pageMembers();
        if (run.fullRefresh() || run.snapshotEmpty() || members.isEmpty()) {
            run.join(new ArrayList<>(members));
            return;
        }
        Set<String> inList = inSnapshot(run, members);
        List<String[]> joiners = new ArrayList<>(members.size());
        for (String[] member : members) {
            if (inList.contains(member[0])) {
                run.report(member[2], member[1], "unchanged", "");
            } else {
                joiners.add(member);
            }
        }
        run.join(joiners);
    }

    private Set<String> inSnapshot(ExportRun run, List<String[]> members) {
        String[] keys = members.stream().map(member -> member[0]).toArray(String[]::new);
        return new HashSet<>(jdbc.query(connection -> {
            PreparedStatement select = connection.prepareStatement(IN_SNAPSHOT);
            select.setArray(1, connection.createArrayOf("VARCHAR", keys));
            select.setLong(2, run.getListId());
            return select;
        }, (rs, i) -> rs.getString(1)));
    }

    /**
     * The next batch of joiners, at most bridge.exports.batch-size, written to the snapshot as pending
     * first. Outside a full refresh no joiner is known to be in the list already (queueJoiners).
     */
    public void subscribeRequest(Exchange exchange, @ExchangeProperty("run") ExportRun run) {
        List<String[]> batch = run.takeJoiners();
        run.batchKnownInList(run.fullRefresh() && !run.snapshotEmpty() ? inSnapshot(run, batch) : Set.of());
        List<Object[]> rows = new ArrayList<>(batch.size());
        for (String[] member : batch) {
            rows.add(new Object[] {run.getListId(), member[0], member[1]});
        }
        jdbc.batchUpdate(run.snapshotEmpty() ? INSERT_PENDING : MERGE_PENDING, rows);
        bulkRequest(exchange, run, batch);
    }

    /** Starts unsubscribing who left: nobody can have left a list that held nobody as the run began. */
    public void startUnsubscribing(Exchange exchange, @ExchangeProperty("run") ExportRun run) {
        run.startUnsubscribing();
        nextLeavers(exchange, run);
    }

    /** Reads Iterable's bulk answer, remembers what it accepted, and prepares the next batch. */
    @Transactional
    public void acceptBatch(@Body InputStream body, Exchange exchange, @ExchangeProperty("run") ExportRun run) throws IOException {
        JsonNode answer = mapper.readTree(body);
        JsonNode failedUpdates = answer.path("failedUpdates");
        Map<String, String> failed = new HashMap<>(); // email_key -> kind
        List<Object[]> failures = new ArrayList<>();
        for (String kind : FAILURES) {
            for (JsonNode email : failedUpdates.path(kind)) {
                failed.put(email.asText().toLowerCase(Locale.ROOT), kind);
                failures.add(new Object[] {run.getId(), email.asText(), kind});
            }
        }
        for (JsonNode email : answer.path("invalidEmails")) { // deprecated top-level form
            if (failed.putIfAbsent(email.asText().toLowerCase(Locale.ROOT), "invalidEmails") == null) {
                failures.add(new Object[] {run.getId(), email.asText(), "invalidEmails"});
            }
        }
        // settle the batch: who Iterable accepted is in (subscribe) or out (unsubscribe); who it
        // refused is where they were before the call
        Set<String> knownInList = run.batchKnownInList();
        List<Object[]> settle = new ArrayList<>();
        List<Object[]> delete = new ArrayList<>();
        int changed = 0;
        for (String[] member : run.batch()) {
            Object[] key = {run.getListId(), member[0]};
            String kind = failed.get(member[0]);
            boolean wasIn = knownInList.contains(member[0]);
            if (kind != null) {
                run.report(distinctId(member), member[1], "failed", kind);
                if (wasIn) {
                    settle.add(key);
                } else if (run.phase() == Phase.SUBSCRIBE) {
                    delete.add(key);
                } // an unsubscribe refused for a member of unknown standing stays pending: tried again next run
            } else if (run.phase() == Phase.SUBSCRIBE) {
                settle.add(key);
                changed += wasIn ? 0 : 1;
                run.report(distinctId(member), member[1], wasIn ? "unchanged" : "added", "");
            } else {
                delete.add(key);
                changed++;
                run.report("", member[1], "removed", "left the cohort");
            }
        }
        if (!settle.isEmpty()) {
            jdbc.batchUpdate(SETTLE, settle);
        }
        if (!delete.isEmpty()) {
            jdbc.batchUpdate(DELETE, delete);
        }
        if (!failures.isEmpty()) {
            jdbc.batchUpdate("INSERT INTO sync_run_failures (run_id, email, reason) VALUES (?, ?, ?)", failures);
        }
        run.batchDone(run.phase() == Phase.SUBSCRIBE ? changed : 0, run.phase() == Phase.UNSUBSCRIBE ? changed : 0, failures.size());
        if (run.phase() == Phase.UNSUBSCRIBE) {
            nextLeavers(exchange, run);
        }
    }

    /** The next batch of leavers, written to the snapshot as pending before the call. */
    private void nextLeavers(Exchange exchange, ExportRun run) {
        Set<String> knownInList = new HashSet<>();
        run.nextBatch(run.snapshotEmpty() ? List.of()
                : jdbc.query(LEFT, (rs, i) -> {
                    if (!rs.getBoolean(3)) {
                        knownInList.add(rs.getString(1));
                    }
                    return new String[] {rs.getString(1), rs.getString(2)};
                }, run.getListId(), run.lastKey(), run.getId(), batchSize));
        run.batchKnownInList(knownInList);
        if (run.isBatchPending()) {
            jdbc.batchUpdate(MARK_PENDING, run.batch().stream().map(member -> new Object[] {run.getListId(), member[0]}).toList());
            bulkRequest(exchange, run, run.batch());
        }
    }

    private void bulkRequest(Exchange exchange, ExportRun run, List<String[]> members) {
        call(exchange, run, "POST");
        ObjectNode request = mapper.createObjectNode().put("listId", run.getListId());
        ArrayNode subscribers = request.putArray("subscribers");
        for (String[] member : members) {
            subscribers.addObject().put("email", member[1]);
        }
        if (run.phase() == Phase.SUBSCRIBE) {
            request.put("updateExistingUsersOnly", false);
        } else {
            request.put("channelUnsubscribe", false); // list membership only, never a global unsubscribe
        }
        exchange.getMessage().setBody(request.toString());
    }

    private static String distinctId(String[] member) {
        return member.length > 2 ? member[2] : "";
    }

    /** Readies a call with the connection's key; a run whose integration was disconnected stops here. */
    private void call(Exchange exchange, ExportRun run, String method) {
        String apiKey;
        try {
            apiKey = connection.apiKey();
        } catch (IterableConnection.KeyRefUnusableException unusable) {
            throw unusable;
        } catch (IllegalStateException disconnected) {
            throw new IllegalStateException("the Iterable integration was disconnected during the run, which stopped; "
                    + "connect again (PUT /api/integration) to resume dynamic syncs");
        }
        run.iterableCall();
        OutboundHttp.request(exchange, method, "POST".equals(method) ? "application/json" : null, null).setHeader("Api-Key", apiKey);
    }
}

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
import java.util.ArrayList;
import java.util.HashSet;
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
 * re-subscribes every member to heal changes made in Iterable by hand. The snapshot changes only
 * for emails that Iterable accepted, so a run cut off anywhere is converged by the next one.
 */
@Component("iterableLists")
public class IterableLists {

    /** Failure kinds in Iterable's bulk answer that leave the user out of the list. */
    private static final List<String> FAILURES = List.of("invalidEmails", "conflictEmails", "invalidDataEmails");

    private static final String JOINED = "SELECT r.email_key, r.email FROM run_members r WHERE r.run_id = ? AND r.email_key > ? "
            + "AND NOT EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = ? AND m.email_key = r.email_key) "
            + "ORDER BY r.run_id, r.email_key FETCH FIRST ? ROWS ONLY";
    private static final String EVERYONE = "SELECT r.email_key, r.email FROM run_members r WHERE r.run_id = ? AND r.email_key > ? "
            + "ORDER BY r.run_id, r.email_key FETCH FIRST ? ROWS ONLY";
    private static final String LEFT = "SELECT m.email_key, m.email FROM list_members m WHERE m.list_id = ? AND m.email_key > ? "
            + "AND NOT EXISTS (SELECT 1 FROM run_members r WHERE r.run_id = ? AND r.email_key = m.email_key) "
            + "ORDER BY m.list_id, m.email_key FETCH FIRST ? ROWS ONLY";
    private static final String REMEMBER = "MERGE INTO list_members t USING (VALUES (CAST(? AS BIGINT), CAST(? AS VARCHAR(320)), "
            + "CAST(? AS VARCHAR(320)))) AS v(list_id, email_key, email) ON t.list_id = v.list_id AND t.email_key = v.email_key "
            + "WHEN NOT MATCHED THEN INSERT (list_id, email_key, email) VALUES (v.list_id, v.email_key, v.email)";

    private final ObjectMapper mapper = new ObjectMapper();
    private final IterableProperties props;
    private final JdbcTemplate jdbc;
    private final int batchSize;

    public IterableLists(IterableProperties props, ExportProperties exports, JdbcTemplate jdbc) {
        this.props = props;
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
                run.useList(list.path("id").asLong());
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
        run.useList(created.path("listId").asLong());
    }

    /** Starts subscribing: the joiners, or every member on a full refresh. */
    public void startSubscribing(Exchange exchange, @ExchangeProperty("run") ExportRun run) {
        run.phase(Phase.SUBSCRIBE);
        nextBatch(exchange, run);
    }

    public void startUnsubscribing(Exchange exchange, @ExchangeProperty("run") ExportRun run) {
        run.phase(Phase.UNSUBSCRIBE);
        nextBatch(exchange, run);
    }

    /** Reads Iterable's bulk answer, remembers what it accepted, and prepares the next batch. */
    @Transactional
    public void acceptBatch(@Body InputStream body, Exchange exchange, @ExchangeProperty("run") ExportRun run) throws IOException {
        JsonNode answer = mapper.readTree(body);
        JsonNode failedUpdates = answer.path("failedUpdates");
        Set<String> failed = new HashSet<>();
        List<Object[]> failures = new ArrayList<>();
        for (String kind : FAILURES) {
            for (JsonNode email : failedUpdates.path(kind)) {
                failed.add(email.asText().toLowerCase());
                failures.add(new Object[] {run.getId(), email.asText(), kind});
            }
        }
        for (JsonNode email : answer.path("invalidEmails")) { // deprecated top-level form
            if (failed.add(email.asText().toLowerCase())) {
                failures.add(new Object[] {run.getId(), email.asText(), "invalidEmails"});
            }
        }
        List<Object[]> accepted = new ArrayList<>();
        for (String[] member : run.batch()) {
            if (!failed.contains(member[0])) {
                accepted.add(run.phase() == Phase.SUBSCRIBE
                        ? new Object[] {run.getListId(), member[0], member[1]}
                        : new Object[] {run.getListId(), member[0]});
            }
        }
        int changed = 0;
        if (run.phase() == Phase.SUBSCRIBE) {
            for (int count : jdbc.batchUpdate(REMEMBER, accepted)) {
                changed += count > 0 ? 1 : 0;
            }
        } else if (!accepted.isEmpty()) {
            jdbc.batchUpdate("DELETE FROM list_members WHERE list_id = ? AND email_key = ?", accepted);
            changed = accepted.size();
        }
        if (!failures.isEmpty()) {
            jdbc.batchUpdate("INSERT INTO sync_run_failures (run_id, email, reason) VALUES (?, ?, ?)", failures);
        }
        run.batchDone(run.phase() == Phase.SUBSCRIBE ? changed : 0, run.phase() == Phase.UNSUBSCRIBE ? changed : 0, failures.size());
        nextBatch(exchange, run);
    }

    private void nextBatch(Exchange exchange, ExportRun run) {
        String sql = run.phase() == Phase.UNSUBSCRIBE ? LEFT : run.fullRefresh() ? EVERYONE : JOINED;
        Object[] args = run.phase() == Phase.UNSUBSCRIBE
                ? new Object[] {run.getListId(), run.lastKey(), run.getId(), batchSize}
                : run.fullRefresh() ? new Object[] {run.getId(), run.lastKey(), batchSize}
                : new Object[] {run.getId(), run.lastKey(), run.getListId(), batchSize};
        run.nextBatch(jdbc.query(sql, (rs, i) -> new String[] {rs.getString(1), rs.getString(2)}, args));
        if (!run.isBatchPending()) {
            return;
        }
        call(exchange, run, "POST");
        ObjectNode request = mapper.createObjectNode().put("listId", run.getListId());
        ArrayNode subscribers = request.putArray("subscribers");
        for (String[] member : run.batch()) {
            subscribers.addObject().put("email", member[1]);
        }
        if (run.phase() == Phase.SUBSCRIBE) {
            request.put("updateExistingUsersOnly", false);
        } else {
            request.put("channelUnsubscribe", false); // list membership only, never a global unsubscribe
        }
        exchange.getMessage().setBody(request.toString());
    }

    private void call(Exchange exchange, ExportRun run, String method) {
        run.iterableCall();
        OutboundHttp.request(exchange, method, "POST".equals(method) ? "application/json" : null, null)
                .setHeader("Api-Key", props.apiKey());
    }
}

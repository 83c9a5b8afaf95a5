package io.bridge.exports;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bridge.iterable.IterableConnection;
import io.bridge.mixpanel.CohortMember;
import io.bridge.mixpanel.CohortPage;
import io.bridge.mixpanel.CohortPush;
import io.bridge.mixpanel.CohortPushRefused;
import io.bridge.mixpanel.MixpanelWebhookProperties;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Cohorts Mixpanel pushes (its cohort-sync webhook): each call's page is written to
 * {@code push_pages} before Mixpanel is answered, and runs of the same sync engine as pull apply
 * them to the Iterable list from there. A {@code members} session (the whole cohort) is applied as
 * its pages arrive, joiners first; who left is found only once every page has arrived, so that a
 * session abandoned midway unsubscribes nobody. {@code add_members} and {@code remove_members} are
 * applied as they arrive. A page posted again (Mixpanel retries) is recognised by its session,
 * action and number and has no second effect.
 */
@Component("pushedCohorts")
public class PushedCohorts {

    /** A set of pushed pages one run applies: a complete members session, or the add/remove pages of a session that arrived. */
    public record Unit(long cohortId, String sessionId, String action) {
    }

    private static final Logger log = LoggerFactory.getLogger(PushedCohorts.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String[]>> PAIRS = new TypeReference<>() { };
    static final int KEPT_PAYLOAD_CHARS = 1_400_000; // rejected_webhooks.payload (V5_1)

    /**
     * Pages no live run holds: never taken, or taken by a run that ended without applying them, or by
     * a run whose claim lapsed (its replica died): the run that claims the cohort next takes them over.
     * Parameters: the retry-failed-after and the run-lease cut-offs.
     */
    private static String free(String pages) {
        return "(" + pages + ".run_id IS NULL OR EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = " + pages + ".run_id AND "
                + "(r.status IN ('interrupted', 'skipped') OR (r.status = 'failed' AND r.ended_at < ?) OR (r.status = 'running' "
                + "AND NOT EXISTS (SELECT 1 FROM cohort_exports e WHERE e.run_id = r.id AND e.run_heartbeat >= ?)))))";
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final MixpanelWebhookProperties props;
    private final IterableConnection iterable;
    private final RunClaims claims;
    private final java.time.Duration runLease;
    /** Cohorts whose push run this replica has started and not finished: not offered again meanwhile. */
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    private volatile long prunedAt;

    public PushedCohorts(JdbcTemplate jdbc, TransactionTemplate transaction, MixpanelWebhookProperties props,
            IterableConnection iterable, RunClaims claims, ExportProperties exports) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.props = props;
        this.iterable = iterable;
        this.claims = claims;
        this.runLease = exports.runLease();
    }

    private Timestamp failedBefore() {
        return Timestamp.from(Instant.now().minus(props.retryFailedAfter()));
    }

    private Timestamp aliveSince() {
        return Timestamp.from(Instant.now().minus(runLease));
    }

    /**
     * Writes a pushed page (body) and answers Mixpanel: once this returns, the page is committed. A
     * cohort not exported yet becomes a push export; a cohort exported by pull, or whose export was
     * stopped, is refused (403: Mixpanel pauses the sync and mails its admins the message).
     */
    public Map<String, Object> store(@Body CohortPush push) {
        if (Boolean.FALSE.equals(sameAsKept(push))) { // before the cohort becomes an export: a refused page leaves nothing
            throw conflict(push);
        }
        exportedByPush(push);
        Timestamp now = Timestamp.from(Instant.now());
        // a late page of a members session that was settled already (applied, or given up on) changes nothing
        boolean settled = push.action().equals("members") && !jdbc.queryForList("SELECT 1 FROM push_pages WHERE session_id = ? "
                + "AND action = 'members' AND applied_at IS NOT NULL FETCH FIRST 1 ROWS ONLY", Integer.class, push.sessionId()).isEmpty();
        byte[] members = settled ? null : encode(push.members());
        try {
            transaction.executeWithoutResult(status -> {
                jdbc.update("INSERT INTO push_pages (session_id, action, page, total_pages, cohort_id, cohort_name, received_at, "
                        + "member_count, applied_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", push.sessionId(), push.action(), push.page(),
                        push.totalPages(), push.cohortId(), push.cohortName(), now, push.members().size(), settled ? now : null);
                if (members != null) {
                    jdbc.update("INSERT INTO push_page_members (page_id, members) SELECT id, ? FROM push_pages WHERE session_id = ? "
                            + "AND action = ? AND page = ?", members, push.sessionId(), push.action(), push.page());
                }
            });
        } catch (DuplicateKeyException again) { // kept meanwhile by another delivery of it
            if (!Boolean.TRUE.equals(sameAsKept(push))) {
                throw conflict(push);
            }
            log.debug("page {} of {} for cohort {} arrived again: already kept", push.page(), push.action(), push.cohortId());
        }
        return CohortPush.success(push.action());
    }

    private static CohortPushRefused conflict(CohortPush push) {
        return new CohortPushRefused(409, push.action(), "page " + push.page() + " of this " + push.action() + " session was "
                + "received before with other content (another cohort, page count or members): this one was not stored. "
                + "Each sync sends its pages under a mixpanel_session_id of its own");
    }

    /**
     * Whether the page kept under this push's session, action and number is this one (a retry): the
     * same cohort, page count and members; null when none is kept. The members are compared where
     * they were kept (not for a page that arrived after its session was settled, which kept none).
     */
    private Boolean sameAsKept(CohortPush push) {
        return jdbc.query("SELECT p.cohort_id, p.total_pages, p.member_count, m.members, p.members FROM push_pages p "
                + "LEFT JOIN push_page_members m ON m.page_id = p.id WHERE p.session_id = ? AND p.action = ? AND p.page = ?", rs -> {
                    if (!rs.next()) {
                        return null;
                    }
                    if (rs.getLong(1) != push.cohortId() || rs.getInt(2) != push.totalPages() || rs.getInt(3) != push.members().size()) {
                        return false;
                    }
                    String legacy = rs.getString(5);
                    byte[] kept = rs.getBytes(4);
                    return legacy != null ? decode(legacy).equals(push.members()) : kept == null || decode(kept).equals(push.members());
                }, push.sessionId(), push.action(), push.page());
    }

    private void exportedByPush(CohortPush push) {
        for (int attempt = 0; attempt < 2; attempt++) {
            List<Map<String, Object>> export = jdbc.queryForList("SELECT sync_type, stopped_at FROM cohort_exports WHERE cohort_id = ?",
                    push.cohortId());
            if (!export.isEmpty()) {
                Object sync = export.get(0).get("sync_type");
                if (export.get(0).get("stopped_at") != null) {
                    throw new CohortPushRefused(403, push.action(), "the export of cohort " + push.cohortId() + " was stopped on "
                            + "the bridge: export it again there (sync push), or remove this cohort from the webhook destination");
                }
                if (!ExportRuns.PUSH.equals(sync)) {
                    throw new CohortPushRefused(403, push.action(), "cohort " + push.cohortId() + " is exported by pull (" + sync
                            + ") on the bridge; declare it with sync: push there to receive it from this webhook");
                }
                return;
            }
            try {
                jdbc.update("INSERT INTO cohort_exports (cohort_id, sync_type, origin, created_at) VALUES (?, ?, 'push', ?)",
                        push.cohortId(), ExportRuns.PUSH, Timestamp.from(Instant.now()));
                log.info("cohort {} is exported by push from now on: Mixpanel's webhook sent it", push.cohortId());
                return;
            } catch (DuplicateKeyException concurrent) {
                // another page of the same new cohort made the export first: read it again
            }
        }
    }

    /**
     * The pushed pages ready for a run: per cohort, in the order they arrived, one set at a time (a
     * diff applies after the sync before it). A complete members session replaces the cohort's whole
     * membership, so what arrived before the newest complete one is passed over (and marked applied
     * when it succeeds). A cohort whose next set is being applied, or failed less than
     * retry-failed-after ago, waits; so do pages of an export stopped or turned to pull. A cohort
     * offered here is not offered again by this replica until {@link #finished} (its run ends). None
     * while Iterable is not connected: the pages wait for it.
     */
    public List<Unit> due() {
        if (iterable.missing() != null) {
            return List.of();
        }
        record Row(Unit unit, int pages, int total, boolean held) {
        }
        List<Row> rows = jdbc.query("SELECT p.cohort_id, p.session_id, p.action, MIN(p.id), COUNT(*), MAX(p.total_pages), "
                + "SUM(CASE WHEN " + free("p") + " THEN 0 ELSE 1 END) FROM push_pages p JOIN cohort_exports x ON x.cohort_id = p.cohort_id "
                + "AND x.sync_type = 'push' AND x.stopped_at IS NULL WHERE p.applied_at IS NULL "
                + "GROUP BY p.cohort_id, p.session_id, p.action ORDER BY MIN(p.id)",
                (rs, i) -> new Row(new Unit(rs.getLong(1), rs.getString(2), rs.getString(3)), rs.getInt(5), rs.getInt(6), rs.getInt(7) > 0),
                failedBefore(), aliveSince());
        Map<Long, List<Row>> byCohort = new java.util.LinkedHashMap<>();
        rows.forEach(row -> byCohort.computeIfAbsent(row.unit().cohortId(), c -> new ArrayList<>()).add(row));
        List<Unit> due = new ArrayList<>();
        for (List<Row> units : byCohort.values()) {
            Row next = units.get(0);
            for (Row row : units) {
                if (row.unit().action().equals("members") && row.pages() >= row.total()) {
                    next = row; // the newest complete session: what came before it is passed over
                }
            }
            if (!next.held() && inFlight.add(next.unit().cohortId())) {
                due.add(next.unit());
            }
        }
        return due;
    }

    /** The run of a cohort offered by {@link #due} has ended (whichever way): the cohort may be offered again. */
    public void finished(@ExchangeProperty("pushCohort") long cohortId) {
        inFlight.remove(cohortId);
    }

    /** The run (claimed) takes its unit's free pages; 0 when another run applied them already. */
    int take(ExportRun run) {
        return jdbc.update("UPDATE push_pages SET run_id = ? WHERE session_id = ? AND action = ? AND cohort_id = ? "
                + "AND applied_at IS NULL AND " + free("push_pages"), run.id, run.pushSession, run.pushAction,
                run.cohortId, failedBefore(), aliveSince());
    }

    /**
     * The run's pages are applied: their members are forgotten, their keys kept a while (a page sent
     * again is known). A members session also settles whatever arrived for the cohort before it.
     */
    void applied(ExportRun run) {
        Timestamp now = Timestamp.from(Instant.now());
        transaction.executeWithoutResult(status -> {
            if ("members".equals(run.pushAction)) {
                String before = "cohort_id = ? AND applied_at IS NULL AND id < (SELECT MIN(id) FROM push_pages WHERE run_id = ?)";
                jdbc.update("DELETE FROM push_page_members WHERE page_id IN (SELECT id FROM push_pages WHERE " + before + ")",
                        run.cohortId, run.id);
                jdbc.update("UPDATE push_pages SET applied_at = ?, members = NULL WHERE " + before, now, run.cohortId, run.id);
            }
            jdbc.update("DELETE FROM push_page_members WHERE page_id IN (SELECT id FROM push_pages WHERE run_id = ?)", run.id);
            jdbc.update("UPDATE push_pages SET applied_at = ?, members = NULL WHERE run_id = ?", now, run.id);
        });
    }

    /** The cohort's name as the newest of the run's pages gives it: the list is named after it. */
    public String cohortName(@ExchangeProperty("run") ExportRun run) {
        return jdbc.queryForObject("SELECT cohort_name FROM push_pages WHERE run_id = ? ORDER BY id DESC FETCH FIRST 1 ROWS ONLY",
                String.class, run.id);
    }

    /**
     * The run's next page, and whether another follows. A members session is applied while its pages
     * arrive: joiners are subscribed page by page, and the run waits (renewing its claim) for the
     * pages still to come; only when all have been read does it go on to find who left. A session
     * whose next page does not come within session-timeout ends the run: the joiners read so far stay
     * subscribed, nobody is unsubscribed, and its pages count as applied. An add or remove run applies
     * the pages that have arrived.
     */
    public CohortPage nextPage(@ExchangeProperty("run") ExportRun run) throws InterruptedException {
        long deadline = System.nanoTime() + props.sessionTimeout().toNanos();
        boolean members = "members".equals(run.pushAction);
        while (run.pushQueue.isEmpty()) {
            // the pages taken and not read yet (at begin: those there were; later: those that came since)
            if (!run.pushPagesRead.isEmpty()) {
                take(run);
            }
            for (int[] page : jdbc.query("SELECT page, total_pages FROM push_pages WHERE run_id = ? ORDER BY page",
                    (rs, i) -> new int[] {rs.getInt(1), rs.getInt(2)}, run.id)) {
                run.pushTotal = Math.max(run.pushTotal, page[1]);
                if (!run.pushPagesRead.contains(page[0])) {
                    run.pushQueue.add(page[0]);
                }
            }
            if (!run.pushQueue.isEmpty()) {
                break;
            }
            if (!members || run.pushPagesRead.size() >= run.pushTotal) {
                return new CohortPage(run.pushSession, List.of(), false);
            }
            if (System.nanoTime() > deadline) { // the joiners read so far are still subscribed; nobody leaves
                run.pushAbandoned = "Mixpanel's members session " + printable(run.pushSession) + " stopped after "
                        + run.pushPagesRead.size() + " of " + run.pushTotal + " pages (none came within "
                        + "bridge.webhooks.mixpanel.session-timeout): the members of those pages were subscribed, nobody was "
                        + "unsubscribed; Mixpanel's next sync sends the cohort again";
                return new CohortPage(run.pushSession, List.of(), false);
            }
            claims.renew(run);
            Thread.sleep(50);
        }
        int page = run.pushQueue.poll();
        run.pushPagesRead.add(page);
        // push_pages.members: a page kept before V12 moved members to push_page_members
        List<CohortMember> read = jdbc.queryForObject("SELECT m.members, p.members FROM push_pages p LEFT JOIN push_page_members m "
                + "ON m.page_id = p.id WHERE p.run_id = ? AND p.page = ?",
                (rs, i) -> rs.getString(2) != null ? decode(rs.getString(2)) : decode(rs.getBytes(1)), run.id, page);
        // a members session goes on until every page is read; a diff ends with the pages it took
        boolean more = members ? run.pushPagesRead.size() < run.pushTotal : !run.pushQueue.isEmpty();
        return new CohortPage(run.pushSession, read, more);
    }

    /**
     * Housekeeping, at most once a minute: pages applied longer ago than keep-pages are forgotten, and
     * so are pages never applied that arrived longer ago (a members session Mixpanel abandoned, or
     * pages whose runs kept failing: said in a warning).
     */
    public void prune() {
        long now = System.currentTimeMillis();
        if (now - prunedAt < 60_000) {
            return;
        }
        prunedAt = now;
        Timestamp before = Timestamp.from(Instant.now().minus(props.keepPages()));
        jdbc.update("DELETE FROM push_pages WHERE applied_at < ?", before);
        for (Map<String, Object> lost : jdbc.queryForList("SELECT cohort_id, session_id, action, COUNT(*) AS pages, MAX(total_pages) AS total "
                + "FROM push_pages WHERE applied_at IS NULL AND received_at < ? GROUP BY cohort_id, session_id, action", before)) {
            log.warn("cohort {}: {} of {} pages of a {} push (session {}) were never applied within bridge.webhooks.mixpanel.keep-pages "
                    + "(a session Mixpanel left incomplete, or runs that kept failing: see the cohort's runs); forgotten, the list "
                    + "is as the last applied push left it", lost.get("cohort_id"), lost.get("pages"), lost.get("total"),
                    lost.get("action"), printable((String) lost.get("session_id")));
        }
        jdbc.update("DELETE FROM push_pages WHERE applied_at IS NULL AND received_at < ?", before);
    }

    /** Keeps a refused call (exchange property pushPayload: its bytes) in rejected_webhooks with the reason. */
    public void keepRefused(Exchange exchange) {
        CohortPushRefused refused = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, CohortPushRefused.class);
        byte[] payload = exchange.getProperty("pushPayload", byte[].class);
        String text = payload == null ? "" : utf8(payload);
        String reason = refused.getMessage();
        if (text == null) {
            text = Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(payload, Math.min(payload.length, KEPT_PAYLOAD_CHARS / 4 * 3)));
            reason += " (payload kept base64-encoded: not valid UTF-8)";
        } else if (text.length() > KEPT_PAYLOAD_CHARS) {
            text = text.substring(0, KEPT_PAYLOAD_CHARS);
            reason += " (first " + KEPT_PAYLOAD_CHARS + " characters kept)";
        }
        jdbc.update("INSERT INTO rejected_webhooks (received_at, http_status, reason, content_type, payload, source) "
                + "VALUES (?, ?, ?, ?, ?, 'mixpanel')", Timestamp.from(Instant.now()), refused.getStatus(),
                reason.substring(0, Math.min(reason.length(), 1024)), null, text);
    }

    private static String utf8(byte[] bytes) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return text.indexOf('\0') >= 0 ? null : text;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** A page's members as kept: the JSON array of [distinct_id, email] pairs, deflated (a tenth to a third of the JSON). */
    static byte[] encode(List<CohortMember> members) {
        List<String[]> pairs = new ArrayList<>(members.size());
        for (CohortMember member : members) {
            pairs.add(new String[] {member.distinctId(), member.email()});
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(members.size() * 24 + 64);
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try (OutputStream out = new DeflaterOutputStream(bytes, deflater, 8192)) {
            JSON.writeValue(out, pairs);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a page's members", e);
        } finally {
            deflater.end();
        }
        return bytes.toByteArray();
    }

    static List<CohortMember> decode(byte[] deflated) {
        Inflater inflater = new Inflater();
        try (InputStream in = new InflaterInputStream(new ByteArrayInputStream(deflated), inflater, 8192)) {
            return members(JSON.readValue(in, PAIRS));
        } catch (IOException e) {
            throw new IllegalStateException("push_page_members holds members that are not deflated [distinct_id, email] pairs", e);
        } finally {
            inflater.end();
        }
    }

    private static List<CohortMember> decode(String json) {
        try {
            return members(JSON.readValue(json, PAIRS));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("push_pages holds members that are not [distinct_id, email] pairs", e);
        }
    }

    private static List<CohortMember> members(List<String[]> pairs) {
        List<CohortMember> members = new ArrayList<>(pairs.size());
        for (String[] pair : pairs) {
            members.add(new CohortMember(pair[0], pair[1]));
        }
        return members;
    }

    private static String printable(String value) {
        return value == null ? "" : value.replaceAll("[^\\x20-\\x7e]", "?");
    }
}

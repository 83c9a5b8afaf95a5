package io.bridge.exports;

import io.bridge.DbTimestamps;
import io.bridge.iterable.IterableConnection;
import io.bridge.mixpanel.CohortMember;
import io.bridge.mixpanel.CohortPage;
import io.micrometer.core.instrument.MeterRegistry;
import io.bridge.mixpanel.MixpanelBudget;
import io.bridge.mixpanel.MixpanelProperties;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.jdbc.support.KeyHolder;
import org.springframework.stereotype.Component;

/**
 * Starts, records and ends cohort export runs: one {@code sync_runs} row per run, never two runs of
 * a cohort at once, and the exports that are due.
 */
@Component("exportRuns")
public class ExportRuns {

    private static final Logger log = LoggerFactory.getLogger(ExportRuns.class);
    /** The exports the control plane makes: the bridge reads the cohort from Mixpanel (pull). */
    public static final Set<String> SYNC_TYPES = Set.of("one-time", "dynamic");
    /** An export whose members Mixpanel pushes (its cohort-sync webhook); declared in configuration or made by the first push. */
    public static final String PUSH = "push";

    private final JdbcTemplate jdbc;
    private final ExportProperties exports;
    private final List<String> mixpanelMissing;
    private final IterableConnection iterable;
    private final RunMembers members;
    private final RunReports reports;
    private final RunClaims claims;
    private final MeterRegistry meters;
    private final MixpanelBudget mixpanelBudget;
    private final PushedCohorts pushed;

    public ExportRuns(JdbcTemplate jdbc, ExportProperties exports, MixpanelProperties mixpanel, IterableConnection iterable,
            RunMembers members, RunReports reports, RunClaims claims, MixpanelBudget mixpanelBudget, MeterRegistry meters,
            PushedCohorts pushed) {
        this.jdbc = jdbc;
        this.pushed = pushed;
        this.claims = claims;
        this.meters = meters;
        this.reports = reports;
        this.members = members;
        this.mixpanelBudget = mixpanelBudget;
        this.exports = exports;
        this.iterable = iterable;
        this.mixpanelMissing = missing(mixpanel);
    }

    private static List<String> missing(MixpanelProperties mixpanel) {
        List<String> missing = new ArrayList<>();
        if (blank(mixpanel.projectId())) {
            missing.add("bridge.mixpanel.project-id (BRIDGE_MIXPANEL_PROJECTID)");
        }
        if (blank(mixpanel.username())) {
            missing.add("bridge.mixpanel.username (BRIDGE_MIXPANEL_USERNAME)");
        }
        if (blank(mixpanel.secret())) {
            missing.add("bridge.mixpanel.secret (BRIDGE_MIXPANEL_SECRET)");
        }
        return List.copyOf(missing);
    }

    /** What keeps cohort export off (Mixpanel settings, an Iterable connection); empty when it is on. */
    public List<String> missingSettings() {
        String connection = iterable.missing();
        if (connection == null) {
            return mixpanelMissing;
        }
        List<String> missing = new ArrayList<>(mixpanelMissing);
        missing.add(connection);
        return missing;
    }

    /**
     * At start-up: runs left "running" by a crash are marked interrupted (the next run converges),
     * and exports declared in application.yaml are recorded (application.yaml wins over the API).
     */
    @EventListener(ApplicationReadyEvent.class)
    @Order(0) // before Quartz starts (ClusteredScheduling): a missed sync must not find its cohort claimed by the last run
    public void startUp() {
        int interrupted = claims.releaseDead();
        if (interrupted > 0) {
            log.warn("{} export runs were interrupted by a restart; their next runs converge the lists", interrupted);
        }
        for (Long runId : jdbc.queryForList("SELECT DISTINCT r.run_id FROM run_members r WHERE NOT EXISTS "
                + "(SELECT 1 FROM sync_runs s WHERE s.id = r.run_id AND s.status = 'running')", Long.class)) {
            members.clear(runId); // left by a stop during a run or its cleanup
        }
        for (ExportProperties.Declared declared : exports.cohorts()) {
            save(declared.cohortId(), declared.sync(), "config");
        }
        List<Long> declared = exports.cohorts().stream().map(ExportProperties.Declared::cohortId).toList();
        for (Long undeclared : jdbc.queryForList("SELECT cohort_id FROM cohort_exports WHERE origin = 'config' AND stopped_at IS NULL",
                Long.class)) {
            if (!declared.contains(undeclared)) {
                stop(undeclared);
                log.info("export of cohort {} stopped: it is no longer declared in bridge.exports.cohorts", undeclared);
            }
        }
        List<String> missing = missingSettings();
        if (!missing.isEmpty()) {
            log.warn("Cohort export is OFF (webhooks still work; cohorts Mixpanel pushes only need Iterable). Missing: {}",
                    String.join(", ", missing));
        }
    }

    /** Stops an export: no more runs; its runs and the Iterable list stay as they are. */
    public void stop(long cohortId) {
        jdbc.update("UPDATE cohort_exports SET stopped_at = ? WHERE cohort_id = ?", Timestamp.from(Instant.now()), cohortId);
    }

    /**
     * Records (or changes) an export; a new export of a cohort overwrites the previous one. Requests
     * for a new cohort may race: when another one inserts the row between this one's UPDATE and
     * INSERT, the INSERT fails on the key and the UPDATE is made again, now on that row. Each
     * statement commits on its own (in one transaction, PostgreSQL would refuse the second UPDATE
     * after the failed INSERT).
     */
    public void save(long cohortId, String sync, String origin) {
        if (!SYNC_TYPES.contains(sync) && !PUSH.equals(sync)) {
            throw new IllegalArgumentException("sync must be one-time, dynamic or push, got '" + sync + "'");
        }
        for (int attempt = 1; ; attempt++) {
            if (jdbc.update("UPDATE cohort_exports SET sync_type = ?, origin = ?, stopped_at = NULL WHERE cohort_id = ?",
                    sync, origin, cohortId) == 1) {
                return;
            }
            try {
                jdbc.update("INSERT INTO cohort_exports (cohort_id, sync_type, origin, created_at) VALUES (?, ?, ?, ?)",
                        cohortId, sync, origin, Timestamp.from(Instant.now()));
                return;
            } catch (DuplicateKeyException concurrentSave) {
                if (attempt == 3) { // inserted and deleted again and again: cannot happen, rows are never deleted
                    throw concurrentSave;
                }
            }
        }
    }

    /** Cohorts whose dynamic sync is due at a schedule fire. */
    public List<Long> dueDynamic() {
        if (!missingSettings().isEmpty()) {
            return List.of();
        }
        return jdbc.queryForList("SELECT cohort_id FROM cohort_exports WHERE sync_type = 'dynamic' AND stopped_at IS NULL "
                + "ORDER BY cohort_id", Long.class);
    }

    /** One-time exports declared in configuration that never succeeded: they run at start-up. */
    public List<Long> pendingOneTime() {
        if (!missingSettings().isEmpty()) {
            return List.of();
        }
        return jdbc.queryForList("SELECT e.cohort_id FROM cohort_exports e WHERE e.sync_type = 'one-time' AND e.origin = 'config' "
                + "AND e.stopped_at IS NULL AND NOT EXISTS "
                + "(SELECT 1 FROM sync_runs r WHERE r.cohort_id = e.cohort_id AND r.status = 'succeeded') ORDER BY e.cohort_id",
                Long.class);
    }

    /**
     * Opens a run of a cohort's export (exchange property {@code run}). When a run of the same cohort
     * is still going, this one is recorded as skipped.
     */
    public ExportRun begin(@Header("cohortId") long cohortId, @Header("trigger") String trigger,
            @Header("pushAction") String pushAction, @Header("pushSession") String pushSession, Exchange exchange) {
        // a pushed cohort needs no Mixpanel service account: only Iterable
        List<String> missing = pushAction == null ? missingSettings()
                : iterable.missing() == null ? List.of() : List.of(iterable.missing());
        if (!missing.isEmpty()) {
            throw new IllegalStateException("cohort export is off: set " + String.join(", ", missing));
        }
        Map<String, Object> export = jdbc.queryForList("SELECT sync_type, last_full_refresh_at FROM cohort_exports WHERE cohort_id = ?",
                cohortId).stream().findFirst().orElseThrow(() -> new IllegalArgumentException("cohort " + cohortId + " is not exported"));
        ExportRun run = new ExportRun();
        run.cohortId = cohortId;
        run.syncType = (String) export.get("sync_type");
        run.trigger = trigger;
        run.pushAction = pushAction;
        run.pushSession = pushSession;
        run.batchSize = exports.batchSize();
        run.iterableBaseUrl = iterable.current().baseUrl();
        Object lastFull = export.get("last_full_refresh_at");
        run.fullRefresh = (pushAction == null || pushAction.equals("members"))
                && (lastFull == null || DbTimestamps.toInstant(lastFull).plus(exports.fullRefreshInterval()).isBefore(Instant.now()));
        run.id = insertRun(run);
        if (run.isPushed()) {
            run.skipped = !beginPush(run);
            run.report = run.skipped ? null : new RunReport();
            exchange.setProperty("run", run);
            return run;
        }
        if (!claims.claim(cohortId, run.id)) {
            run.skipped = true;
            jdbc.update("UPDATE sync_runs SET status = 'skipped', ended_at = started_at, error = ? WHERE id = ?",
                    "a run of this cohort was still going", run.id);
        }
        run.report = run.skipped ? null : new RunReport();
        exchange.setProperty("run", run);
        if (run.skipped) {
            log.info("export of cohort {} skipped: a run of it is still going", cohortId);
        }
        return run;
    }

    /**
     * A push run applies pages only it holds: it claims the cohort and takes the pages. When another
     * run holds the cohort, or applied the pages already, this run leaves no trace (the pages wait for
     * the next look, a second later).
     */
    private boolean beginPush(ExportRun run) {
        if (claims.claim(run.cohortId, run.id)) {
            if (pushed.take(run) > 0) {
                return true;
            }
            claims.release(run);
        }
        jdbc.update("DELETE FROM sync_runs WHERE id = ?", run.id);
        return false;
    }

    private long insertRun(ExportRun run) {
        Timestamp now = Timestamp.from(Instant.now());
        KeyHolder key = new GeneratedKeyHolder();
        jdbc.update(connection -> {
            PreparedStatement insert = connection.prepareStatement("INSERT INTO sync_runs (cohort_id, sync_type, run_trigger, "
                    + "full_refresh, started_at, ended_at, status, cohort_members, with_email, skipped_no_email, added, removed, "
                    + "failed, mixpanel_calls, iterable_calls, error) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 0, ?)",
                    new String[] {"id"});
            insert.setLong(1, run.cohortId);
            insert.setString(2, run.syncType);
            insert.setString(3, run.trigger);
            insert.setBoolean(4, run.fullRefresh);
            insert.setTimestamp(5, now);
            insert.setTimestamp(6, null);
            insert.setString(7, "running");
            insert.setString(8, null);
            return insert;
        }, key);
        return key.getKey().longValue();
    }

    /** Between pages and batches: renews the run's claim on its cohort, or stops the run (see {@link RunClaims}). */
    public void heartbeat(@ExchangeProperty("run") ExportRun run) {
        claims.renew(run);
    }

    /** The cohort's name (body), as Mixpanel lists it: the list is named after it. */
    public void cohortNamed(@Body String name, @ExchangeProperty("run") ExportRun run) {
        run.cohortName(name);
    }

    /** A page of members read (body): the run's paging moves on; the page's members become the body. */
    public List<CohortMember> pageRead(@Body CohortPage page, @ExchangeProperty("run") ExportRun run) {
        return run.pageRead(page);
    }

    /** A member without an email (body): counted and reported. */
    public void noEmail(@Body CohortMember member, @ExchangeProperty("run") ExportRun run) {
        run.noEmail(member);
    }

    /** A member whose email an earlier member had (body): reported. */
    public void duplicateEmail(@Body CohortMember member, @ExchangeProperty("run") ExportRun run) {
        run.duplicateEmail(member);
    }

    /** The page's members with an email new to the run (body): counted. */
    public void withEmail(@Body List<CohortMember> members, @ExchangeProperty("run") ExportRun run) {
        run.withEmail(members);
    }

    /** A cohort with members but none with an email cannot be matched in Iterable (a pushed diff may have none: it is reported). */
    public void requireEmails(@ExchangeProperty("run") ExportRun run) {
        boolean wholeCohort = !run.isPushed() || "members".equals(run.pushAction); // a diff may hold nobody with an email
        if (wholeCohort && run.cohortMembers > 0 && run.withEmail == 0) {
            throw new IllegalStateException("none of the cohort's " + run.cohortMembers + " members has an email: Iterable "
                    + "matches users on email, so set $email as a user profile property in Mixpanel");
        }
    }

    public void succeed(@ExchangeProperty("run") ExportRun run) {
        run.phaseEnded("unsubscribe");
        // stamped before the outcome frees the cohort: the next run must see this run's full refresh
        Timestamp now = Timestamp.from(Instant.now());
        if (run.isPushed()) {
            pushed.applied(run);
        }
        if (run.pushAbandoned != null) {
            end(run, "failed", run.pushAbandoned);
            log.warn("export of cohort {} failed: {}", run.cohortId, run.pushAbandoned);
            return;
        }
        jdbc.update("UPDATE cohort_exports SET last_run_at = ? WHERE cohort_id = ?", now, run.cohortId);
        if (run.fullRefresh) {
            jdbc.update("UPDATE cohort_exports SET last_full_refresh_at = ? WHERE cohort_id = ?", now, run.cohortId);
        }
        end(run, "succeeded", null);
        run.phaseEnded("cleanup");
        log.info("export of cohort {} to list '{}' ({}): {} members, {} with email, +{} -{}, {} failed ({})",
                run.cohortId, run.listName, run.listId, run.cohortMembers, run.withEmail, run.added, run.removed, run.failed,
                run.phaseTimes());
    }

    public void fail(@ExchangeProperty("run") ExportRun run, Exchange exchange) {
        Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String error = describe(e);
        if (run == null) {
            log.warn("export failed before its run started: {}", error);
            return;
        }
        String status = e instanceof RunClaims.RunStoppedException ? "interrupted" : "failed";
        end(run, status, error);
        log.warn("export of cohort {} {}: {}", run.cohortId, status, error);
    }

    /**
     * Records the run's outcome and frees the cohort for its next run, then removes the run's staged
     * members (housekeeping: for a large cohort this takes a while, and the next run does not need
     * to wait for it).
     */
    private void end(ExportRun run, String status, String error) {
        try {
            jdbc.update("UPDATE sync_runs SET status = ?, ended_at = ?, cohort_name = ?, list_id = ?, list_name = ?, "
                            + "cohort_members = ?, with_email = ?, skipped_no_email = ?, added = ?, removed = ?, failed = ?, "
                            + "mixpanel_calls = ?, iterable_calls = ?, error = ? WHERE id = ?",
                    status, Timestamp.from(Instant.now()), run.cohortName, run.listId, run.listName, run.cohortMembers,
                    run.withEmail, run.skippedNoEmail, run.added, run.removed, run.failed, run.mixpanelCalls,
                    run.iterableCalls, error == null ? null : error.substring(0, Math.min(error.length(), 2000)), run.id);
            meters.counter("bridge.sync.runs", "status", status).increment();
            meters.counter("bridge.sync.members", "outcome", "added").increment(run.added);
            meters.counter("bridge.sync.members", "outcome", "removed").increment(run.removed);
            meters.counter("bridge.sync.members", "outcome", "skipped-no-email").increment(run.skippedNoEmail);
            meters.counter("bridge.sync.members", "outcome", "failed").increment(run.failed);
        } finally {
            mixpanelBudget.leave(run); // a run that failed mid-query gives its slot back
            claims.release(run);
        }
        members.clear(run.id);
        reports.store(run);
    }

    /** What went wrong, in words an operator can act on; the APIs' own messages included. */
    static String describe(Exception e) {
        if (e == null) {
            return "unknown error";
        }
        if (e instanceof HttpOperationFailedException http) {
            String api = http.getUri().contains("/api/query") ? "Mixpanel" : "Iterable";
            String body = http.getResponseBody() == null ? "" : http.getResponseBody();
            return api + " answered " + http.getStatusCode() + " to " + http.getUri().replaceAll("\\?.*", "") + ": "
                    + (body.length() > 500 ? body.substring(0, 500) : body);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}

package io.bridge.api;

import io.bridge.DbTimestamps;
import io.bridge.ApiProblem;
import io.bridge.StrictJson;
import io.bridge.exports.ExportRun;
import io.bridge.exports.ExportRuns;
import io.bridge.exports.RunReports;
import io.bridge.security.AuditLog;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** The JSON of the exports API: requests read strictly, exports and runs written for people. */
@Component("exportApi")
public class ExportApi {

    /** {@code POST /api/exports} body. */
    public record ExportRequest(Long cohortId, String sync) {
    }

    /** The 202 answer of a new export or a run started now: the run, and where to follow it. */
    public record Accepted(long cohortId, long runId, String status, String runs) {
    }

    private static final String SHAPE = "{\"cohortId\": <whole number>, \"sync\": \"one-time\" | \"dynamic\"}";

    private final JdbcTemplate jdbc;
    private final ExportRuns runs;
    private final RunReports reports;
    private final AuditLog audit;

    public ExportApi(JdbcTemplate jdbc, ExportRuns runs, RunReports reports, AuditLog audit) {
        this.jdbc = jdbc;
        this.runs = runs;
        this.reports = reports;
        this.audit = audit;
    }

    /**
     * Reads a new export request (exchange property export); 409 while export is off, once the body
     * is known to be right (so that fixing the settings is the last thing left to do).
     */
    public void read(@Body String body, Exchange exchange) {
        ExportRequest request = StrictJson.read(body, ExportRequest.class, SHAPE);
        if (request.cohortId() == null) {
            throw new ApiProblem(400, "invalid_request", "cohortId is missing: the body is " + SHAPE);
        }
        if (request.cohortId() <= 0) {
            throw new ApiProblem(400, "invalid_request", "cohortId must be a positive number");
        }
        if (request.sync() == null || !ExportRuns.SYNC_TYPES.contains(request.sync())) {
            throw new ApiProblem(400, "invalid_request", "sync must be one of \"one-time\", \"dynamic\"; got "
                    + (request.sync() == null ? "nothing" : "\"" + request.sync() + "\""));
        }
        requireExportOn();
        declaredInConfiguration(request.cohortId());
        exchange.setProperty("export", request); // the Mixpanel call in between resets the headers
    }

    /** Records the export once Mixpanel has the cohort (body: the project's cohorts); 404 names a cohort it lacks. */
    public void create(@Body List<Map<String, Object>> cohorts, @ExchangeProperty("export") ExportRequest request, Exchange exchange) {
        long cohortId = request.cohortId();
        if (cohorts.stream().noneMatch(c -> ((Number) c.get("id")).longValue() == cohortId)) {
            throw new ApiProblem(404, "unknown_cohort", "Mixpanel project has no cohort " + cohortId
                    + ": GET /api/cohorts lists the cohorts there are");
        }
        runs.save(cohortId, request.sync(), "api");
        audit.record("export.create", "cohort " + cohortId, request.sync());
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader("cohortId", cohortId);
        exchange.getMessage().setHeader("trigger", "api");
    }

    /** The 202 answer of a new export. */
    public Accepted accepted(@Header("cohortId") long cohortId, Exchange exchange) {
        ExportRun run = exchange.getProperty("run", ExportRun.class);
        return new Accepted(cohortId, run.getId(), run.isSkipped() ? "skipped" : "running", "/api/exports/" + cohortId + "/runs");
    }

    public Map<String, Object> list() {
        Map<String, Object> answer = new LinkedHashMap<>();
        List<String> missing = runs.missingSettings();
        answer.put("enabled", missing.isEmpty());
        answer.put("missingSettings", missing);
        List<Map<String, Object>> exports = new ArrayList<>();
        for (Map<String, Object> row : jdbc.queryForList("SELECT * FROM cohort_exports ORDER BY cohort_id")) {
            exports.add(export(row));
        }
        answer.put("exports", exports);
        return answer;
    }

    /** {@code GET /api/exports/{cohortId}}: the export and its last runs. */
    public Map<String, Object> one(@Header("cohortId") String cohortId) {
        Map<String, Object> export = export(exported(cohortId));
        export.put("runs", runs(toLong(export.get("cohortId")), 10));
        return export;
    }

    /** {@code DELETE /api/exports/{cohortId}}: no more runs; the Iterable list stays as it is. */
    public Map<String, Object> stop(@Header("cohortId") String cohortId) {
        Map<String, Object> row = exported(cohortId);
        long id = toLong(row.get("cohort_id"));
        declaredInConfiguration(id);
        if (row.get("stopped_at") == null) {
            runs.stop(id);
            audit.record("export.stop", "cohort " + id, (String) row.get("sync_type"));
        }
        return one(String.valueOf(id));
    }

    /** {@code POST /api/exports/{cohortId}/run}: checks the export can run now; headers cohortId and trigger follow. */
    public void runNow(@Header("cohortId") String cohortId, Exchange exchange) {
        requireExportOn();
        Map<String, Object> row = exported(cohortId);
        if (row.get("stopped_at") != null) {
            throw new ApiProblem(409, "export_stopped", "the export of cohort " + row.get("cohort_id")
                    + " is stopped: POST /api/exports to export it again");
        }
        if (ExportRuns.PUSH.equals(row.get("sync_type"))) {
            throw new ApiProblem(409, "pushed_by_mixpanel", "cohort " + row.get("cohort_id") + " is exported by push: its runs "
                    + "start when Mixpanel sends the cohort; start a sync of it in Mixpanel's webhook destination");
        }
        audit.record("export.run", "cohort " + row.get("cohort_id"), "run now");
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader("cohortId", toLong(row.get("cohort_id")));
        exchange.getMessage().setHeader("trigger", "api");
    }

    public List<Map<String, Object>> runs(@Header("cohortId") String cohortId) {
        return runs(toLong(exported(cohortId).get("cohort_id")), 100);
    }

    /** {@code GET /api/exports/{cohortId}/runs/{runId}/report.csv}. */
    public InputStream report(@Header("cohortId") String cohortId, @Header("runId") String runId, Exchange exchange) throws IOException {
        long cohort = toLong(exported(cohortId).get("cohort_id"));
        long run = number("runId", runId);
        List<String> status = jdbc.queryForList("SELECT status FROM sync_runs WHERE id = ? AND cohort_id = ?", String.class, run, cohort);
        if (status.isEmpty()) {
            throw new ApiProblem(404, "not_found", "cohort " + cohort + " has no run " + run + ": GET /api/exports/" + cohort + "/runs");
        }
        if (status.get(0).equals("running")) {
            throw new ApiProblem(409, "run_in_progress", "run " + run + " is still running: its report is ready when it ends");
        }
        InputStream csv = reports.csv(run);
        if (csv == null) {
            throw new ApiProblem(404, "no_report", "run " + run + " (" + status.get(0) + ") has no report: skipped and interrupted "
                    + "runs have none, and only the newest runs of a cohort keep theirs (bridge.exports.reports-kept)");
        }
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "text/csv; charset=utf-8");
        exchange.getMessage().setHeader("Content-Disposition", "attachment; filename=\"cohort-" + cohort + "-run-" + run + ".csv\"");
        return csv;
    }

    /** {@code GET /api/cohorts} (body: Mixpanel's cohorts): each with how it is exported, if it is. */
    public List<Map<String, Object>> cohorts(@Body List<Map<String, Object>> cohorts) {
        Map<Long, Map<String, Object>> exports = new HashMap<>();
        for (Map<String, Object> row : jdbc.queryForList("SELECT * FROM cohort_exports")) {
            exports.put(toLong(row.get("cohort_id")), row);
        }
        for (Map<String, Object> cohort : cohorts) {
            Map<String, Object> row = exports.get(((Number) cohort.get("id")).longValue());
            Map<String, Object> export = null;
            if (row != null) {
                export = new LinkedHashMap<>();
                export.put("sync", row.get("sync_type"));
                export.put("status", row.get("stopped_at") == null ? "active" : "stopped");
                export.put("origin", row.get("origin"));
                export.put("lastRunAt", text(row.get("last_run_at")));
            }
            cohort.put("export", export);
        }
        return cohorts;
    }

    private Map<String, Object> export(Map<String, Object> row) {
        Map<String, Object> export = new LinkedHashMap<>();
        long cohortId = toLong(row.get("cohort_id"));
        export.put("cohortId", cohortId);
        export.put("sync", row.get("sync_type"));
        export.put("status", row.get("stopped_at") == null ? "active" : "stopped");
        export.put("origin", row.get("origin"));
        export.put("createdAt", text(row.get("created_at")));
        export.put("stoppedAt", text(row.get("stopped_at")));
        export.put("lastRunAt", text(row.get("last_run_at")));
        List<Map<String, Object>> last = runs(cohortId, 1);
        export.put("lastRun", last.isEmpty() ? null : last.get(0));
        return export;
    }

    /** The export of a cohort, or 404 naming it. */
    private Map<String, Object> exported(String cohortId) {
        long id = number("cohortId", cohortId);
        return jdbc.queryForList("SELECT * FROM cohort_exports WHERE cohort_id = ?", id).stream().findFirst()
                .orElseThrow(() -> new ApiProblem(404, "not_found", "cohort " + id + " is not exported: POST /api/exports to export it"));
    }

    /** 409 naming what keeps cohort export off (Mixpanel settings, the Iterable connection). */
    private void requireExportOn() {
        List<String> missing = runs.missingSettings();
        if (!missing.isEmpty()) {
            throw new ApiProblem(409, "export_off", "cohort export is off: set " + String.join(", ", missing));
        }
    }

    /** Exports declared in application.yaml are changed there, not over the API (409 says so). */
    private void declaredInConfiguration(long cohortId) {
        if (!jdbc.queryForList("SELECT 1 FROM cohort_exports WHERE cohort_id = ? AND origin = 'config' AND stopped_at IS NULL",
                cohortId).isEmpty()) {
            throw new ApiProblem(409, "declared_in_configuration", "the export of cohort " + cohortId + " is declared in "
                    + "application.yaml (bridge.exports.cohorts): change or remove it there");
        }
    }

    private static long number(String name, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new ApiProblem(400, "invalid_request", name + " must be a number, got '" + value + "'");
        }
    }

    private static String text(Object timestamp) {
        Instant instant = DbTimestamps.toInstant(timestamp);
        return instant == null ? null : instant.toString();
    }

    private List<Map<String, Object>> runs(Long cohortId, int limit) {
        List<Map<String, Object>> result = new ArrayList<>();
        for (Map<String, Object> r : jdbc.queryForList("SELECT * FROM sync_runs WHERE cohort_id = ? ORDER BY id DESC "
                + "FETCH FIRST " + limit + " ROWS ONLY", cohortId)) {
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("runId", r.get("id"));
            run.put("cohortId", r.get("cohort_id"));
            run.put("cohortName", r.get("cohort_name"));
            run.put("listId", r.get("list_id"));
            run.put("listName", r.get("list_name"));
            run.put("sync", r.get("sync_type"));
            run.put("trigger", r.get("run_trigger"));
            run.put("fullRefresh", r.get("full_refresh"));
            run.put("startedAt", text(r.get("started_at")));
            run.put("endedAt", text(r.get("ended_at")));
            run.put("status", r.get("status"));
            for (String[] counter : new String[][] {{"cohortMembers", "cohort_members"}, {"withEmail", "with_email"},
                    {"skippedNoEmail", "skipped_no_email"}, {"added", "added"}, {"removed", "removed"}, {"failed", "failed"},
                    {"mixpanelCalls", "mixpanel_calls"}, {"iterableCalls", "iterable_calls"}}) {
                run.put(counter[0], r.get(counter[1]));
            }
            run.put("error", r.get("error"));
            run.put("report", "/api/exports/" + cohortId + "/runs/" + r.get("id") + "/report.csv");
            result.add(run);
        }
        return result;
    }

    private static long toLong(Object value) {
        return ((Number) value).longValue();
    }
}

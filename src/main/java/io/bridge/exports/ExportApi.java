package io.bridge.exports;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.bridge.ApiProblem;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** The JSON of the exports API: requests read strictly, exports and runs written for people. */
@Component("exportApi")
public class ExportApi {

    /** {@code POST /api/exports} body. */
    public record ExportRequest(Long cohortId, String sync) {
    }

    private final ObjectMapper strict = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    private final JdbcTemplate jdbc;
    private final ExportRuns runs;

    public ExportApi(JdbcTemplate jdbc, ExportRuns runs) {
        this.jdbc = jdbc;
        this.runs = runs;
    }

    /** Reads and records a new export; sets headers cohortId and trigger for the run that follows. */
    public void create(@Body String body, Exchange exchange) {
        if (!runs.missingSettings().isEmpty()) {
            throw new ApiProblem(409, "export_off", "cohort export is off: set " + String.join(", ", runs.missingSettings()));
        }
        ExportRequest request;
        try {
            request = strict.readValue(body == null ? "" : body, ExportRequest.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ApiProblem(400, "invalid_request", "unknown field '" + e.getPropertyName()
                    + "': the body is {\"cohortId\": <number>, \"sync\": \"one-time\" | \"dynamic\"}");
        } catch (IOException e) {
            throw new ApiProblem(400, "invalid_request",
                    "the body must be JSON {\"cohortId\": <number>, \"sync\": \"one-time\" | \"dynamic\"}");
        }
        if (request.cohortId() == null || request.cohortId() <= 0) {
            throw new ApiProblem(400, "invalid_request", "cohortId must be a positive number");
        }
        if (request.sync() == null || !ExportRuns.SYNC_TYPES.contains(request.sync())) {
            throw new ApiProblem(400, "invalid_request", "sync must be one of \"one-time\", \"dynamic\"; got "
                    + (request.sync() == null ? "nothing" : "\"" + request.sync() + "\""));
        }
        runs.save(request.cohortId(), request.sync(), "api");
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader("cohortId", request.cohortId());
        exchange.getMessage().setHeader("trigger", "api");
    }

    /** The 202 answer of a new export. */
    public Map<String, Object> accepted(@Header("cohortId") long cohortId, Exchange exchange) {
        ExportRun run = exchange.getProperty("run", ExportRun.class);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("cohortId", cohortId);
        answer.put("runId", run.getId());
        answer.put("status", run.isSkipped() ? "skipped" : "running");
        answer.put("runs", "/api/exports/" + cohortId + "/runs");
        return answer;
    }

    public Map<String, Object> list() {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("enabled", runs.missingSettings().isEmpty());
        answer.put("missingSettings", runs.missingSettings());
        List<Map<String, Object>> exports = new ArrayList<>();
        for (Map<String, Object> row : jdbc.queryForList(
                "SELECT cohort_id, sync_type, origin, created_at, last_run_at, last_full_refresh_at FROM cohort_exports ORDER BY cohort_id")) {
            Map<String, Object> export = new LinkedHashMap<>();
            export.put("cohortId", row.get("cohort_id"));
            export.put("sync", row.get("sync_type"));
            export.put("origin", row.get("origin"));
            export.put("createdAt", String.valueOf(row.get("created_at")));
            export.put("lastRunAt", row.get("last_run_at") == null ? null : String.valueOf(row.get("last_run_at")));
            List<Map<String, Object>> last = runs((Long) toLong(row.get("cohort_id")), 1);
            export.put("lastRun", last.isEmpty() ? null : last.get(0));
            exports.add(export);
        }
        answer.put("exports", exports);
        return answer;
    }

    public List<Map<String, Object>> runs(@Header("cohortId") String cohortId) {
        long id;
        try {
            id = Long.parseLong(cohortId);
        } catch (NumberFormatException e) {
            throw new ApiProblem(400, "invalid_request", "cohortId must be a number, got '" + cohortId + "'");
        }
        if (jdbc.queryForObject("SELECT COUNT(*) FROM cohort_exports WHERE cohort_id = ?", Integer.class, id) == 0) {
            throw new ApiProblem(404, "not_found", "cohort " + id + " is not exported: POST /api/exports to export it");
        }
        return runs(id, 100);
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
            run.put("startedAt", String.valueOf(r.get("started_at")));
            run.put("endedAt", r.get("ended_at") == null ? null : String.valueOf(r.get("ended_at")));
            run.put("status", r.get("status"));
            for (String[] counter : new String[][] {{"cohortMembers", "cohort_members"}, {"withEmail", "with_email"},
                    {"skippedNoEmail", "skipped_no_email"}, {"added", "added"}, {"removed", "removed"}, {"failed", "failed"},
                    {"mixpanelCalls", "mixpanel_calls"}, {"iterableCalls", "iterable_calls"}}) {
                run.put(counter[0], r.get(counter[1]));
            }
            run.put("error", r.get("error"));
            result.add(run);
        }
        return result;
    }

    private static Long toLong(Object value) {
        return value == null ? null : ((Number) value).longValue();
    }
}

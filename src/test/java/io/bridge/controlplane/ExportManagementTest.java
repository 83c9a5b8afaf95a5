package io.bridge.controlplane;

import static io.bridge.controlplane.IntegrationApiTest.assertProblem;
import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;
import static io.bridge.support.Waiting.await;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.exports.ExportRuns;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.Concurrently;
import io.bridge.support.FaultInjectingDataSource;
import io.bridge.support.StandIns;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Cohorts, exports and their runs over the control plane, against the stand-ins. */
class ExportManagementTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();
    static final Map<String, String> JSON_BODY = Map.of("Content-Type", "application/json");

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("bridge.mixpanel.queries-per-hour", () -> "100000");
        registry.add("bridge.exports.batch-size", () -> "2");
        // the tests change the stand-in's cohorts between requests: no cached listing
        registry.add("bridge.mixpanel.cohorts-cache-ttl", () -> "0s");
    }

    @Autowired
    ExportRuns exportRuns;

    @BeforeEach
    void smallPages() { // tables and stand-ins start empty (BridgeHttpTest)
        MIXPANEL.pageSize(3);
    }

    @Test
    void cohortsComeFromMixpanelWithTheirSizeAndExport() {
        MIXPANEL.cohort(41, "Trial users", members("a@x.com", "b@x.com"));
        MIXPANEL.cohort(42, "Churned", members("c@x.com"));
        exportRuns.save(41, "dynamic", "api");

        JsonNode cohorts = json(get("/api/cohorts"));

        JsonNode trial = find(cohorts, 41);
        assertThat(trial.get("name").asText()).isEqualTo("Trial users");
        assertThat(trial.get("size").asInt()).isEqualTo(2);
        assertThat(trial.at("/export/sync").asText()).isEqualTo("dynamic");
        assertThat(trial.at("/export/status").asText()).isEqualTo("active");
        assertThat(find(cohorts, 42).get("export").isNull()).isTrue();
    }

    @Test
    void exportingACohortMixpanelLacksIs404NamingIt() {
        assertProblem(post("/api/exports", "{\"cohortId\":404404,\"sync\":\"dynamic\"}", JSON_BODY), 404, "no cohort 404404");
        assertThat(count("cohort_exports")).isZero();
    }

    /**
     * Findings 5 and 6: a body that is not exactly one export request (JSON null, another JSON
     * type, a number where a whole number or a string belongs, a duplicate field, content after
     * the object) is 400 naming what to send, never 500 and never read loosely (1001.5 as 1001).
     */
    @Test
    void bodiesThatAreNotExactlyAnExportRequestAre400SayingWhatToSend() {
        MIXPANEL.cohort(1001, "Strict", members("a@x.com"));
        MIXPANEL.cohort(5, "Five", members("b@x.com"));
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("null", "the body must be a JSON object {\"cohortId\"");
        cases.put("[]", "the body must be a JSON object {\"cohortId\"");
        cases.put("\"x\"", "got a string");
        cases.put("1", "got a whole number");
        cases.put("{}", "cohortId is missing");
        cases.put("", "the body is empty");
        cases.put("{\"cohortId\":1001.5,\"sync\":\"one-time\"}", "cohortId must be a whole number, got a number with a fraction");
        cases.put("{\"cohortId\":1001.0,\"sync\":\"one-time\"}", "cohortId must be a whole number, got a number with a fraction");
        cases.put("{\"cohortId\":\"1001\",\"sync\":\"one-time\"}", "cohortId must be a whole number, got a string");
        cases.put("{\"cohortId\":true,\"sync\":\"one-time\"}", "cohortId must be a whole number, got true or false");
        cases.put("{\"cohortId\":[1001],\"sync\":\"one-time\"}", "cohortId must be a whole number, got an array");
        cases.put("{\"cohortId\":99999999999999999999,\"sync\":\"one-time\"}", "cohortId is out of range");
        cases.put("{\"cohortId\":1001,\"sync\":1}", "sync must be a string, got a whole number");
        cases.put("{\"cohortId\":1001,\"sync\":{\"a\":1}}", "sync must be a string, got an object");
        cases.put("{\"cohortId\":5,\"cohortId\":1001,\"sync\":\"one-time\"}", "Duplicate field 'cohortId'");
        cases.put("{\"cohortId\":1001,\"sync\":\"one-time\"} trailing", "content after the JSON object");
        cases.put("{\"cohortId\":1001,\"sync\":\"one-time\"}{}", "content after the JSON object");
        cases.put("{\"cohortId\":1001,\"sync\":\"one-time\"", "the body must be JSON");

        cases.forEach((body, message) -> assertBadRequest(post("/api/exports", body, JSON_BODY), body, message));

        assertThat(count("cohort_exports")).isZero();
        assertThat(count("sync_runs")).isZero();
        assertThat(post("/api/exports", "{\"cohortId\":1001,\"sync\":\"one-time\"}", JSON_BODY).statusCode())
                .as("the same export, sent as the README says").isEqualTo(202);
    }

    /** 400, a JSON {"status","error","message"} whose message contains {@code message}, no trace of Java. */
    static void assertBadRequest(HttpResponse<String> response, String body, String message) {
        assertThat(response.statusCode()).as(body + " -> " + response.body()).isEqualTo(400);
        JsonNode problem = json(response);
        assertThat(problem.get("status").asInt()).as(body).isEqualTo(400);
        assertThat(problem.get("error").asText()).as(body).isEqualTo("invalid_request");
        assertThat(problem.get("message").asText()).as(body).contains(message)
                .doesNotContain("Exception").doesNotContain("io.bridge").doesNotContain("`");
    }

    @Test
    void eachRunHasAReportWithEveryMembersOutcome() {
        List<FakeMixpanel.Member> cohort = new ArrayList<>(members("ann@x.com", "bob@x.com", "cy@x.com"));
        cohort.add(new FakeMixpanel.Member("no-email", null));
        cohort.add(new FakeMixpanel.Member("bob-twice", "BOB@x.com"));
        cohort.add(new FakeMixpanel.Member("broken", "broken@"));
        MIXPANEL.cohort(43, "Reported", cohort);
        exportRuns.save(43, "dynamic", "api");
        long first = runNow(43);

        String report = get("/api/exports/43/runs/" + first + "/report.csv").body();

        assertThat(report.lines().toList()).first().isEqualTo("distinct_id,email,outcome,reason");
        assertThat(report.lines().skip(1).toList()).containsExactlyInAnyOrder(
                "d-0-ann@x.com,ann@x.com,added,",
                "d-1-bob@x.com,bob@x.com,added,",
                "d-2-cy@x.com,cy@x.com,added,",
                "no-email,,skipped-no-email,set $email on the user profile",
                "bob-twice,BOB@x.com,skipped-duplicate-email,an earlier member has the same email",
                "broken,broken@,failed,invalidEmails");

        MIXPANEL.cohort(43, "Reported", members("ann@x.com", "cy@x.com", "dee@x.com"));
        long second = runNow(43);
        HttpResponse<String> csv = get("/api/exports/43/runs/" + second + "/report.csv");

        assertThat(csv.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/csv"));
        assertThat(csv.body().lines().skip(1).toList()).containsExactlyInAnyOrder(
                "d-0-ann@x.com,ann@x.com,unchanged,",
                "d-1-cy@x.com,cy@x.com,unchanged,",
                "d-2-dee@x.com,dee@x.com,added,",
                ",bob@x.com,removed,left the cohort");
    }

    @Test
    void aRunThatDoesNotExistOrHasNoReportIs404() {
        MIXPANEL.cohort(44, "Few", members("a@x.com"));
        exportRuns.save(44, "one-time", "api");
        assertProblem(get("/api/exports/44/runs/999999/report.csv"), 404, "cohort 44 has no run 999999");
        assertProblem(get("/api/exports/45/runs/1/report.csv"), 404, "cohort 45 is not exported");
        assertProblem(get("/api/exports/abc"), 400, "cohortId must be a number");
    }

    @Test
    void stoppingAnExportEndsItsRunsAndKeepsTheListAndHistory() {
        MIXPANEL.cohort(46, "Stopped", members("a@x.com"));
        exportRuns.save(46, "dynamic", "api");
        runNow(46);

        HttpResponse<String> stopped = request("DELETE", "/api/exports/46", null, Map.of());

        assertThat(stopped.statusCode()).isEqualTo(200);
        assertThat(json(stopped).get("status").asText()).isEqualTo("stopped");
        assertThat(json(stopped).get("runs").size()).isEqualTo(1);
        assertThat(exportRuns.dueDynamic()).doesNotContain(46L);
        assertThat(ITERABLE.members("mixpanel_Stopped_46")).containsExactly("a@x.com");
        assertProblem(post("/api/exports/46/run", "", Map.of()), 409, "is stopped: POST /api/exports");
        assertThat(jdbc.queryForList("SELECT actor || ' ' || action FROM audit_log ORDER BY id", String.class))
                .containsExactly("test-admin export.run", "test-admin export.stop");

        assertThat(post("/api/exports", "{\"cohortId\":46,\"sync\":\"dynamic\"}", JSON_BODY).statusCode()).isEqualTo(202);
        assertThat(json(get("/api/exports/46")).get("status").asText()).isEqualTo("active");
    }

    @Test
    void exportsDeclaredInApplicationYamlAreChangedThereNotOverTheApi() {
        MIXPANEL.cohort(47, "Declared", members("a@x.com"));
        jdbc.update("INSERT INTO cohort_exports (cohort_id, sync_type, origin, created_at) VALUES (47, 'dynamic', 'config', ?)",
                Timestamp.from(Instant.now()));

        assertProblem(request("DELETE", "/api/exports/47", null, Map.of()), 409, "declared in application.yaml");
        assertProblem(post("/api/exports", "{\"cohortId\":47,\"sync\":\"one-time\"}", JSON_BODY), 409, "bridge.exports.cohorts");
        assertThat(json(get("/api/exports/47")).get("origin").asText()).isEqualTo("config");
    }

    @Test
    void anUnknownExportIs404() {
        assertProblem(get("/api/exports/48"), 404, "cohort 48 is not exported");
        assertProblem(request("DELETE", "/api/exports/48", null, Map.of()), 404, "cohort 48 is not exported");
        assertProblem(post("/api/exports/48/run", "", Map.of()), 404, "cohort 48 is not exported");
    }

    @Test
    void fiftyConcurrentRequestsToExportANewCohortAreAll202Or409AndRecordOneExport() {
        MIXPANEL.cohort(61, "Contested", members("a@x.com", "b@x.com"));
        database().inject(FaultInjectingDataSource.Fault.SLOW_COMMIT); // a loaded database: transactions overlap
        List<HttpResponse<String>> answers;
        try {
            answers = Concurrently.run(50, () -> post("/api/exports", "{\"cohortId\":61,\"sync\":\"dynamic\"}", JSON_BODY));
        } finally {
            database().inject(FaultInjectingDataSource.Fault.NONE);
        }

        int accepted = 0;
        for (HttpResponse<String> answer : answers) {
            assertThat(answer.statusCode()).as(answer.body()).isIn(202, 409);
            JsonNode body = json(answer);
            if (answer.statusCode() == 202) {
                accepted++;
                assertThat(body.get("cohortId").asLong()).isEqualTo(61);
                assertThat(body.get("status").asText()).isIn("running", "skipped");
                assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM sync_runs WHERE id = ? AND cohort_id = 61", Integer.class,
                        body.get("runId").asLong())).isEqualTo(1);
            } else {
                assertThat(body.get("status").asInt()).isEqualTo(409);
                assertThat(body.get("message").asText()).isNotBlank();
            }
        }
        assertThat(accepted).isPositive();
        assertThat(jdbc.queryForList("SELECT sync_type || ' ' || origin FROM cohort_exports WHERE cohort_id = 61 AND stopped_at IS NULL",
                String.class)).containsExactly("dynamic api");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM sync_runs WHERE cohort_id = 61", Integer.class)).isEqualTo(accepted);
        awaitRunsEnd(61);
        assertThat(jdbc.queryForList("SELECT DISTINCT status FROM sync_runs WHERE cohort_id = 61", String.class))
                .contains("succeeded").allMatch(status -> status.equals("succeeded") || status.equals("skipped"));
        assertThat(ITERABLE.members("mixpanel_Contested_61")).containsExactly("a@x.com", "b@x.com");
    }

    @Test
    void fiftyConcurrentRunRequestsMakeOneRunWhoseReportIsKept() {
        MIXPANEL.cohort(62, "Popular", members("a@x.com", "b@x.com"));
        exportRuns.save(62, "dynamic", "api");
        Concurrently.await("no run of an earlier test is still reading Mixpanel", 30, () -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM sync_runs WHERE status = 'running'", Integer.class) == 0);
        MIXPANEL.resetCalls();
        MIXPANEL.hold(); // the real run waits on Mixpanel until the burst is over: every other request finds it going
        List<HttpResponse<String>> answers;
        try {
            answers = Concurrently.run(50, () -> post("/api/exports/62/run", "", Map.of()));
        } finally {
            MIXPANEL.release();
        }
        awaitRunsEnd(62);

        assertThat(answers).allSatisfy(answer -> assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202));
        List<Long> real = jdbc.queryForList("SELECT id FROM sync_runs WHERE cohort_id = 62 AND status <> 'skipped'", Long.class);
        List<Long> skipped = jdbc.queryForList("SELECT id FROM sync_runs WHERE cohort_id = 62 AND status = 'skipped'", Long.class);
        assertThat(real).hasSize(1);
        assertThat(skipped).hasSize(49);
        assertThat(answers.stream().filter(a -> json(a).get("status").asText().equals("running")).count()).isEqualTo(1);
        assertThat(MIXPANEL.calls("/api/query/engage")).as("skipped runs read nothing: " + jdbc.queryForList(
                "SELECT * FROM sync_runs WHERE cohort_id = 62 AND status <> 'skipped'")).isEqualTo(1);

        HttpResponse<String> report = get("/api/exports/62/runs/" + real.get(0) + "/report.csv");
        assertThat(report.statusCode()).as("skipped runs keep no report slot: " + report.body()).isEqualTo(200);
        assertThat(report.body().lines().skip(1).toList()).containsExactlyInAnyOrder(
                "d-0-a@x.com,a@x.com,added,", "d-1-b@x.com,b@x.com,added,");
        assertProblem(get("/api/exports/62/runs/" + skipped.get(0) + "/report.csv"), 404, "skipped and interrupted runs have none");
    }

    /** POST /api/exports/{id}/run and waits for the run to end; returns its id. */
    private long runNow(long cohortId) {
        HttpResponse<String> accepted = post("/api/exports/" + cohortId + "/run", "", Map.of());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        long runId = json(accepted).get("runId").asLong();
        await("run " + runId + " ends").atMost(PATIENCE).until(
                () -> jdbc.queryForObject("SELECT status FROM sync_runs WHERE id = ?", String.class, runId), not("running"));
        return runId;
    }

    private void awaitRunsEnd(long cohortId) {
        await("the runs of cohort " + cohortId + " end").atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM sync_runs WHERE cohort_id = ? AND status = 'running'", Integer.class, cohortId), is(0));
    }

    private static JsonNode find(JsonNode cohorts, long id) {
        for (JsonNode cohort : cohorts) {
            if (cohort.get("id").asLong() == id) {
                return cohort;
            }
        }
        throw new AssertionError("no cohort " + id + " in " + cohorts);
    }
}

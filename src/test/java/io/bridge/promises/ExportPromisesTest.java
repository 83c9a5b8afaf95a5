package io.bridge.promises;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.exports.ExportRuns;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.Concurrently;
import io.bridge.support.ExportTables;
import io.bridge.support.StandIns;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * README promises about cohort export and its control plane that no other test proved (issue 11,
 * item 9): the run's error when Mixpanel's budget is used up, 409 for a running run's report, the
 * newest 20 reports kept, notFoundEmails not failures, the bridge_sync_* metrics, 502 when Mixpanel
 * refuses the service account. docs/promises.md maps every README promise to its test.
 */
@AutoConfigureObservability(tracing = false) // /actuator/prometheus
class ExportPromisesTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();
    /** The hourly Mixpanel budget of this context: small enough to use up by hand. */
    static final int QUERIES_PER_HOUR = 50;

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("bridge.mixpanel.queries-per-hour", () -> String.valueOf(QUERIES_PER_HOUR));
        registry.add("bridge.mixpanel.reserved-for-syncs", () -> "0");
        registry.add("bridge.mixpanel.cohorts-cache-ttl", () -> "0s");
        registry.add("bridge.exports.retry-delay", () -> "10ms");
        registry.add("bridge.exports.retries", () -> "1");
    }

    @Autowired
    ProducerTemplate camel;
    @Autowired
    ExportRuns exportRuns;

    @BeforeEach
    void cleanExports() {
        Concurrently.await("no run of an earlier test is still going", 30, () -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM sync_runs WHERE status = 'running'", Integer.class) == 0);
        ExportTables.empty(jdbc);
        MIXPANEL.clearFaults();
        ITERABLE.clearFaults();
        MIXPANEL.pageSize(1000);
        MIXPANEL.delay(0);
    }

    /** Runs the cohort's export to its end (as Quartz or the API would) and returns its sync_runs row. */
    Map<String, Object> run(long cohortId) {
        camel.sendBodyAndHeaders("direct:export-cohort", null, Map.of("cohortId", cohortId, "trigger", "api"));
        return jdbc.queryForMap("SELECT * FROM sync_runs WHERE cohort_id = ? ORDER BY id DESC FETCH FIRST 1 ROWS ONLY", cohortId);
    }

    /** Spends {@code queries} of this hour's Mixpanel budget, as earlier runs would have. */
    void spend(int queries) {
        Timestamp now = Timestamp.from(Instant.now());
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < queries; i++) {
            rows.add(new Object[] {StandIns.PROJECT, now});
        }
        jdbc.batchUpdate("INSERT INTO mixpanel_queries (project_id, spent_at) VALUES (?, ?)", rows);
    }

    /** README, Cohort export, Mixpanel's limits: "A cohort whose pages cannot fit ... does not start ... the run's error and the log say so". */
    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aCohortThatCannotFitInWhatIsLeftOfTheBudgetDoesNotStartAndItsErrorSaysSo(CapturedOutput output) {
        MIXPANEL.cohort(901, "Too big", members("a@x.com", "b@x.com"));
        exportRuns.save(901, "one-time", "api");
        spend(QUERIES_PER_HOUR - 1); // cohorts/list takes the last one: no query is left for the first page

        Map<String, Object> run = run(901);

        assertThat(run.get("STATUS")).isEqualTo("failed");
        assertThat((String) run.get("ERROR")).contains("reading it takes 1 Mixpanel queries, but only 0 of " + QUERIES_PER_HOUR
                + " are left this hour").contains("bridge.mixpanel.queries-per-hour").contains("did not start");
        assertThat(MIXPANEL.members(901)).hasSize(2);
        assertThat(ITERABLE.listNames()).doesNotContain("mixpanel_Too big_901");
        assertThat(output.getOut()).contains("export of cohort 901 failed").contains("0 of " + QUERIES_PER_HOUR + " are left");
    }

    /** README, Mixpanel's limits: "a run that runs out of budget stops ... the run's error and the log say so, and the next run converges". */
    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aRunThatUsesUpTheBudgetStopsItsErrorSaysSoAndTheNextRunConverges(CapturedOutput output) {
        MIXPANEL.pageSize(1); // 5 members: 5 pages (the size Mixpanel reports fits in one 1,000-member page)
        MIXPANEL.cohort(902, "Budget", members("a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com"));
        exportRuns.save(902, "dynamic", "api");
        spend(QUERIES_PER_HOUR - 3); // cohorts/list and two pages, then none

        Map<String, Object> stopped = run(902);

        assertThat(stopped.get("STATUS")).isEqualTo("failed");
        assertThat((String) stopped.get("ERROR")).contains("Mixpanel query budget used up")
                .contains(QUERIES_PER_HOUR + " queries in the last hour").contains("bridge.mixpanel.queries-per-hour");
        assertThat(stopped.get("MIXPANEL_CALLS")).isEqualTo(3);
        assertThat(output.getOut()).contains("export of cohort 902 failed").contains("Mixpanel query budget used up");

        jdbc.update("DELETE FROM mixpanel_queries"); // the hour has passed
        Map<String, Object> next = run(902);

        assertThat(next.get("STATUS")).isEqualTo("succeeded");
        assertThat(ITERABLE.members("mixpanel_Budget_902"))
                .containsExactlyInAnyOrder("a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com");
    }

    /** README, Control plane, report.csv: "A running run's report is a 409." */
    @Test
    void aRunningRunsReportIs409AndItIsThereOnceTheRunEnds() {
        MIXPANEL.cohort(903, "Slow", members("a@x.com"));
        exportRuns.save(903, "dynamic", "api");
        long runId;
        MIXPANEL.hold(); // the run waits on Mixpanel until the test has asked for its report
        try {
            HttpResponse<String> accepted = post("/api/exports/903/run", "", Map.of());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            runId = json(accepted).get("runId").asLong();

            HttpResponse<String> report = get("/api/exports/903/runs/" + runId + "/report.csv");

            assertThat(report.statusCode()).as(report.body()).isEqualTo(409);
            JsonNode problem = json(report);
            assertThat(problem.get("status").asInt()).isEqualTo(409);
            assertThat(problem.get("error").asText()).isEqualTo("run_in_progress");
            assertThat(problem.get("message").asText()).contains("run " + runId + " is still running");
        } finally {
            MIXPANEL.release();
        }
        Concurrently.await("run " + runId + " ends", 30, () -> !"running".equals(
                jdbc.queryForObject("SELECT status FROM sync_runs WHERE id = ?", String.class, runId)));

        HttpResponse<String> report = get("/api/exports/903/runs/" + runId + "/report.csv");
        assertThat(report.statusCode()).as(report.body()).isEqualTo(200);
        assertThat(report.body().lines().skip(1).toList()).containsExactly("d-0-a@x.com,a@x.com,added,");
    }

    /** README, report.csv: "kept for the newest bridge.exports.reports-kept (20) runs of each cohort" (the default). */
    @Test
    void onlyTheNewestTwentyReportsOfACohortAreKept() {
        MIXPANEL.cohort(904, "Often", members("a@x.com"));
        MIXPANEL.cohort(905, "Neighbour", members("b@x.com"));
        exportRuns.save(904, "dynamic", "api");
        exportRuns.save(905, "dynamic", "api");
        long neighbour = ((Number) run(905).get("ID")).longValue();
        List<Long> runs = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            Map<String, Object> run = run(904);
            assertThat(run.get("STATUS")).isEqualTo("succeeded");
            runs.add(((Number) run.get("ID")).longValue());
        }

        HttpResponse<String> oldest = get("/api/exports/904/runs/" + runs.get(0) + "/report.csv");
        assertThat(oldest.statusCode()).as(oldest.body()).isEqualTo(404);
        assertThat(json(oldest).get("message").asText()).contains("bridge.exports.reports-kept");
        for (long kept : runs.subList(1, 21)) {
            assertThat(get("/api/exports/904/runs/" + kept + "/report.csv").statusCode()).as("run " + kept).isEqualTo(200);
        }
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM sync_run_reports r JOIN sync_runs s ON s.id = r.run_id "
                + "WHERE s.cohort_id = 904", Integer.class)).isEqualTo(20);
        assertThat(get("/api/exports/905/runs/" + neighbour + "/report.csv").statusCode())
                .as("another cohort's reports count apart").isEqualTo(200);
    }

    /** README, Control plane: "GET /api/exports/1234: one export and its last 10 runs"; ".../runs: runs, newest first". */
    @Test
    void anExportShowsItsLastTenRunsAndItsRunsAreListedNewestFirst() {
        MIXPANEL.cohort(910, "Listed", members("a@x.com"));
        exportRuns.save(910, "dynamic", "api");
        List<Long> runs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            runs.add(((Number) run(910).get("ID")).longValue());
        }
        List<Long> newestFirst = new ArrayList<>(runs);
        java.util.Collections.reverse(newestFirst);

        JsonNode export = json(get("/api/exports/910"));
        JsonNode all = json(get("/api/exports/910/runs"));

        assertThat(ids(export.get("runs"))).isEqualTo(newestFirst.subList(0, 10));
        assertThat(ids(all)).isEqualTo(newestFirst);
        assertThat(all.get(0).get("status").asText()).isEqualTo("succeeded");
    }

    private static List<Long> ids(JsonNode runs) {
        List<Long> ids = new ArrayList<>();
        runs.forEach(run -> ids.add(run.get("runId").asLong()));
        return ids;
    }

    /** README, Control plane, The key: "A disconnected bridge starts no run, and a run in flight stops at its next Iterable call". */
    @Test
    void aRunInFlightStopsAtItsNextIterableCallOnceDisconnected() {
        MIXPANEL.cohort(911, "Cut off", members("a@x.com", "b@x.com"));
        exportRuns.save(911, "dynamic", "api");
        ITERABLE.resetCalls();
        long runId;
        MIXPANEL.hold(); // the run reads Mixpanel and has not called Iterable yet
        try {
            HttpResponse<String> accepted = post("/api/exports/911/run", "", Map.of());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            runId = json(accepted).get("runId").asLong();
            assertThat(request("DELETE", "/api/integration", null, Map.of()).statusCode()).isEqualTo(200);
        } finally {
            MIXPANEL.release();
        }
        Concurrently.await("run " + runId + " ends", 30, () -> !"running".equals(
                jdbc.queryForObject("SELECT status FROM sync_runs WHERE id = ?", String.class, runId)));

        Map<String, Object> run = jdbc.queryForMap("SELECT * FROM sync_runs WHERE id = ?", runId);
        assertThat(run.get("STATUS")).isNotEqualTo("succeeded");
        assertThat((String) run.get("ERROR")).contains("disconnected");
        assertThat(ITERABLE.calls("/api/lists") + ITERABLE.writeCalls()).as("Iterable was never called").isZero();
        assertThat(ITERABLE.listNames()).doesNotContain("mixpanel_Cut off_911");
        HttpResponse<String> again = post("/api/exports/911/run", "", Map.of());
        assertThat(again.statusCode()).as("no run while disconnected: " + again.body()).isEqualTo(409);
    }

    /** README, Cohort export, Faults: "unsubscribe notFoundEmails are not failures". */
    @Test
    void anUnsubscribeIterableAnswersWithNotFoundEmailsIsNoFailure() {
        MIXPANEL.cohort(906, "Leavers", members("a@x.com", "b@x.com", "c@x.com"));
        exportRuns.save(906, "dynamic", "api");
        run(906);
        ITERABLE.removeByHand("mixpanel_Leavers_906", "c@x.com"); // Iterable no longer has c on the list
        MIXPANEL.cohort(906, "Leavers", members("a@x.com", "b@x.com"));

        Map<String, Object> run = run(906);

        assertThat(run).containsEntry("STATUS", "succeeded").containsEntry("FAILED", 0).containsEntry("REMOVED", 1);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM sync_run_failures", Integer.class)).isZero();
        assertThat(jdbc.queryForList("SELECT email_key FROM list_members ORDER BY email_key", String.class))
                .as("the snapshot no longer holds c").containsExactly("a@x.com", "b@x.com");
        assertThat(get("/api/exports/906/runs/" + run.get("ID") + "/report.csv").body())
                .contains(",c@x.com,removed,left the cohort").doesNotContain("failed");
    }

    /** README, Monitoring: "bridge_sync_runs_total{status} and bridge_sync_members_total{outcome}". */
    @Test
    void prometheusCountsRunsByStatusAndMembersByOutcome() {
        List<FakeMixpanel.Member> cohort = new ArrayList<>(members("a@x.com", "b@x.com", "c@x.com"));
        cohort.add(new FakeMixpanel.Member("no-email", null));
        cohort.add(new FakeMixpanel.Member("broken", "broken@"));
        MIXPANEL.cohort(907, "Counted", cohort);
        MIXPANEL.cohort(908, "Nobody", List.of(new FakeMixpanel.Member("no-email", null)));
        exportRuns.save(907, "dynamic", "api");
        exportRuns.save(908, "one-time", "api");
        String before = prometheus();

        run(907);
        MIXPANEL.cohort(907, "Counted", members("a@x.com", "b@x.com"));
        run(907);
        assertThat(run(908).get("STATUS")).isEqualTo("failed");

        String after = prometheus();
        assertThat(delta(before, after, "bridge_sync_runs_total", "status", "succeeded")).isEqualTo(2);
        assertThat(delta(before, after, "bridge_sync_runs_total", "status", "failed")).isEqualTo(1);
        assertThat(delta(before, after, "bridge_sync_members_total", "outcome", "added")).isEqualTo(3);
        assertThat(delta(before, after, "bridge_sync_members_total", "outcome", "removed")).isEqualTo(1);
        assertThat(delta(before, after, "bridge_sync_members_total", "outcome", "skipped-no-email")).isEqualTo(2);
        assertThat(delta(before, after, "bridge_sync_members_total", "outcome", "failed")).isEqualTo(1);
    }

    /** README, Control plane, Errors: "502 when Mixpanel refuses the service account (with its message)". */
    @Test
    void whenMixpanelRefusesTheServiceAccountTheControlPlaneAnswers502WithItsMessage() {
        MIXPANEL.cohort(909, "Any", members("a@x.com"));
        String refusal = "{\"error\":\"Invalid service account credentials\",\"status\":\"error\"}"; // Mixpanel's 401
        MIXPANEL.failNext("/api/query/cohorts/list", 2, 401, "application/json", refusal);

        HttpResponse<String> cohorts = get("/api/cohorts");
        HttpResponse<String> export = post("/api/exports", "{\"cohortId\":909,\"sync\":\"dynamic\"}",
                Map.of("Content-Type", "application/json"));

        for (HttpResponse<String> answer : List.of(cohorts, export)) {
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(502);
            JsonNode problem = json(answer);
            assertThat(problem.get("error").asText()).isEqualTo("mixpanel_error");
            assertThat(problem.get("message").asText()).contains("Mixpanel answered 401")
                    .contains("Invalid service account credentials").contains("BRIDGE_MIXPANEL_SECRET");
        }
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM cohort_exports", Integer.class)).as("no export recorded").isZero();
        assertThat(get("/api/cohorts").statusCode()).as("once Mixpanel takes the account again").isEqualTo(200);
    }

    private String prometheus() {
        HttpResponse<String> metrics = request("GET", "/actuator/prometheus", null, Map.of("Authorization", ADMIN));
        assertThat(metrics.statusCode()).isEqualTo(200);
        return metrics.body();
    }

    /** How much a counter with this tag grew between two scrapes (absent counts as 0). */
    private static double delta(String before, String after, String name, String tag, String value) {
        return value(after, name, tag, value) - value(before, name, tag, value);
    }

    private static double value(String scrape, String name, String tag, String value) {
        Matcher line = Pattern.compile("(?m)^" + name + "\\{[^}]*" + tag + "=\"" + Pattern.quote(value) + "\"[^}]*\\} (\\S+)$")
                .matcher(scrape);
        return line.find() ? Double.parseDouble(line.group(1)) : 0;
    }
}

package io.bridge.exports;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;
import static io.bridge.support.Waiting.await;
import static org.hamcrest.Matchers.not;

import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.StandIns;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Cohort export against stateful fakes of Mixpanel and Iterable: what the list holds after each run. */
class CohortExportTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("bridge.mixpanel.queries-per-hour", () -> "100000");
        registry.add("bridge.exports.retry-delay", () -> "10ms");
        registry.add("bridge.exports.retries", () -> "3");
        registry.add("bridge.exports.batch-size", () -> "2");
        registry.add("bridge.exports.max-retry-after", () -> "1500ms");
    }

    @Autowired
    ProducerTemplate camel;
    @Autowired
    ExportRuns exportRuns;

    @BeforeEach
    void smallPages() { // tables and stand-ins start empty (BridgeHttpTest)
        MIXPANEL.pageSize(3);
    }

    Map<String, Object> run(long cohortId) {
        camel.sendBodyAndHeaders("direct:export-cohort", null, Map.of("cohortId", cohortId, "trigger", "api"));
        return lastRun(cohortId);
    }

    Map<String, Object> lastRun(long cohortId) {
        return jdbc.queryForMap("SELECT * FROM sync_runs WHERE cohort_id = ? ORDER BY id DESC FETCH FIRST 1 ROWS ONLY", cohortId);
    }

    @Test
    void aOneTimeExportFillsTheListWithExactlyTheMembersThatHaveAnEmail() {
        List<FakeMixpanel.Member> cohort = new ArrayList<>(members("ann@x.com", " Bob@X.com ", "cy@x.com", "dee@x.com"));
        cohort.add(new FakeMixpanel.Member("no-email-1", null));
        cohort.add(new FakeMixpanel.Member("no-email-2", ""));
        cohort.add(new FakeMixpanel.Member("bob-again", "bob@x.com"));
        MIXPANEL.cohort(10, "Power users", cohort);
        exportRuns.save(10, "one-time", "api");

        Map<String, Object> run = run(10);

        assertThat(ITERABLE.members("mixpanel_Power users_10"))
                .as("emails as the bundle sent them: trimmed, cased as in Mixpanel (Iterable lower-cases them itself)")
                .containsExactlyInAnyOrder("ann@x.com", "Bob@X.com", "cy@x.com", "dee@x.com");
        assertThat(run).containsEntry("STATUS", "succeeded").containsEntry("COHORT_MEMBERS", 7)
                .containsEntry("WITH_EMAIL", 4).containsEntry("SKIPPED_NO_EMAIL", 2).containsEntry("ADDED", 4)
                .containsEntry("REMOVED", 0).containsEntry("FAILED", 0).containsEntry("LIST_NAME", "mixpanel_Power users_10")
                .containsEntry("COHORT_NAME", "Power users");
        assertThat(run.get("MIXPANEL_CALLS")).as("cohorts/list + 3 pages of 3").isEqualTo(4);
        assertThat(MIXPANEL.calls("/api/query/engage")).isEqualTo(3);
        assertThat(ITERABLE.calls("/api/lists/subscribe")).as("4 emails in batches of 2").isEqualTo(2);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM run_members", Integer.class)).as("staging cleared").isZero();
    }

    @Test
    void aDynamicSyncSendsOnlyWhoJoinedAndWhoLeft() {
        MIXPANEL.cohort(20, "Churn risk", members("a@x.com", "b@x.com", "c@x.com", "d@x.com"));
        exportRuns.save(20, "dynamic", "api");
        run(20);
        ITERABLE.resetCalls();

        MIXPANEL.cohort(20, "Churn risk", members("a@x.com", "c@x.com", "e@x.com"));
        Map<String, Object> second = run(20);

        assertThat(ITERABLE.members("mixpanel_Churn risk_20")).containsExactlyInAnyOrder("a@x.com", "c@x.com", "e@x.com");
        assertThat(second).containsEntry("STATUS", "succeeded").containsEntry("ADDED", 1).containsEntry("REMOVED", 2)
                .containsEntry("FULL_REFRESH", false);
        assertThat(ITERABLE.writeCalls()).as("one subscribe of e, one unsubscribe of b and d").isEqualTo(2);
        assertThat(ITERABLE.channelUnsubscribes()).as("never a global unsubscribe").isZero();
    }

    @Test
    void aFullRefreshHealsAListEditedByHand() {
        MIXPANEL.cohort(21, "Heal", members("a@x.com", "b@x.com"));
        exportRuns.save(21, "dynamic", "api");
        run(21);
        ITERABLE.removeByHand("mixpanel_Heal_21", "a@x.com");
        jdbc.update("UPDATE cohort_exports SET last_full_refresh_at = ? WHERE cohort_id = 21",
                java.sql.Timestamp.from(java.time.Instant.now().minus(java.time.Duration.ofDays(2))));

        Map<String, Object> refresh = run(21);

        assertThat(refresh).containsEntry("FULL_REFRESH", true).containsEntry("STATUS", "succeeded");
        assertThat(ITERABLE.members("mixpanel_Heal_21")).containsExactlyInAnyOrder("a@x.com", "b@x.com");
    }

    @Test
    void aRenamedCohortGetsAListUnderItsNewName() {
        MIXPANEL.cohort(30, "Old name", members("a@x.com", "b@x.com"));
        exportRuns.save(30, "dynamic", "api");
        run(30);

        MIXPANEL.cohort(30, "New name", members("a@x.com", "b@x.com"));
        Map<String, Object> second = run(30);

        assertThat(second).containsEntry("STATUS", "succeeded").containsEntry("LIST_NAME", "mixpanel_New name_30")
                .containsEntry("COHORT_NAME", "New name");
        assertThat(ITERABLE.members("mixpanel_New name_30")).containsExactlyInAnyOrder("a@x.com", "b@x.com");
        assertThat(ITERABLE.members("mixpanel_Old name_30")).as("the old list is left as it is")
                .containsExactlyInAnyOrder("a@x.com", "b@x.com");
    }

    @Test
    void aCohortWhereNobodyHasAnEmailFailsAndSaysWhatToDo() {
        MIXPANEL.cohort(40, "Anonymous", List.of(new FakeMixpanel.Member("u1", null), new FakeMixpanel.Member("u2", null)));
        exportRuns.save(40, "one-time", "api");

        Map<String, Object> run = run(40);

        assertThat(run).containsEntry("STATUS", "failed").containsEntry("SKIPPED_NO_EMAIL", 2);
        assertThat((String) run.get("ERROR")).contains("set $email as a user profile property");
        assertThat(ITERABLE.listNames()).doesNotContain("mixpanel_Anonymous_40");
    }

    @Test
    void iterable429sAndGatewayErrorsAreRetried() {
        MIXPANEL.cohort(50, "Retry", members("a@x.com", "b@x.com", "c@x.com"));
        exportRuns.save(50, "one-time", "api");
        ITERABLE.failNext("/api/lists/subscribe", 2, 429, "text/plain", "Rate limit exceeded. Please try again later.");
        ITERABLE.failNext("/api/lists/subscribe", 1, 502, "text/html", "<html>Bad gateway</html>");
        MIXPANEL.failNext("/api/query/engage", 1, 429, "application/json",
                "{\"request\":\"/api/query/engage\",\"error\":\"Query rate limit exceeded for project_id: 4242\"}");

        Map<String, Object> run = run(50);

        assertThat(run).containsEntry("STATUS", "succeeded");
        assertThat(ITERABLE.members("mixpanel_Retry_50")).containsExactlyInAnyOrder("a@x.com", "b@x.com", "c@x.com");
        assertThat(ITERABLE.calls("/api/lists/subscribe")).as("2 batches + 3 retries").isEqualTo(5);
    }

    @Test
    void a429WithRetryAfterIsRetriedWhenItSaysNotSooner() {
        MIXPANEL.cohort(55, "Patient", members("a@x.com"));
        exportRuns.save(55, "one-time", "api");
        ITERABLE.failNext("/api/lists/subscribe", 1, 429, "text/plain", "Rate limit exceeded", Map.of("Retry-After", "1"));

        long started = System.nanoTime();
        Map<String, Object> run = run(55);
        long tookMillis = (System.nanoTime() - started) / 1_000_000;

        assertThat(run).containsEntry("STATUS", "succeeded");
        assertThat(ITERABLE.members("mixpanel_Patient_55")).containsExactly("a@x.com");
        assertThat(ITERABLE.calls("/api/lists/subscribe")).as("the 429 and its one retry").isEqualTo(2);
        assertThat(tookMillis).as("Retry-After: 1 (the policy alone would retry after 10 ms)").isGreaterThanOrEqualTo(950);
    }

    @Test
    void aRetryAfterLongerThanTheCapWaitsOnlyTheCap() {
        MIXPANEL.cohort(56, "Capped", members("a@x.com"));
        exportRuns.save(56, "one-time", "api");
        ITERABLE.failNext("/api/lists/subscribe", 1, 429, "text/plain", "Rate limit exceeded", Map.of("Retry-After", "3600"));

        long started = System.nanoTime();
        Map<String, Object> run = run(56);
        long tookMillis = (System.nanoTime() - started) / 1_000_000;

        assertThat(run).containsEntry("STATUS", "succeeded");
        assertThat(ITERABLE.members("mixpanel_Capped_56")).containsExactly("a@x.com");
        assertThat(ITERABLE.calls("/api/lists/subscribe")).as("the 429 and one retry: HttpClient's own retries are off")
                .isEqualTo(2);
        assertThat(tookMillis).as("Retry-After: 3600, capped by bridge.exports.max-retry-after=1500ms")
                .isBetween(1400L, 15_000L);
    }

    @Test
    void aBadApiKeyFailsAtOnceWithIterablesMessage() {
        MIXPANEL.cohort(60, "Bad key", members("a@x.com"));
        exportRuns.save(60, "one-time", "api");
        ITERABLE.failNext("/api/lists", 1, 401, "application/json", "{\"msg\":\"Invalid API key\",\"code\":\"BadApiKey\",\"params\":null}");

        Map<String, Object> run = run(60);

        assertThat(run).containsEntry("STATUS", "failed");
        assertThat((String) run.get("ERROR")).contains("Iterable answered 401").contains("Invalid API key");
        assertThat(ITERABLE.calls("/api/lists")).as("no retry storm").isEqualTo(1);
        assertThat(ITERABLE.writeCalls()).isZero();
    }

    @Test
    void aRejectedSubscribeStopsTheRunBeforeTheNextPage() {
        MIXPANEL.cohort(65, "Stops", members("a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com", "f@x.com"));
        exportRuns.save(65, "one-time", "api");
        ITERABLE.failNext("/api/lists/subscribe", 1, 400, "application/json",
                "{\"msg\":\"listId is not a static list\",\"code\":\"BadParams\",\"params\":null}");

        Map<String, Object> run = run(65);

        assertThat(run).containsEntry("STATUS", "failed");
        assertThat((String) run.get("ERROR")).contains("Iterable answered 400").contains("listId is not a static list");
        assertThat(MIXPANEL.calls("/api/query/engage")).as("page 1 filled a batch; no page after the failure").isEqualTo(1);
        assertThat(ITERABLE.writeCalls()).isEqualTo(1);
        assertThat(ITERABLE.members("mixpanel_Stops_65")).isEmpty();
    }

    @Test
    void failedUpdatesAreRecordedPerEmailAndForgottenUsersAreNotFailures() {
        MIXPANEL.cohort(70, "Mixed", members("good@x.com", "broken@", "gone@x.com"));
        exportRuns.save(70, "one-time", "api");
        ITERABLE.forget("gone@x.com");

        Map<String, Object> run = run(70);

        assertThat(run).containsEntry("STATUS", "succeeded").containsEntry("FAILED", 1);
        assertThat(jdbc.queryForList("SELECT email FROM sync_run_failures WHERE run_id = ?", String.class, run.get("ID")))
                .containsExactly("broken@");
        assertThat(ITERABLE.members("mixpanel_Mixed_70")).containsExactly("good@x.com");
    }

    @Test
    void aRunCutOffMidwayIsConvergedByTheNextOne() {
        MIXPANEL.cohort(80, "Cut", members("a@x.com", "b@x.com", "c@x.com", "d@x.com"));
        exportRuns.save(80, "dynamic", "api");
        run(80);
        MIXPANEL.cohort(80, "Cut", members("c@x.com", "d@x.com", "e@x.com", "f@x.com", "g@x.com"));
        ITERABLE.failNext("/api/lists/subscribe", 1, 200, "application/json", "{\"successCount\":0}"); // no-op: lets batch 1 through
        ITERABLE.clearFaults();
        ITERABLE.failNext("/api/lists/unsubscribe", 10, 500, "application/json",
                "{\"msg\":\"Please try again later\",\"code\":\"GenericError\",\"params\":null}");

        Map<String, Object> cut = run(80);
        assertThat(cut).containsEntry("STATUS", "failed");
        assertThat(ITERABLE.members("mixpanel_Cut_80")).as("joiners sent, leavers not yet").contains("e@x.com", "a@x.com");

        ITERABLE.clearFaults();
        Map<String, Object> next = run(80);

        assertThat(next).containsEntry("STATUS", "succeeded").containsEntry("ADDED", 0).containsEntry("REMOVED", 2);
        assertThat(ITERABLE.members("mixpanel_Cut_80"))
                .containsExactlyInAnyOrder("c@x.com", "d@x.com", "e@x.com", "f@x.com", "g@x.com");
    }

    @Test
    void anExportStartedOverHttpRunsAtOnceAndItsRunsAreListed() {
        MIXPANEL.cohort(100, "From the API", members("a@x.com", "b@x.com", "c@x.com"));

        var response = post("/api/exports", "{\"cohortId\":100,\"sync\":\"dynamic\"}", Map.of("Content-Type", "application/json"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        long runId = json(response).get("runId").asLong();
        assertThat(json(response).get("status").asText()).isEqualTo("running");
        await("run " + runId + " ends").atMost(PATIENCE).until(() -> status(runId), not("running"));
        assertThat(status(runId)).isEqualTo("succeeded");
        assertThat(ITERABLE.members("mixpanel_From the API_100")).containsExactlyInAnyOrder("a@x.com", "b@x.com", "c@x.com");

        var runs = json(get("/api/exports/100/runs"));
        assertThat(runs.get(0).get("runId").asLong()).isEqualTo(runId);
        assertThat(runs.get(0).get("added").asInt()).isEqualTo(3);
        assertThat(runs.get(0).get("listName").asText()).isEqualTo("mixpanel_From the API_100");
        var exports = json(get("/api/exports"));
        assertThat(exports.get("enabled").asBoolean()).isTrue();
        assertThat(exports.get("exports").get(0).get("sync").asText()).isEqualTo("dynamic");
        assertThat(exports.get("exports").get(0).get("lastRun").get("status").asText()).isEqualTo("succeeded");
    }

    @Test
    void badExportRequestsAre400WithWhatToFix() {
        Map<String, String> json = Map.of("Content-Type", "application/json");
        assertProblem(post("/api/exports", "{\"cohortId\":1,\"sync\":\"hourly\"}", json), 400, "sync must be one of \"one-time\", \"dynamic\"");
        assertProblem(post("/api/exports", "{\"cohortId\":1,\"sync\":\"dynamic\",\"x\":1}", json), 400, "unknown field 'x'");
        assertProblem(post("/api/exports", "{\"cohortId\":\"abc\",\"sync\":\"dynamic\"}", json), 400,
                "cohortId must be a whole number, got a string");
        assertProblem(post("/api/exports", "{\"sync\":\"dynamic\"}", json), 400, "cohortId is missing");
        assertProblem(post("/api/exports", "{\"cohortId\":0,\"sync\":\"dynamic\"}", json), 400, "cohortId must be a positive number");
        assertProblem(post("/api/exports", "nope", json), 400, "must be JSON");
        assertProblem(get("/api/exports/777/runs"), 404, "cohort 777 is not exported");
        assertProblem(get("/api/exports/abc/runs"), 400, "cohortId must be a number");
        assertThat(count("cohort_exports")).isZero();
    }

    private void assertProblem(java.net.http.HttpResponse<String> response, int status, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(json(response).get("message").asText()).contains(message);
    }

    private String status(long runId) {
        return jdbc.queryForObject("SELECT status FROM sync_runs WHERE id = ?", String.class, runId);
    }

    @Test
    void aSecondRunOfTheSameCohortWhileOneIsGoingIsRecordedAsSkipped() throws Exception {
        MIXPANEL.cohort(90, "Slow", members("a@x.com", "b@x.com", "c@x.com", "d@x.com"));
        exportRuns.save(90, "dynamic", "api");
        MIXPANEL.hold(); // the first run waits on Mixpanel, holding its claim, until the second has been tried
        CompletableFuture<Map<String, Object>> first = CompletableFuture.supplyAsync(() -> run(90));
        await("the first run holds cohort 90").atMost(PATIENCE).until(
                () -> jdbc.queryForObject("SELECT COUNT(*) FROM cohort_exports WHERE cohort_id = 90 AND run_id IS NOT NULL",
                        Integer.class) == 1);

        Map<String, Object> second = run(90);
        MIXPANEL.release();
        first.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        assertThat(second).containsEntry("STATUS", "skipped").containsEntry("ERROR", "a run of this cohort was still going");
        assertThat(jdbc.queryForList("SELECT status FROM sync_runs WHERE cohort_id = 90 ORDER BY id", String.class))
                .containsExactly("succeeded", "skipped");
        assertThat(run(90)).as("once a run has ended, the next one runs").containsEntry("STATUS", "succeeded");
        assertThat(ITERABLE.members("mixpanel_Slow_90")).hasSize(4);
    }
}

package io.bridge.push;

import static io.bridge.support.Waiting.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.exports.ExportRuns;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.mixpanel.MixpanelWebhookProperties;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.MixpanelPushes;
import io.bridge.support.StandIns;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Mixpanel's cohort-sync webhook (push) into the same sync as pull, over HTTP, against the Iterable
 * stand-in: payloads as Mixpanel documents them, what the list holds, the runs and their counts.
 */
class CohortPushTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();
    static final String MIXPANEL_AUTH = MixpanelPushes.TEST_AUTHORIZATION;

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("bridge.exports.retry-delay", () -> "10ms");
        registry.add("bridge.exports.batch-size", () -> "2");
    }

    @Autowired
    ExportRuns exportRuns;
    @Autowired
    MixpanelWebhookProperties mixpanelWebhooks;

    HttpResponse<String> push(String body) {
        return post("/webhooks/mixpanel", body, Map.of("Content-Type", "application/json", "Authorization", MIXPANEL_AUTH));
    }

    void accepted(String body, String action) {
        HttpResponse<String> answer = push(body);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Length")).hasValue(String.valueOf(answer.body().length()));
        assertThat(answer.headers().firstValue("Transfer-Encoding")).isEmpty();
        assertThat(json(answer)).isEqualTo(JSON.createObjectNode().put("action", action).put("status", "success"));
    }

    List<Map<String, Object>> runs(long cohortId) {
        return jdbc.queryForList("SELECT * FROM sync_runs WHERE cohort_id = ? ORDER BY id", cohortId);
    }

    Map<String, Object> awaitRuns(long cohortId, int succeeded) {
        await(succeeded + " succeeded push runs of cohort " + cohortId).atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM sync_runs WHERE cohort_id = ? AND status = 'succeeded'", Integer.class, cohortId) >= succeeded);
        List<Map<String, Object>> runs = runs(cohortId);
        return runs.get(runs.size() - 1);
    }

    @Test
    void aCompleteMembersSessionFillsTheListOnceEvenWithPagesOutOfOrderAndRepeated() {
        String page1 = MixpanelPushes.payload("members", 71, "Push fans", "s1", 1, 3, "ann@x.com", " Bob@X.com ", "");
        String page2 = MixpanelPushes.payload("members", 71, "Push fans", "s1", 2, 3, "cy@x.com", "bob@x.com|bob-again");
        String page3 = MixpanelPushes.payload("members", 71, "Push fans", "s1", 3, 3, "dee@x.com");

        accepted(page3, "members");
        accepted(page2, "members");
        accepted(page2, "members"); // Mixpanel retried a page whose answer it lost
        assertThat(count("push_pages")).as("a page posted twice is kept once").isEqualTo(2);
        assertThat(count("push_page_members")).as("with its members").isEqualTo(2);
        await("the joiners of the pages so far subscribed while the session arrives").atMost(PATIENCE)
                .until(() -> ITERABLE.members("mixpanel_Push fans_71") != null && ITERABLE.members("mixpanel_Push fans_71").size() == 2);

        accepted(page1, "members");
        Map<String, Object> run = awaitRuns(71, 1);

        assertThat(ITERABLE.members("mixpanel_Push fans_71")).as("page 2 came first: its bob@x.com is the one sent, Bob of page 1 a duplicate")
                .containsExactlyInAnyOrder("ann@x.com", "bob@x.com", "cy@x.com", "dee@x.com");
        assertThat(run).containsEntry("RUN_TRIGGER", "push").containsEntry("SYNC_TYPE", "push").containsEntry("COHORT_MEMBERS", 6)
                .containsEntry("WITH_EMAIL", 4).containsEntry("SKIPPED_NO_EMAIL", 1).containsEntry("ADDED", 4)
                .containsEntry("REMOVED", 0).containsEntry("MIXPANEL_CALLS", 0);
        assertThat(runs(71)).as("one run for the session").hasSize(1);
        assertThat(count("push_page_members")).as("the members of applied pages are forgotten").isZero();
        assertThat(ITERABLE.calls("/api/lists/subscribe")).as("4 members in batches of 2: no page applied twice").isEqualTo(2);
        assertThat(jdbc.queryForObject("SELECT sync_type FROM cohort_exports WHERE cohort_id = 71", String.class)).isEqualTo("push");
        assertThat(MIXPANEL.calls("/api/query/engage") + MIXPANEL.calls("/api/query/cohorts/list")).as("push reads nothing from Mixpanel")
                .isZero();

        accepted(page1, "members"); // after the session was applied, too
        assertThat(count("push_pages")).as("known again: not kept twice").isEqualTo(3);
        assertThat(count("push_page_members")).as("a late page of a settled session keeps no members").isZero();
        accepted(MixpanelPushes.payload("members", 71, "Push fans", "s1", 4, 4, "late@x.com"), "members");
        accepted(MixpanelPushes.payload("add_members", 71, "Push fans", "s1-marker", 1, 1, "ann@x.com"), "add_members");
        awaitRuns(71, 2);
        assertThat(runs(71)).as("the page sent again and a late page of the settled session made no run").hasSize(2);
        assertThat(ITERABLE.members("mixpanel_Push fans_71")).doesNotContain("late@x.com");
        assertThat(ITERABLE.calls("/api/lists/subscribe")).as("the add found ann in the list").isEqualTo(2);
    }

    @Test
    void aPageNumberSentAgainWithOtherContentIsRefusedNotSilentlyDropped() {
        String page = MixpanelPushes.payload("members", 81, "Kept", "s7", 1, 2, "ann@x.com");
        accepted(page, "members");
        accepted(page, "members"); // a retry: the same page

        List<String> conflicting = List.of(
                MixpanelPushes.payload("members", 82, "Other cohort", "s7", 1, 2, "victim@x.com"),
                MixpanelPushes.payload("members", 81, "Kept", "s7", 1, 2, "evil@x.com"),
                MixpanelPushes.payload("members", 81, "Kept", "s7", 1, 2, "ann@x.com", "more@x.com"),
                MixpanelPushes.payload("members", 81, "Kept", "s7", 1, 3, "ann@x.com"));
        for (String call : conflicting) {
            HttpResponse<String> answer = push(call);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(409);
            assertThat(json(answer).path("status").asText()).isEqualTo("failure");
            assertThat(json(answer).path("error").path("message").asText()).contains("page 1 of this members session was received "
                    + "before with other content").contains("this one was not stored").contains("mixpanel_session_id");
        }

        assertThat(jdbc.queryForList("SELECT cohort_id FROM push_pages", Long.class)).as("the first page alone is kept").containsExactly(81L);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM rejected_webhooks WHERE source = 'mixpanel' AND http_status = 409",
                Integer.class)).as("every refused call is kept").isEqualTo(conflicting.size());
        assertThat(jdbc.queryForList("SELECT cohort_id FROM cohort_exports", Long.class)).as("a refused page makes no export")
                .containsExactly(81L);
    }

    @Test
    void aNewSessionReplacesTheListAndAnAbandonedOneUnsubscribesNobody() {
        accepted(MixpanelPushes.payload("members", 72, "Churn", "s1", 1, 1, "a@x.com", "b@x.com", "c@x.com"), "members");
        awaitRuns(72, 1);

        accepted(MixpanelPushes.payload("members", 72, "Churn", "s2", 1, 2, "a@x.com"), "members");
        accepted(MixpanelPushes.payload("members", 72, "Churn", "s2", 2, 2, "b@x.com", "d@x.com"), "members");
        Map<String, Object> second = awaitRuns(72, 2);
        assertThat(ITERABLE.members("mixpanel_Churn_72")).containsExactlyInAnyOrder("a@x.com", "b@x.com", "d@x.com");
        assertThat(second).containsEntry("ADDED", 1).containsEntry("REMOVED", 1);
        assertThat(ITERABLE.channelUnsubscribes()).isZero();

        // a session that never completes: d@x.com is missing from its only page, and stays
        accepted(MixpanelPushes.payload("members", 72, "Churn", "s3", 1, 2, "a@x.com", "b@x.com", "f@x.com"), "members");
        accepted(MixpanelPushes.payload("add_members", 72, "Churn", "s4", 1, 1, "e@x.com"), "add_members");
        Map<String, Object> add = awaitRuns(72, 3);
        assertThat(add).containsEntry("ADDED", 1).containsEntry("REMOVED", 0);
        Map<String, Object> abandoned = runs(72).get(2);
        assertThat(abandoned).containsEntry("STATUS", "failed").containsEntry("ADDED", 1).containsEntry("REMOVED", 0);
        assertThat((String) abandoned.get("ERROR")).contains("stopped after 1 of 2 pages").contains("nobody was unsubscribed");
        assertThat(ITERABLE.members("mixpanel_Churn_72")).as("the abandoned session's joiner f is in, nobody left")
                .containsExactlyInAnyOrder("a@x.com", "b@x.com", "d@x.com", "e@x.com", "f@x.com");
    }

    @Test
    void addAndRemoveApplyAtOnceAndARenameGetsAListUnderTheNewName() {
        accepted(MixpanelPushes.payload("add_members", 73, "Diffs", "s1", 1, 1, "a@x.com", "b@x.com", "c@x.com"), "add_members");
        awaitRuns(73, 1);
        accepted(MixpanelPushes.payload("remove_members", 73, "Diffs", "s2", 1, 1, "b@x.com", "zed@x.com", ""), "remove_members");
        Map<String, Object> remove = awaitRuns(73, 2);

        assertThat(ITERABLE.members("mixpanel_Diffs_73")).containsExactlyInAnyOrder("a@x.com", "c@x.com");
        assertThat(remove).containsEntry("REMOVED", 1).containsEntry("ADDED", 0).containsEntry("SKIPPED_NO_EMAIL", 1);

        accepted(MixpanelPushes.payload("members", 73, "Diffs renamed", "s3", 1, 1, "a@x.com", "c@x.com"), "members");
        Map<String, Object> renamed = awaitRuns(73, 3);
        assertThat(renamed).containsEntry("LIST_NAME", "mixpanel_Diffs renamed_73");
        assertThat(ITERABLE.members("mixpanel_Diffs renamed_73")).containsExactlyInAnyOrder("a@x.com", "c@x.com");
    }

    @Test
    void iterableFaultsAreRetriedAndARefusedKeyFailsTheRunWithoutLosingThePages() {
        ITERABLE.failNext("/api/lists/subscribe", 2, 429, "application/json", "{\"msg\":\"Rate limit\",\"code\":\"RateLimitExceeded\"}");
        ITERABLE.failNext("/api/lists/subscribe", 1, 503, "text/html", "<html>service unavailable</html>");
        accepted(MixpanelPushes.payload("members", 74, "Faults", "s1", 1, 1, "a@x.com", "b@x.com", "c@x.com"), "members");
        Map<String, Object> retried = awaitRuns(74, 1);
        assertThat(ITERABLE.members("mixpanel_Faults_74")).containsExactlyInAnyOrder("a@x.com", "b@x.com", "c@x.com");
        assertThat(ITERABLE.calls("/api/lists/subscribe")).as("2 batches, the first tried 4 times (429, 429, 503, accepted)").isEqualTo(5);
        assertThat(retried).containsEntry("ADDED", 3).containsEntry("FAILED", 0);

        ITERABLE.failNext("/api/lists/subscribe", 1, 401, "application/json", "{\"msg\":\"Invalid API key\",\"code\":\"BadApiKey\"}");
        accepted(MixpanelPushes.payload("add_members", 74, "Faults", "s2", 1, 1, "d@x.com"), "add_members");
        await("a failed run, then one that applies the kept page").atMost(PATIENCE)
                .until(() -> ITERABLE.members("mixpanel_Faults_74").contains("d@x.com"));
        awaitRuns(74, 2);
        List<Map<String, Object>> runs = runs(74);
        assertThat(runs).extracting(r -> r.get("STATUS")).containsSubsequence("succeeded", "failed", "succeeded");
        assertThat(runs.stream().filter(r -> "failed".equals(r.get("STATUS"))).findFirst().orElseThrow().get("ERROR").toString())
                .contains("Iterable answered 401");
    }

    @Test
    void badCallsGetMixpanelsFailureAnswerSayingWhatToFixAndAreKept() {
        String good = MixpanelPushes.payload("members", 75, "Bad", "s1", 1, 1, "a@x.com");
        List<Object[]> cases = new ArrayList<>(List.of(
                new Object[] {"not json", 400, "not valid JSON"},
                new Object[] {"[]", 400, "must be a JSON object"},
                new Object[] {good.replace("\"members\",\"parameters\"", "\"replace\",\"parameters\""), 400, "action must be one of"},
                new Object[] {good.replace("\"mixpanel_cohort_id\":\"75\"", "\"mixpanel_cohort_id\":\"x75\""), 400, "mixpanel_cohort_id"},
                new Object[] {good.replace("\"page_count\":1", "\"page_count\":2"), 400, "beyond total_pages"},
                new Object[] {good.replace("\"email\":\"a@x.com\"", "\"email\":7"), 400, "members[0].email must be a string"},
                new Object[] {good.replace("\"mixpanel_project_id\":\"1\"", "\"mixpanel_project_id\":\"999\""), 403, "serves Mixpanel project 1"}));
        for (Object[] c : cases) {
            HttpResponse<String> answer = push((String) c[0]);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(c[1]);
            JsonNode body = json(answer);
            assertThat(body.path("status").asText()).isEqualTo("failure");
            assertThat(body.path("error").path("code").asInt()).isEqualTo(c[1]);
            assertThat(body.path("error").path("message").asText()).contains((String) c[2]);
        }
        HttpResponse<String> text = post("/webhooks/mixpanel", good, Map.of("Content-Type", "text/plain", "Authorization", MIXPANEL_AUTH));
        assertThat(text.statusCode()).isEqualTo(415);
        HttpResponse<String> latin1 = post("/webhooks/mixpanel", good, Map.of("Content-Type", "application/json; charset=iso-8859-1",
                "Authorization", MIXPANEL_AUTH));
        assertThat(latin1.statusCode()).isEqualTo(415);
        assertThat(json(latin1).path("error").path("message").asText()).contains("JSON in UTF-8");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM rejected_webhooks WHERE source = 'mixpanel'", Integer.class))
                .as("every refused call is kept").isEqualTo(cases.size() + 2);
        assertThat(count("push_pages")).isZero();

        exportRuns.save(76, "dynamic", "api");
        HttpResponse<String> pulled = push(MixpanelPushes.payload("members", 76, "Pulled", "s1", 1, 1, "a@x.com"));
        assertThat(pulled.statusCode()).isEqualTo(403);
        assertThat(json(pulled).path("error").path("message").asText()).contains("exported by pull").contains("sync: push");
    }

    @Test
    void aCallOfExactlyItsLimitIsTakenWholeOneByteMoreIs413AndAnEmptyOne400() {
        int limit = mixpanelWebhooks.maxPayloadBytes();
        String good = MixpanelPushes.payload("members", 78, "Limit", "s1", 1, 1, "a@x.com");
        String atLimit = good + " ".repeat(limit - good.length()); // JSON may end in white space

        accepted(atLimit, "members");
        HttpResponse<String> over = push(atLimit + " ");
        HttpResponse<String> empty = push("");

        assertThat(over.statusCode()).as(over.body()).isEqualTo(413);
        assertThat(json(over).path("error").path("message").asText()).contains("larger than " + limit);
        assertThat(empty.statusCode()).as(empty.body()).isEqualTo(400);
        assertThat(json(empty).path("error").path("message").asText()).contains("the body is empty");
        assertThat(count("push_pages")).as("the call at the limit kept as a page").isEqualTo(1);
        assertThat(jdbc.queryForList("SELECT http_status FROM rejected_webhooks WHERE source = 'mixpanel' ORDER BY id", Integer.class))
                .as("both refusals kept").containsExactly(413, 400);
    }

    @Test
    void onlyMixpanelsCredentialsGetInAndNothingIsReadWithoutThem() {
        String good = MixpanelPushes.payload("members", 77, "Auth", "s1", 1, 1, "a@x.com");
        for (String authorization : Arrays.asList(null, basic("test-mixpanel", "wrong"), "Bearer test-webhook-token", ADMIN)) {
            Map<String, String> headers = new java.util.HashMap<>(Map.of("Content-Type", "application/json"));
            if (authorization != null) {
                headers.put("Authorization", authorization);
            }
            HttpResponse<String> answer = post("/webhooks/mixpanel", good, headers);
            assertThat(answer.statusCode()).as(String.valueOf(authorization)).isEqualTo(401);
            assertThat(answer.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"mixpanel-webhooks\"");
            assertThat(json(answer).path("status").asText()).isEqualTo("failure");
            assertThat(json(answer).path("error").path("code").asInt()).isEqualTo(401);
        }
        assertThat(count("push_pages") + count("rejected_webhooks")).as("nothing read, nothing kept").isZero();
    }

    @Test
    void pagesARunOfADeadReplicaHeldAreTakenOverOnceItsClaimLapses() {
        accepted(MixpanelPushes.payload("members", 78, "Orphaned", "s1", 1, 1, "a@x.com", "b@x.com"), "members");
        awaitRuns(78, 1);
        // a replica (another pod name) took the next diff and died: its run stays "running", its claim is not renewed
        jdbc.update("INSERT INTO sync_runs (cohort_id, sync_type, run_trigger, full_refresh, started_at, status, cohort_members, "
                + "with_email, skipped_no_email, added, removed, failed, mixpanel_calls, iterable_calls) VALUES (78, 'push', 'push', "
                + "FALSE, ?, 'running', 0, 0, 0, 0, 0, 0, 0, 0)", java.sql.Timestamp.from(java.time.Instant.now().minusSeconds(600)));
        long dead = jdbc.queryForObject("SELECT MAX(id) FROM sync_runs WHERE cohort_id = 78", Long.class);
        jdbc.update("UPDATE cohort_exports SET run_id = ?, run_owner = 'bridge-gone-0', run_heartbeat = ? WHERE cohort_id = 78", dead,
                java.sql.Timestamp.from(java.time.Instant.now().minusSeconds(600)));
        // as a page was kept before V12 (members in push_pages itself): still read
        jdbc.update("INSERT INTO push_pages (session_id, action, page, total_pages, cohort_id, cohort_name, received_at, member_count, "
                + "members, run_id) VALUES ('s2', 'add_members', 1, 1, 78, 'Orphaned', ?, 1, '[[\"d-c\",\"c@x.com\"]]', ?)",
                java.sql.Timestamp.from(java.time.Instant.now().minusSeconds(600)), dead);

        await("the orphaned page applied").atMost(PATIENCE).until(() -> ITERABLE.members("mixpanel_Orphaned_78").contains("c@x.com"));
        awaitRuns(78, 2);
        assertThat(jdbc.queryForObject("SELECT status FROM sync_runs WHERE id = ?", String.class, dead)).isEqualTo("interrupted");
    }

    @Test
    void diffsWithoutPageInfoAreEachAppliedAndARetriedOneOnce() {
        String add1 = MixpanelPushes.payload("add_members", 79, "No pages", "s1", 1, 1, "a@x.com").replace(",\"page_info\":{\"total_pages\":1,\"page_count\":1}", "");
        String add2 = MixpanelPushes.payload("add_members", 79, "No pages", "s1", 1, 1, "b@x.com").replace(",\"page_info\":{\"total_pages\":1,\"page_count\":1}", "");
        assertThat(add1).doesNotContain("page_info");
        accepted(add1, "add_members");
        accepted(add2, "add_members");
        accepted(add1, "add_members"); // Mixpanel retried it
        assertThat(count("push_pages")).isEqualTo(2);
        await("both diffs applied").atMost(PATIENCE).until(() -> ITERABLE.members("mixpanel_No pages_79") != null
                && ITERABLE.members("mixpanel_No pages_79").size() == 2);
        assertThat(ITERABLE.members("mixpanel_No pages_79")).containsExactlyInAnyOrder("a@x.com", "b@x.com");
    }
}

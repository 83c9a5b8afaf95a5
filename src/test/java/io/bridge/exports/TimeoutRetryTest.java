package io.bridge.exports;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.StandIns;
import java.util.List;
import java.util.Map;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * An Iterable slower than {@code bridge.iterable.response-timeout-ms}: the call is retried after a
 * backoff, by the route's policy alone (HttpClient's own retries are off), and a call that Iterable
 * applies after the bridge gave up on it is converged by the next run, whichever way it changed the
 * list, and one it never applied is sent again: the bridge writes each batch down as in flight before
 * the call.
 */
class TimeoutRetryTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();
    static final long TIMEOUT_MS = 1000;
    static final long RETRY_DELAY_MS = 400;
    static final String SUBSCRIBE = "/api/lists/subscribe";
    static final String UNSUBSCRIBE = "/api/lists/unsubscribe";

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("bridge.mixpanel.queries-per-hour", () -> "100000");
        registry.add("bridge.iterable.response-timeout-ms", () -> String.valueOf(TIMEOUT_MS));
        registry.add("bridge.exports.retry-delay", () -> RETRY_DELAY_MS + "ms");
        registry.add("bridge.exports.retries", () -> "2");
        registry.add("bridge.exports.batch-size", () -> "2");
    }

    @Autowired
    ProducerTemplate camel;
    @Autowired
    ExportRuns exportRuns;

    /** A slow call is applied late, after the bridge gave up on it: no test leaves one behind for the next. */
    @AfterEach
    void slowCallsApplied() {
        await("slow calls applied").atMost(PATIENCE).until(() -> ITERABLE.callsInFlight() == 0);
    }

    Map<String, Object> run(long cohortId) {
        camel.sendBodyAndHeaders("direct:export-cohort", null, Map.of("cohortId", cohortId, "trigger", "api"));
        return jdbc.queryForMap("SELECT * FROM sync_runs WHERE cohort_id = ? ORDER BY id DESC FETCH FIRST 1 ROWS ONLY", cohortId);
    }

    @Test
    void aCallSlowerThanTheResponseTimeoutIsRetriedOnceAfterABackoff() {
        MIXPANEL.cohort(80, "Slow", members("a@x.com", "b@x.com"));
        exportRuns.save(80, "one-time", "api");
        ITERABLE.slowNext(SUBSCRIBE, 1, 3 * TIMEOUT_MS);

        Map<String, Object> run = run(80);

        assertThat(run).containsEntry("STATUS", "succeeded").containsEntry("ADDED", 2);
        assertThat(ITERABLE.members("mixpanel_Slow_80")).containsExactlyInAnyOrder("a@x.com", "b@x.com");
        List<Long> calls = ITERABLE.arrivals(SUBSCRIBE);
        assertThat(calls).as("the call that timed out and one retry: HttpClient's own retries are off").hasSize(2);
        long apartMs = (calls.get(1) - calls.get(0)) / 1_000_000;
        assertThat(apartMs).as("the timeout, then the first backoff (400 ms, jitter 15%)")
                .isGreaterThanOrEqualTo(TIMEOUT_MS + RETRY_DELAY_MS * 85 / 100)
                .isLessThan(TIMEOUT_MS + 10_000);
    }

    @Test
    void aSubscribeIterableAppliedAfterTheLastRetryIsUndoneWhenItsMemberLeaves() {
        MIXPANEL.cohort(81, "Late join", members("a@x.com", "b@x.com"));
        exportRuns.save(81, "dynamic", "api");
        ITERABLE.slowNext(SUBSCRIBE, 3, 2 * TIMEOUT_MS); // the call and both retries time out

        Map<String, Object> gaveUp = run(81);
        assertThat(gaveUp).containsEntry("STATUS", "failed");
        assertThat((String) gaveUp.get("ERROR")).containsIgnoringCase("timed out");
        await("Iterable applies the calls the bridge gave up on").atMost(PATIENCE)
                .until(() -> ITERABLE.members("mixpanel_Late join_81").size() == 2);

        MIXPANEL.cohort(81, "Late join", members("a@x.com"));
        Map<String, Object> next = run(81);

        assertThat(next).containsEntry("STATUS", "succeeded").containsEntry("REMOVED", 1);
        assertThat(ITERABLE.members("mixpanel_Late join_81")).containsExactly("a@x.com");
        assertThat(jdbc.queryForList("SELECT email_key FROM list_members m WHERE NOT EXISTS "
                + "(SELECT 1 FROM list_pending p WHERE p.list_id = m.list_id AND p.email_key = m.email_key)", String.class))
                .containsExactly("a@x.com");
    }

    @Test
    void anUnsubscribeIterableAppliedAfterTheLastRetryIsUndoneWhenItsMemberReturns() {
        MIXPANEL.cohort(82, "Late leave", members("a@x.com", "b@x.com"));
        exportRuns.save(82, "dynamic", "api");
        assertThat(run(82)).containsEntry("STATUS", "succeeded");
        MIXPANEL.cohort(82, "Late leave", members("a@x.com"));
        ITERABLE.slowNext(UNSUBSCRIBE, 3, 2 * TIMEOUT_MS);

        assertThat(run(82)).containsEntry("STATUS", "failed");
        await("Iterable applies the calls the bridge gave up on").atMost(PATIENCE)
                .until(() -> ITERABLE.members("mixpanel_Late leave_82").size() == 1);

        MIXPANEL.cohort(82, "Late leave", members("a@x.com", "b@x.com"));
        Map<String, Object> next = run(82);

        assertThat(next).containsEntry("STATUS", "succeeded").containsEntry("ADDED", 1);
        assertThat(ITERABLE.members("mixpanel_Late leave_82")).containsExactlyInAnyOrder("a@x.com", "b@x.com");
    }

    @Test
    void aSubscribeIterableNeverAppliedIsSentAgainByTheNextRun() {
        MIXPANEL.cohort(83, "Never applied", members("a@x.com"));
        exportRuns.save(83, "dynamic", "api");
        assertThat(run(83)).containsEntry("STATUS", "succeeded");
        MIXPANEL.cohort(83, "Never applied", members("a@x.com", "b@x.com"));
        ITERABLE.failNext(SUBSCRIBE, 3, 503, "application/json", "{\"msg\":\"down\",\"code\":\"GenericError\",\"params\":null}");

        assertThat(run(83)).containsEntry("STATUS", "failed");
        assertThat(ITERABLE.members("mixpanel_Never applied_83")).containsExactly("a@x.com");

        Map<String, Object> next = run(83);

        assertThat(next).containsEntry("STATUS", "succeeded").containsEntry("ADDED", 1);
        assertThat(ITERABLE.members("mixpanel_Never applied_83")).containsExactlyInAnyOrder("a@x.com", "b@x.com");
    }
}

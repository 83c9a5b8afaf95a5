package io.bridge.exports;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.fakes.FakeMixpanel.Member;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.ExportTables;
import io.bridge.support.StandIns;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The bundle as configured by default (Mixpanel's budget of 60 queries an hour and 5 at once,
 * Iterable batches of 1,000) against stand-ins with the real limits: it never breaks one. Like
 * every test, each ends with StandInsCheck asserting the stand-ins saw no protocol violation (a
 * 429 from the Mixpanel stand-in, a batch of 1,001, ...).
 */
class RealLimitsTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel().limits(FakeMixpanel.QUERIES_PER_HOUR, FakeMixpanel.MAX_CONCURRENT);
    static final FakeIterable ITERABLE = StandIns.iterable();

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        // the defaults of application.yaml, which application-test.yaml raises for the other tests
        registry.add("bridge.mixpanel.queries-per-hour", () -> "60");
        registry.add("bridge.mixpanel.max-concurrent", () -> "5");
        registry.add("bridge.exports.batch-size", () -> "1000");
        registry.add("bridge.exports.retries", () -> "1");
        registry.add("bridge.exports.retry-delay", () -> "10ms");
    }

    @Autowired
    ProducerTemplate camel;
    @Autowired
    ExportRuns exportRuns;

    @BeforeEach
    void cleanExports() {
        ExportTables.empty(jdbc); // the bundle's hour of queries
        MIXPANEL.resetHour(); // the stand-in's
        MIXPANEL.pageSize(1000);
        MIXPANEL.delay(0);
        MIXPANEL.resetCalls();
        ITERABLE.resetCalls();
    }

    Map<String, Object> run(long cohortId) {
        camel.sendBodyAndHeaders("direct:export-cohort", null, Map.of("cohortId", cohortId, "trigger", "api"));
        return jdbc.queryForMap("SELECT * FROM sync_runs WHERE cohort_id = ? ORDER BY id DESC FETCH FIRST 1 ROWS ONLY", cohortId);
    }

    static List<Member> cohort(int size, String domain) {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            members.add(new Member("d" + i, "user" + i + "@" + domain));
        }
        return members;
    }

    @Test
    void aThousandAndOneMembersGoToIterableInTwoCallsOfAtMostAThousand() {
        MIXPANEL.cohort(1, "Big", cohort(1001, "x.com"));
        exportRuns.save(1, "dynamic", "api");

        assertThat(run(1)).containsEntry("STATUS", "succeeded").containsEntry("ADDED", 1001);
        assertThat(ITERABLE.calls("/api/lists/subscribe")).isEqualTo(2);
        assertThat(ITERABLE.members("mixpanel_Big_1")).hasSize(1001);

        MIXPANEL.cohort(1, "Big", List.of());
        assertThat(run(1)).containsEntry("STATUS", "succeeded").containsEntry("REMOVED", 1001);
        assertThat(ITERABLE.calls("/api/lists/unsubscribe")).as("1001 leavers in two calls").isEqualTo(2);
        assertThat(ITERABLE.members("mixpanel_Big_1")).isEmpty();
    }

    @Test
    void theBudgetStopsARunBeforeMixpanelsSixtyFirstQueryOfTheHour() {
        MIXPANEL.pageSize(1); // 70 members take 71 pages; the budget counted on pages of 1,000
        MIXPANEL.cohort(2, "Long", cohort(70, "y.com"));
        exportRuns.save(2, "dynamic", "api");

        Map<String, Object> run = run(2);

        assertThat(run).containsEntry("STATUS", "failed");
        assertThat((String) run.get("ERROR")).contains("queries-per-hour");
        assertThat(MIXPANEL.calls("/api/query/cohorts/list") + MIXPANEL.calls("/api/query/engage")).isEqualTo(60);
    }

    @Test
    void aRetriedQueryCountsAgainstTheHour() { // failed before onRedeliveryRef: mixpanelRetryBudget (62 queries)
        MIXPANEL.pageSize(1); // 58 members: cohorts/list and 59 pages, the hour's 60 queries
        MIXPANEL.cohort(3, "Retried", cohort(58, "z.com"));
        exportRuns.save(3, "dynamic", "api");
        MIXPANEL.failNext("/api/query/engage", 1, 502, "text/html", "<html>Bad Gateway</html>");

        Map<String, Object> run = run(3);

        assertThat(MIXPANEL.calls("/api/query/cohorts/list") + MIXPANEL.calls("/api/query/engage"))
                .as("the retry is a query too: the budget stops the run at the hour's 60th").isLessThanOrEqualTo(60);
        assertThat(run).containsEntry("STATUS", "failed");
    }

    @Test
    void runsOfSevenCohortsAtOnceKeepToFiveMixpanelQueriesAtOnce() {
        for (long id = 11; id <= 17; id++) {
            MIXPANEL.cohort(id, "Seven " + id, cohort(3, id + ".example"));
            exportRuns.save(id, "one-time", "api");
        }
        MIXPANEL.delay(300);
        AtomicLong next = new AtomicLong(11);

        List<Map<String, Object>> runs = io.bridge.support.Concurrently.run(7, () -> run(next.getAndIncrement()));

        assertThat(runs).allSatisfy(r -> assertThat(r).containsEntry("STATUS", "succeeded"));
        assertThat(MIXPANEL.peakConcurrentCalls()).as("Mixpanel queries in flight at once").isBetween(2, 5);
    }
}

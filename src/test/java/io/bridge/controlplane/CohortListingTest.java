package io.bridge.controlplane;

import static io.bridge.controlplane.IntegrationApiTest.assertProblem;
import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;
import static io.bridge.support.Waiting.await;
import static org.hamcrest.Matchers.is;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.mixpanel.MixpanelCohorts;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.StandIns;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.util.ReflectionTestUtils;

/**
 * GET /api/cohorts spends Mixpanel's hourly query budget only when its cached listing is stale, and
 * never the part of the budget reserved for syncs: people refreshing a page cannot starve syncs.
 */
class CohortListingTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();
    static final String LISTING = "/api/query/cohorts/list";

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        // 10 queries an hour, 6 of them kept for syncs: the control plane may spend 4
        registry.add("bridge.mixpanel.queries-per-hour", () -> "10");
        registry.add("bridge.mixpanel.reserved-for-syncs", () -> "6");
        registry.add("bridge.mixpanel.cohorts-cache-ttl", () -> "60s");
    }

    @Autowired
    MixpanelCohorts cohorts;

    /** One story: the budget is the context's, spent in this order. */
    @Test
    void refreshingTheCohortPageSpendsOneQueryAMinuteAndNeverTheSyncsReserve() {
        MIXPANEL.cohort(71, "Power users", members("a@x.com", "b@x.com"));
        MIXPANEL.resetCalls();

        // a VIEWER refreshing the page 30 times: one query (1 of 10 spent)
        List<HttpResponse<String>> pages = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            pages.add(request("GET", "/api/cohorts", null, Map.of("Authorization", VIEWER)));
        }
        for (HttpResponse<String> page : pages) {
            assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
            assertThat(page.body()).isEqualTo(pages.get(0).body());
        }
        assertThat(json(pages.get(0)).get(0).get("name").asText()).isEqualTo("Power users");
        assertThat(MIXPANEL.calls(LISTING)).isEqualTo(1);

        // exporting a cohort the cached listing lacks reads the listing again (2), the run reads
        // the listing and one page (4): the control plane's share is spent
        MIXPANEL.cohort(72, "New", members("c@x.com"));
        HttpResponse<String> created = post("/api/exports", "{\"cohortId\":72,\"sync\":\"one-time\"}",
                Map.of("Content-Type", "application/json"));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
        awaitRunsOf(72, 1);
        assertThat(MIXPANEL.calls(LISTING)).isEqualTo(3);
        assertThat(MIXPANEL.calls("/api/query/engage")).isEqualTo(1);

        // another new cohort: the listing would need a query of the syncs' reserve -> 429, nothing spent
        MIXPANEL.cohort(73, "Newer", members("d@x.com"));
        HttpResponse<String> refused = post("/api/exports", "{\"cohortId\":73,\"sync\":\"one-time\"}",
                Map.of("Content-Type", "application/json"));
        assertProblem(refused, 429, "reserved for syncs");
        assertThat(json(refused).get("error").asText()).isEqualTo("mixpanel_budget");
        assertThat(jdbc.queryForList("SELECT cohort_id FROM cohort_exports", Long.class)).containsExactly(72L);
        assertThat(MIXPANEL.calls(LISTING)).isEqualTo(3);

        // a minute later the cached listing is stale, but the budget left is the syncs': the page
        // still shows the last listing, and says how old it is
        ReflectionTestUtils.setField(cohorts, "clock", Clock.offset(Clock.systemUTC(), Duration.ofSeconds(61)));
        try {
            HttpResponse<String> stale = request("GET", "/api/cohorts", null, Map.of("Authorization", VIEWER));
            assertThat(stale.statusCode()).as(stale.body()).isEqualTo(200);
            JsonNode listing = json(stale);
            assertThat(listing).extracting(c -> c.get("id").asLong()).containsExactlyInAnyOrder(71L, 72L);
            assertThat(Long.parseLong(stale.headers().firstValue("Age").orElseThrow())).isGreaterThanOrEqualTo(61);
            assertThat(MIXPANEL.calls(LISTING)).isEqualTo(3);
        } finally {
            ReflectionTestUtils.setField(cohorts, "clock", Clock.systemUTC());
        }

        // and syncs still run on the reserve (6 of 10 spent)
        HttpResponse<String> run = post("/api/exports/72/run", "", Map.of());
        assertThat(run.statusCode()).as(run.body()).isEqualTo(202);
        awaitRunsOf(72, 2);
        assertThat(jdbc.queryForList("SELECT status FROM sync_runs WHERE cohort_id = 72", String.class))
                .containsExactly("succeeded", "succeeded");
        assertThat(MIXPANEL.calls("/api/query/engage")).isEqualTo(2);
    }

    private void awaitRunsOf(long cohortId, int ended) {
        await(ended + " ended runs of cohort " + cohortId).atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM sync_runs WHERE cohort_id = ? AND status <> 'running'", Integer.class, cohortId), is(ended));
    }
}

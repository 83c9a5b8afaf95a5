package io.bridge.exports;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;
import static io.bridge.support.Waiting.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;

import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.StandIns;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Dynamic syncs fired by Quartz itself (a 2-second cron here, 15 minutes by default). The context
 * closes after the class: its scheduler would otherwise keep firing on a database shared with later
 * tests (PostgreSQL).
 */
@DirtiesContext
class DynamicSyncScheduleTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("bridge.exports.dynamic-cron", () -> "0/2 * * * * ?");
        // as if the bridge's environment held the key (apiKeyRef names only ITERABLE_API_KEY[_*])
        registry.add("ITERABLE_API_KEY_SCHEDULE_TEST", () -> StandIns.API_KEY);
    }

    @Autowired
    ExportRuns exportRuns;

    /** The 2-second cron keeps firing: nothing may be due once the test is over (the next one starts from empty tables). */
    @AfterEach
    void stopTheExports() {
        jdbc.update("UPDATE cohort_exports SET stopped_at = CURRENT_TIMESTAMP");
    }

    @Test
    void quartzRunsEachDynamicExportAndTheListFollowsTheCohort() {
        MIXPANEL.cohort(5, "Scheduled", members("a@x.com", "b@x.com"));
        exportRuns.save(5, "dynamic", "api");

        awaitList("mixpanel_Scheduled_5", Set.of("a@x.com", "b@x.com"));
        MIXPANEL.cohort(5, "Scheduled", members("b@x.com", "c@x.com"));
        awaitList("mixpanel_Scheduled_5", Set.of("b@x.com", "c@x.com"));

        List<String> triggers = jdbc.queryForList("SELECT DISTINCT run_trigger FROM sync_runs WHERE cohort_id = 5", String.class);
        assertThat(triggers).containsExactly("schedule");
        // the list changes before the run that changed it has ended
        await("two scheduled runs of cohort 5 succeed").atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM sync_runs WHERE cohort_id = 5 AND status = 'succeeded'", Integer.class), greaterThanOrEqualTo(2));
    }

    @Test
    void disconnectingIterableStopsTheScheduledSyncsAndConnectingResumesThem() {
        MIXPANEL.cohort(6, "Paused", members("a@x.com"));
        exportRuns.save(6, "dynamic", "api");
        awaitList("mixpanel_Paused_6", Set.of("a@x.com"));

        assertThat(request("DELETE", "/api/integration", null, Map.of()).statusCode()).isEqualTo(200);
        await("a run in flight ends").atMost(PATIENCE).until(
                () -> running(6) == 0 && camelContext.getInflightRepository().size("cohort-export-schedule") == 0);
        int runsWhenDisconnected = runs(6);
        MIXPANEL.cohort(6, "Paused", members("a@x.com", "b@x.com"));
        // Quartz fires twice more (the second fire began after the first ended, so after the disconnect)
        NotifyBuilder fires = new NotifyBuilder(camelContext).fromRoute("cohort-export-schedule").whenCompleted(2).create();
        assertThat(fires.matches(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("the 2-second cron fired twice").isTrue();

        assertThat(runs(6)).as("no scheduled run while disconnected").isEqualTo(runsWhenDisconnected);
        assertThat(ITERABLE.members("mixpanel_Paused_6")).containsExactly("a@x.com");

        assertThat(request("PUT", "/api/integration", "{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY_SCHEDULE_TEST\"}",
                Map.of("Content-Type", "application/json")).statusCode()).isEqualTo(200);
        awaitList("mixpanel_Paused_6", Set.of("a@x.com", "b@x.com"));
    }

    private int runs(long cohortId) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM sync_runs WHERE cohort_id = ?", Integer.class, cohortId);
    }

    private int running(long cohortId) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM sync_runs WHERE cohort_id = ? AND status = 'running'", Integer.class, cohortId);
    }

    private void awaitList(String name, Set<String> expected) {
        await("list " + name + " holds " + expected).atMost(PATIENCE).until(() -> ITERABLE.members(name), equalTo(expected));
    }
}

package io.bridge.exports;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.StandIns;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
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

    @AfterAll
    static void stopFakes() {
        MIXPANEL.close();
        ITERABLE.close();
    }

    @Test
    void quartzRunsEachDynamicExportAndTheListFollowsTheCohort() throws Exception {
        MIXPANEL.cohort(5, "Scheduled", members("a@x.com", "b@x.com"));
        exportRuns.save(5, "dynamic", "api");

        awaitList("mixpanel_Scheduled_5", Set.of("a@x.com", "b@x.com"));
        MIXPANEL.cohort(5, "Scheduled", members("b@x.com", "c@x.com"));
        awaitList("mixpanel_Scheduled_5", Set.of("b@x.com", "c@x.com"));

        List<String> triggers = jdbc.queryForList("SELECT DISTINCT run_trigger FROM sync_runs WHERE cohort_id = 5", String.class);
        assertThat(triggers).containsExactly("schedule");
        Supplier<Integer> succeeded = () -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM sync_runs WHERE cohort_id = 5 AND status = 'succeeded'", Integer.class);
        for (int i = 0; i < 50 && succeeded.get() < 2; i++) {
            Thread.sleep(100); // the list changes before the run that changed it has ended
        }
        assertThat(succeeded.get()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void disconnectingIterableStopsTheScheduledSyncsAndConnectingResumesThem() throws Exception {
        MIXPANEL.cohort(6, "Paused", members("a@x.com"));
        exportRuns.save(6, "dynamic", "api");
        awaitList("mixpanel_Paused_6", Set.of("a@x.com"));

        assertThat(request("DELETE", "/api/integration", null, Map.of()).statusCode()).isEqualTo(200);
        Thread.sleep(2500); // a run in flight ends
        int runsWhenDisconnected = runs(6);
        MIXPANEL.cohort(6, "Paused", members("a@x.com", "b@x.com"));
        Thread.sleep(5000); // two and a half periods of the 2-second cron

        assertThat(runs(6)).as("no scheduled run while disconnected").isEqualTo(runsWhenDisconnected);
        assertThat(ITERABLE.members("mixpanel_Paused_6")).containsExactly("a@x.com");

        assertThat(request("PUT", "/api/integration", "{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY_SCHEDULE_TEST\"}",
                Map.of("Content-Type", "application/json")).statusCode()).isEqualTo(200);
        awaitList("mixpanel_Paused_6", Set.of("a@x.com", "b@x.com"));
        jdbc.update("DELETE FROM iterable_connection");
    }

    private int runs(long cohortId) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM sync_runs WHERE cohort_id = ?", Integer.class, cohortId);
    }

    private void awaitList(String name, Set<String> expected) throws InterruptedException {
        Supplier<Set<String>> members = () -> ITERABLE.members(name);
        for (int i = 0; i < 100 && !expected.equals(members.get()); i++) {
            Thread.sleep(100);
        }
        assertThat(members.get()).isEqualTo(expected);
    }
}

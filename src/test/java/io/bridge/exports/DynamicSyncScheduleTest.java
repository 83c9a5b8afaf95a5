package io.bridge.exports;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.StandIns;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Dynamic syncs fired by Quartz itself (a 2-second cron here, 15 minutes by default). */
class DynamicSyncScheduleTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("bridge.exports.dynamic-cron", () -> "0/2 * * * * ?");
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
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM sync_runs WHERE cohort_id = 5 AND status = 'succeeded'", Integer.class))
                .isGreaterThanOrEqualTo(2);
    }

    private void awaitList(String name, Set<String> expected) throws InterruptedException {
        Supplier<Set<String>> members = () -> ITERABLE.members(name);
        for (int i = 0; i < 100 && !expected.equals(members.get()); i++) {
            Thread.sleep(100);
        }
        assertThat(members.get()).isEqualTo(expected);
    }
}

package io.bridge.cluster;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;
import static io.bridge.support.Waiting.await;

import io.bridge.DbTimestamps;
import io.bridge.exports.ExportRuns;
import io.bridge.BridgeApplication;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeTables;
import io.bridge.support.Postgres;
import io.bridge.support.StandIns;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Two instances of the bundle on one PostgreSQL database, one Quartz cluster, a 2-second cron:
 * each dynamic sync runs exactly once per period, and when an instance stops mid-run, the other
 * converges the list (a replica that dies and leaves its claim behind: {@link ReplicaKillTest}).
 * Needs PostgreSQL: tagged "postgresql", run by .ci/run's PostgreSQL pass
 * (SPRING_DATASOURCE_URL=jdbc:postgresql://...; mvn test -Dexcluded.groups=none).
 */
@Tag("postgresql")
class ClusterTest {

    final FakeMixpanel mixpanel = StandIns.mixpanel();
    final FakeIterable iterable = StandIns.iterable();
    final String cluster = "cluster-test-" + UUID.randomUUID();
    final Map<String, ConfigurableApplicationContext> instances = new HashMap<>();
    JdbcTemplate jdbc;

    @BeforeEach
    void twoInstances() {
        instances.put("A", start("A"));
        instances.put("B", start("B"));
        // the test's own connection: it outlives either instance
        jdbc = Postgres.jdbc(getClass());
        BridgeTables.empty(jdbc);
    }

    @AfterEach
    void stop() {
        jdbc.update("DELETE FROM cohort_exports"); // nothing left for another context's scheduler
        instances.values().forEach(ConfigurableApplicationContext::close);
        mixpanel.close();
        iterable.close();
    }

    @Test
    void eachDynamicSyncRunsExactlyOncePerPeriodAcrossTheCluster() throws Exception {
        mixpanel.cohort(81, "Eighty-one", members("a@x.com", "b@x.com"));
        mixpanel.cohort(82, "Eighty-two", members("c@x.com", "d@x.com", "e@x.com"));
        exportRuns().save(81, "dynamic", "api");
        exportRuns().save(82, "dynamic", "api");

        // four fires of the 2-second cron, each seen by both instances
        await("four scheduled runs of each cohort end").atMost(Duration.ofSeconds(60)).until(
                () -> ended(81) >= 4 && ended(82) >= 4);

        for (long cohort : List.of(81L, 82L)) {
            List<Map<String, Object>> runs = jdbc.queryForList(
                    "SELECT status, started_at FROM sync_runs WHERE cohort_id = ? ORDER BY id", cohort);
            assertThat(runs).as("cohort %d ran on every fire, and only then", cohort).hasSizeBetween(4, 6);
            assertThat(runs).as("no fire ran twice (a second run would be skipped)")
                    .allSatisfy(run -> assertThat(run.get("status")).isIn("succeeded", "running"));
            Set<Long> periods = new HashSet<>();
            for (Map<String, Object> run : runs) {
                long period = DbTimestamps.toInstant(run.get("started_at")).getEpochSecond() / 2;
                assertThat(periods.add(period)).as("one run of cohort %d in period %d", cohort, period).isTrue();
            }
        }
        assertThat(iterable.members("mixpanel_Eighty-one_81")).containsExactlyInAnyOrder("a@x.com", "b@x.com");
        assertThat(iterable.members("mixpanel_Eighty-two_82")).containsExactlyInAnyOrder("c@x.com", "d@x.com", "e@x.com");
        assertThat(iterable.calls("/api/lists/subscribe")).as("1 + 2 batches of 2, never again").isEqualTo(3);
        assertThat(iterable.calls("/api/lists/unsubscribe")).isZero();
    }

    @Test
    void whenTheInstanceRunningASyncStopsTheOtherConvergesTheList() throws Exception {
        List<String> emails = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            emails.add("member" + i + "@x.com");
        }
        mixpanel.cohort(83, "Big", members(emails.toArray(String[]::new)));
        iterable.delay(150); // 20 batches: a run takes about 3 s
        exportRuns().save(83, "dynamic", "api");

        waitUntil(() -> owner(83) != null, "a run of cohort 83 starts");
        String owner = owner(83);
        instances.remove(owner).close(); // stops between two batches

        assertThat(jdbc.queryForObject("SELECT status FROM sync_runs WHERE cohort_id = 83 ORDER BY id FETCH FIRST 1 ROWS ONLY",
                String.class)).isEqualTo("interrupted");
        iterable.delay(0);
        waitUntil(() -> jdbc.queryForList("SELECT status FROM sync_runs WHERE cohort_id = 83", String.class).contains("succeeded"),
                "a run on the other instance succeeds");
        assertThat(iterable.members("mixpanel_Big_83")).containsExactlyInAnyOrderElementsOf(emails);
    }

    private ConfigurableApplicationContext start(String instance) {
        Postgres.url(getClass()); // fails at once, saying what to set, without PostgreSQL
        return new SpringApplicationBuilder(BridgeApplication.class).profiles("test").run(
                "--spring.config.location=file:./application.yaml,classpath:/", "--server.port=0",
                "--spring.quartz.scheduler-name=" + cluster, "--camel.main.name=" + cluster, "--camel.main.jmx-enabled=false",
                "--bridge.instance-id=" + instance, "--bridge.exports.dynamic-cron=0/2 * * * * ?", "--bridge.exports.run-lease=3s",
                "--bridge.exports.batch-size=2", "--bridge.mixpanel.queries-per-hour=100000",
                "--bridge.mixpanel.base-url=" + mixpanel.baseUrl(), "--bridge.mixpanel.project-id=" + StandIns.PROJECT,
                "--bridge.mixpanel.username=" + StandIns.USER, "--bridge.mixpanel.secret=" + StandIns.SECRET,
                "--bridge.iterable.base-url=" + iterable.baseUrl(), "--bridge.iterable.api-key=" + StandIns.API_KEY);
    }

    private ExportRuns exportRuns() {
        return instances.values().iterator().next().getBean(ExportRuns.class);
    }

    private String owner(long cohortId) {
        return jdbc.queryForObject("SELECT run_owner FROM cohort_exports WHERE cohort_id = ?", String.class, cohortId);
    }

    private static int size(Set<String> list) {
        return list == null ? 0 : list.size();
    }

    private int ended(long cohortId) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM sync_runs WHERE cohort_id = ? AND status <> 'running'", Integer.class, cohortId);
    }

    private static void waitUntil(BooleanSupplier condition, String what) {
        await(what).atMost(Duration.ofSeconds(30)).until(condition::getAsBoolean);
    }
}

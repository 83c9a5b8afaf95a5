package io.bridge.cluster;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.BridgeApplication;
import io.bridge.exports.ExportRuns;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeTables;
import io.bridge.support.Concurrently;
import io.bridge.support.Postgres;
import io.bridge.support.StandIns;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Mixpanel's limits (queries per hour, queries at once) are per project, not per replica: two
 * instances of the bundle on one PostgreSQL database, exporting six cohorts at once (three on each),
 * never make more queries, nor more at once, than one project may. The stand-in counts the calls
 * it gets and the most it answered at once. Needs PostgreSQL: tagged "postgresql", run by .ci/run's
 * PostgreSQL pass (SPRING_DATASOURCE_URL=jdbc:postgresql://...; mvn test -Dexcluded.groups=none).
 */
@Tag("postgresql")
class SharedMixpanelBudgetTest {

    static final List<Long> ON_A = List.of(91L, 92L, 93L);
    static final List<Long> ON_B = List.of(94L, 95L, 96L);

    final FakeMixpanel mixpanel = StandIns.mixpanel();
    final FakeIterable iterable = StandIns.iterable();
    final String cluster = "budget-test-" + UUID.randomUUID();
    final List<ConfigurableApplicationContext> instances = new ArrayList<>();
    JdbcTemplate jdbc;

    @AfterEach
    void stop() {
        instances.forEach(ConfigurableApplicationContext::close);
        if (jdbc != null) {
            BridgeTables.empty(jdbc);
        }
        mixpanel.close();
        iterable.close();
    }

    @Test
    void twoReplicasTogetherSpendOneHourlyBudget() {
        twoInstances("--bridge.mixpanel.queries-per-hour=5", "--bridge.mixpanel.reserved-for-syncs=0");

        List<Map<String, Object>> runs = exportAllAtOnce();

        // six runs want two queries each (the cohort listing, one page); the project has five an hour
        int queries = mixpanel.calls("/api/query/cohorts/list") + mixpanel.calls("/api/query/engage");
        assertThat(queries).as("Mixpanel queries of both replicas together").isEqualTo(5);
        assertThat(mixpanel.calls("/api/query/engage")).isLessThanOrEqualTo(5);
        assertThat(runs.stream().mapToInt(run -> ((Number) run.get("mixpanel_calls")).intValue()).sum())
                .as("the queries the runs recorded").isEqualTo(5);
        assertThat(runs).as("the runs past the budget stopped and said why")
                .anySatisfy(run -> assertThat((String) run.get("error")).containsAnyOf("Mixpanel query budget used up",
                        "of 5 are left this hour"));
    }

    @Test
    void twoReplicasTogetherKeepToMaxConcurrent() {
        twoInstances("--bridge.mixpanel.queries-per-hour=100000", "--bridge.mixpanel.max-concurrent=2");
        mixpanel.delay(300); // every query takes a while: six runs at once would overlap

        List<Map<String, Object>> runs = exportAllAtOnce();

        assertThat(runs).as("every run got its slots in time").allSatisfy(run -> assertThat(run.get("status")).isEqualTo("succeeded"));
        assertThat(mixpanel.calls("/api/query/engage")).isEqualTo(6);
        assertThat(mixpanel.peakConcurrentCalls()).as("most Mixpanel queries in flight at once, both replicas together")
                .isEqualTo(2);
    }

    /** Runs the six exports at once, three on each instance; returns their sync_runs rows. */
    private List<Map<String, Object>> exportAllAtOnce() {
        for (long cohort : concat(ON_A, ON_B)) {
            mixpanel.cohort(cohort, "Cohort " + cohort, members("a" + cohort + "@x.com"));
            instances.get(0).getBean(ExportRuns.class).save(cohort, "dynamic", "api"); // the test profile never schedules it
        }
        ProducerTemplate a = instances.get(0).getBean(CamelContext.class).createProducerTemplate();
        ProducerTemplate b = instances.get(1).getBean(CamelContext.class).createProducerTemplate();
        List<Long> cohorts = concat(ON_A, ON_B);
        AtomicInteger next = new AtomicInteger();
        Concurrently.run(cohorts.size(), () -> {
            int i = next.getAndIncrement();
            (i < ON_A.size() ? a : b).sendBodyAndHeaders("direct:export-cohort", null,
                    Map.of("cohortId", cohorts.get(i), "trigger", "api"));
            return i;
        });
        List<Map<String, Object>> runs = jdbc.queryForList("SELECT cohort_id, status, mixpanel_calls, error FROM sync_runs "
                + "WHERE cohort_id BETWEEN 91 AND 96 ORDER BY cohort_id");
        assertThat(runs).as("one run per cohort, all over").hasSize(6)
                .allSatisfy(run -> assertThat(run.get("status")).isIn("succeeded", "failed"));
        return runs;
    }

    private void twoInstances(String... budget) {
        Postgres.url(getClass()); // fails at once, saying what to set, without PostgreSQL
        instances.add(start("A", budget));
        instances.add(start("B", budget));
        // the test's own connection: empties what earlier tests left in the shared database (spent queries too)
        jdbc = Postgres.jdbc(getClass());
        BridgeTables.empty(jdbc);
    }

    private ConfigurableApplicationContext start(String instance, String... budget) {
        List<String> args = new ArrayList<>(List.of(
                "--spring.config.location=file:./application.yaml,classpath:/", "--server.port=0",
                "--spring.quartz.scheduler-name=" + cluster, "--camel.main.name=" + cluster,
                "--camel.main.jmx-enabled=false", "--bridge.instance-id=" + instance,
                "--bridge.mixpanel.base-url=" + mixpanel.baseUrl(), "--bridge.mixpanel.project-id=" + StandIns.PROJECT,
                "--bridge.mixpanel.username=" + StandIns.USER, "--bridge.mixpanel.secret=" + StandIns.SECRET,
                "--bridge.iterable.base-url=" + iterable.baseUrl(), "--bridge.iterable.api-key=" + StandIns.API_KEY));
        args.addAll(List.of(budget));
        return new SpringApplicationBuilder(BridgeApplication.class).profiles("test").run(args.toArray(String[]::new));
    }

    private static List<Long> concat(List<Long> a, List<Long> b) {
        List<Long> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}

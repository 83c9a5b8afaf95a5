package io.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bridge.DbTimestamps;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.fakes.FakeMixpanel.Member;
import io.bridge.support.BridgeProcess;
import io.bridge.support.ExportTables;
import io.bridge.support.Postgres;
import io.bridge.support.StandIns;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * "Claims of a dead replica lapse after bridge.exports.run-lease", with a replica that really dies: two
 * replicas of the bundle, each its own JVM, in one Quartz cluster on one PostgreSQL database (a 2-second
 * cron, a 3-second lease). Replica A is killed with SIGKILL in the middle of a cohort's subscribe batches;
 * while its claim is fresh every run of the cohort on B is skipped, once it lapses B takes the cohort
 * over, records A's run as interrupted and converges the list. Needs PostgreSQL: tagged "postgresql",
 * run by .ci/run's PostgreSQL pass (SPRING_DATASOURCE_URL=jdbc:postgresql://...; -Dexcluded.groups=none).
 */
@Tag("postgresql")
class ReplicaKillTest {

    static final Path ROOT = Path.of(System.getProperty("user.dir"));
    static final String LIST = "mixpanel_Orphan_84";
    static final String SUBSCRIBE = "/api/lists/subscribe";
    static final Duration LEASE = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    final FakeMixpanel mixpanel = StandIns.mixpanel();
    final FakeIterable iterable = StandIns.iterable();
    final String cluster = "replica-kill-test-" + UUID.randomUUID();
    final List<BridgeProcess> started = new ArrayList<>();
    JdbcTemplate jdbc;

    @BeforeEach
    void database() {
        jdbc = Postgres.jdbc(getClass());
    }

    @AfterEach
    void stopEverything() throws InterruptedException {
        iterable.release();
        try {
            jdbc.update("DELETE FROM cohort_exports"); // nothing left for another scheduler
        } finally {
            for (BridgeProcess replica : started) {
                if (replica.isAlive()) {
                    replica.kill();
                }
            }
            mixpanel.close();
            iterable.close();
        }
    }

    @Test
    void aReplicaKilledMidRunLeavesAClaimThatTheOtherTakesOverOnceItsLeaseLapses() throws Exception {
        BridgeProcess a = start("A");
        BridgeProcess b = start("B"); // at once, on an empty Quartz store: see QuartzJobStoreTest
        assertThat(a.awaitStarted(Duration.ofMinutes(2))).as(a.output()).isTrue();
        assertThat(b.awaitStarted(Duration.ofMinutes(2))).as(b.output()).isTrue();
        ExportTables.empty(jdbc);

        List<Member> cohort = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            cohort.add(new Member("d" + i, String.format("member%02d@replica.example", i)));
        }
        mixpanel.cohort(84, "Orphan", cohort);
        iterable.onChange((list, size) -> {
            if (iterable.calls(SUBSCRIBE) >= 3) {
                iterable.hold(); // A's fourth subscribe call waits: A dies in it
            }
        });
        // a one-time export, so that only A runs it (B's scheduled fires run dynamic syncs only)
        JsonNode accepted = json(a.call("POST", "/api/exports", "{\"cohortId\":84,\"sync\":\"one-time\"}").body());
        assertThat(accepted.path("status").asText()).as(accepted.toString()).isEqualTo("running");
        long deadRun = accepted.path("runId").asLong();
        a.await(() -> iterable.calls(SUBSCRIBE) == 4, Duration.ofSeconds(30), "A to send its fourth subscribe batch");
        a.kill();
        iterable.onChange(null);
        Set<String> answered = iterable.members(LIST);
        iterable.release();

        Map<String, Object> claim = jdbc.queryForMap("SELECT run_id, run_owner, run_heartbeat FROM cohort_exports WHERE cohort_id = 84");
        assertThat(claim).containsEntry("run_id", deadRun).containsEntry("run_owner", "A");
        Instant lapses = DbTimestamps.toInstant(claim.get("run_heartbeat")).plus(LEASE);
        assertThat(jdbc.queryForObject("SELECT status FROM sync_runs WHERE id = ?", String.class, deadRun)).isEqualTo("running");

        // while A is dead: one member whose subscribe A saw answered leaves, one joins
        List<Member> changed = new ArrayList<>(cohort);
        String leaver = answered.iterator().next();
        changed.removeIf(m -> leaver.equals(m.email()));
        changed.add(new Member("d20", "member20@replica.example"));
        mixpanel.cohort(84, "Orphan", changed);
        Set<String> expected = new TreeSet<>();
        changed.forEach(m -> expected.add(m.email()));

        // B syncs the cohort from now on, every 2 s; the first attempt, at once, finds A's claim fresh
        JsonNode onB = json(b.call("POST", "/api/exports", "{\"cohortId\":84,\"sync\":\"dynamic\"}").body());
        if (Instant.now().isBefore(lapses)) {
            assertThat(onB.path("status").asText()).as("a run while A's claim is fresh: " + onB).isEqualTo("skipped");
        }
        b.await(() -> jdbc.queryForList("SELECT status FROM sync_runs WHERE cohort_id = 84", String.class).contains("succeeded"),
                Duration.ofSeconds(30), "B to take the cohort over and succeed");
        Map<String, Object> takeover = jdbc.queryForMap(
                "SELECT id, started_at FROM sync_runs WHERE cohort_id = 84 AND status = 'succeeded' ORDER BY id FETCH FIRST 1 ROWS ONLY");
        assertThat(DbTimestamps.toInstant(takeover.get("started_at"))).as("B took over only once A's lease lapsed").isAfterOrEqualTo(lapses);
        assertThat(jdbc.queryForList("SELECT status FROM sync_runs WHERE cohort_id = 84 AND id > ? AND id < ?", String.class,
                deadRun, takeover.get("id"))).as("runs on B before the takeover").allSatisfy(status -> assertThat(status).isEqualTo("skipped"));
        Map<String, Object> dead = jdbc.queryForMap("SELECT status, error FROM sync_runs WHERE id = ?", deadRun);
        assertThat(dead.get("status")).isEqualTo("interrupted");
        assertThat((String) dead.get("error")).contains("its replica (A) stopped renewing its claim");
        assertThat(iterable.members(LIST)).as("the list once B converged it").isEqualTo(expected);
    }

    private BridgeProcess start(String name) throws Exception {
        Map<String, String> env = StandIns.environment(mixpanel, iterable);
        env.putAll(Postgres.environment(getClass()));
        env.put("SPRING_QUARTZ_SCHEDULERNAME", cluster); // one Quartz cluster
        env.put("HOSTNAME", name); // the pod's name: the replica's name in run claims
        env.put("BRIDGE_DATA_DIR", dir.resolve(name).toString());
        env.put("BRIDGE_EXPORTS_DYNAMICCRON", "0/2 * * * * ?");
        env.put("BRIDGE_EXPORTS_RUNLEASE", LEASE.toSeconds() + "s");
        env.put("BRIDGE_EXPORTS_BATCHSIZE", "2");
        env.put("BRIDGE_MIXPANEL_QUERIESPERHOUR", "100000");
        BridgeProcess replica = BridgeProcess.start(ROOT, dir.resolve(name + ".log"), env);
        started.add(replica);
        return replica;
    }

    private static JsonNode json(String body) {
        try {
            return new ObjectMapper().readTree(body);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
    }
}

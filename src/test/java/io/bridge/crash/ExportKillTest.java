package io.bridge.crash;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.fakes.FakeMixpanel.Member;
import io.bridge.support.BridgeProcess;
import io.bridge.support.StandIns;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Interrupted runs are safe", "Runs still marked running at start-up are recorded as interrupted" and
 * "A restarted instance frees its own old claims at once", proven by a crash: the bundle runs as its own
 * JVM on the embedded file database as shipped, a cohort export is killed with SIGKILL in the middle of
 * its subscribe batches (one batch sent to Iterable, its answer never read), members leave and join while
 * the bridge is down, and the instance starts again under the same name, as a pod restarted in place does.
 */
class ExportKillTest {

    static final Path ROOT = Path.of(System.getProperty("user.dir"));
    static final String NEVER = "0 0 0 1 1 ? 2099"; // no scheduled run: the test starts each run
    static final String LIST = "mixpanel_Killed_7";
    static final String SUBSCRIBE = "/api/lists/subscribe";
    static final String INSTANCE = "bridge-kill-test-0"; // the pod's name: the same after a restart in place
    static final int BATCH = 2;
    static final int ANSWERED_BATCHES = 5; // subscribe calls answered before the kill; the next one is cut off

    @TempDir
    Path data;

    final FakeMixpanel mixpanel = StandIns.mixpanel();
    final FakeIterable iterable = StandIns.iterable();
    final List<BridgeProcess> started = new ArrayList<>();

    @AfterEach
    void stopEverything() throws InterruptedException {
        iterable.release();
        for (BridgeProcess bridge : started) {
            if (bridge.isAlive()) {
                bridge.kill();
            }
        }
        mixpanel.close();
        iterable.close();
    }

    /** What the kill left: the run it cut off, who Iterable had answered for, and the batch whose answer was lost. */
    record Killed(long run, Set<String> answered, Set<String> cutOff) {
    }

    @Test
    void aRunKilledMidwayIsInterruptedAtStartUpItsClaimFreedAtOnceAndTheNextRunConvergesTheList() throws Exception {
        Killed killed = killMidRun();

        // while the bridge is down: a member whose subscribe was answered leaves, one whose subscribe Iterable
        // applied without the bridge reading the answer leaves, one never subscribed leaves, two join, one
        // loses their email; the other member of the cut-off batch stays
        String answeredLeaver = killed.answered().iterator().next();
        String cutOffLeaver = killed.cutOff().iterator().next();
        List<Member> changed = new ArrayList<>(mixpanel.members(7));
        changed.removeIf(m -> answeredLeaver.equals(m.email()) || cutOffLeaver.equals(m.email())
                || "member29@kill.example".equals(m.email()));
        changed.replaceAll(m -> "member28@kill.example".equals(m.email()) ? new Member(m.distinctId(), null) : m);
        changed.add(new Member("d30", "member30@kill.example"));
        changed.add(new Member("d31", "member31@kill.example"));
        mixpanel.cohort(7, "Killed", changed);

        restartAndConverge(killed, changed);
    }


    /**
     * Starts the bundle, exports cohort 7 (30 members with an email, 4 without) in batches of 2, and
     * kills it with SIGKILL while Iterable holds its sixth subscribe call; then Iterable applies that call.
     */
    private Killed killMidRun() throws Exception {
        List<Member> cohort = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            cohort.add(new Member("d" + i, String.format("member%02d@kill.example", i)));
        }
        for (int i = 0; i < 4; i++) {
            cohort.add(new Member("no-email-" + i, null));
        }
        mixpanel.cohort(7, "Killed", cohort);
        // Iterable answers ANSWERED_BATCHES subscribe calls, then holds every call until the test releases it
        iterable.onChange((list, size) -> {
            if (iterable.calls(SUBSCRIBE) >= ANSWERED_BATCHES) {
                iterable.hold();
            }
        });

        BridgeProcess first = start("first.log");
        assertThat(first.awaitStarted(Duration.ofMinutes(2))).as(first.output()).isTrue();
        JsonNode accepted = json(first.call("POST", "/api/exports", "{\"cohortId\":7,\"sync\":\"dynamic\"}").body());
        assertThat(accepted.path("status").asText()).as(accepted.toString()).isEqualTo("running");
        long killedRun = accepted.path("runId").asLong();

        first.await(() -> iterable.calls(SUBSCRIBE) == ANSWERED_BATCHES + 1, Duration.ofSeconds(30),
                "the bridge to send subscribe batch " + (ANSWERED_BATCHES + 1));
        Set<String> answered = iterable.members(LIST);
        assertThat(answered).hasSize(ANSWERED_BATCHES * BATCH);
        first.kill(); // its batch in flight: Iterable has the request, the bridge never reads the answer
        iterable.onChange(null);
        iterable.release(); // ... and Iterable applies it, as the real one would
        first.await(() -> iterable.members(LIST).size() == (ANSWERED_BATCHES + 1) * BATCH, Duration.ofSeconds(10),
                "Iterable to apply the batch the bridge was killed in");
        Set<String> cutOff = new TreeSet<>(iterable.members(LIST));
        cutOff.removeAll(answered);

        // the dead run is still "running" and its claim held by the dead instance, as the crash left them
        try (Connection db = readOnlyDatabase()) {
            assertThat(status(db, killedRun)).isEqualTo("running");
            assertThat(claim(db)).containsEntry("RUN_ID", killedRun).containsEntry("RUN_OWNER", INSTANCE);
        }
        return new Killed(killedRun, answered, cutOff);
    }

    /**
     * Starts the instance again, under the same name: the killed run is recorded interrupted at start-up,
     * its claim is freed at once (a run now is not skipped), and that run makes the list hold exactly the
     * cohort's members with an email.
     */
    private void restartAndConverge(Killed killed, List<Member> cohort) throws Exception {
        Set<String> expected = cohort.stream().map(Member::email).filter(Objects::nonNull).collect(Collectors.toCollection(TreeSet::new));
        long restartedAt = System.nanoTime();
        BridgeProcess second = start("second.log");
        assertThat(second.awaitStarted(Duration.ofMinutes(2))).as(second.output()).isTrue();
        second.await(() -> "interrupted".equals(run(second, killed.run()).path("status").asText()), Duration.ofSeconds(20),
                "the killed run to be recorded as interrupted");
        assertThat(run(second, killed.run()).path("error").asText()).contains("the bridge stopped during this run");

        // its claim was freed at start-up: a run now is not skipped, long before the 2-minute lease would lapse
        JsonNode next = json(second.call("POST", "/api/exports/7/run", null).body());
        assertThat(next.path("status").asText()).as(next.toString()).isEqualTo("running");
        assertThat(Duration.ofNanos(System.nanoTime() - restartedAt)).isLessThan(Duration.ofMinutes(2));
        long nextRun = next.path("runId").asLong();
        second.await(() -> !"running".equals(run(second, nextRun).path("status").asText()), Duration.ofSeconds(30), "the next run to end");
        assertThat(run(second, nextRun).path("status").asText()).as(run(second, nextRun).toString()).isEqualTo("succeeded");
        assertThat(iterable.members(LIST)).as("the list after the next run: the cohort's members with an email")
                .isEqualTo(expected);
        assertThat(iterable.listNames()).containsExactly(LIST);
        assertThat(second.output()).contains("export runs were interrupted by a restart");

        second.close();
        try (Connection db = readOnlyDatabase()) {
            assertThat(status(db, killed.run())).isEqualTo("interrupted");
            assertThat(claim(db)).containsEntry("RUN_ID", null).containsEntry("RUN_OWNER", null);
            ResultSet staged = db.createStatement().executeQuery("SELECT COUNT(*) FROM run_members");
            staged.next();
            assertThat(staged.getInt(1)).as("members staged by the killed run, left behind").isZero();
        }
    }

    private BridgeProcess start(String log) throws Exception {
        Map<String, String> env = StandIns.environment(mixpanel, iterable);
        env.put("HOSTNAME", INSTANCE); // the instance's name in run claims, the same after the restart
        env.put("BRIDGE_EXPORTS_DYNAMICCRON", NEVER);
        env.put("BRIDGE_EXPORTS_BATCHSIZE", String.valueOf(BATCH));
        env.put("BRIDGE_DATA_DIR", data.toString());
        BridgeProcess bridge = BridgeProcess.start(ROOT, data.resolve(log), env);
        started.add(bridge);
        return bridge;
    }

    /**
     * The bridge's files as they are, read without changing them (no recovery written, no lock taken); closed
     * with the connection (shutdown=true), else this JVM would keep the database open and answer from memory.
     */
    private Connection readOnlyDatabase() throws SQLException {
        return DriverManager.getConnection("jdbc:hsqldb:file:" + data.resolve("bridge") + ";readonly=true;shutdown=true", "SA", "");
    }

    private static String status(Connection db, long runId) throws SQLException {
        ResultSet row = db.createStatement().executeQuery("SELECT status FROM sync_runs WHERE id = " + runId);
        assertThat(row.next()).isTrue();
        return row.getString(1);
    }

    private static Map<String, Object> claim(Connection db) throws SQLException {
        ResultSet row = db.createStatement().executeQuery("SELECT run_id, run_owner FROM cohort_exports WHERE cohort_id = 7");
        assertThat(row.next()).isTrue();
        Map<String, Object> claim = new HashMap<>();
        claim.put("RUN_ID", row.getObject(1) == null ? null : row.getLong(1));
        claim.put("RUN_OWNER", row.getString(2));
        return claim;
    }

    private static JsonNode run(BridgeProcess bridge, long runId) {
        for (JsonNode run : json(bridge.call("GET", "/api/exports/7/runs", null).body())) {
            if (run.path("runId").asLong() == runId) {
                return run;
            }
        }
        throw new AssertionError("no run " + runId + " in /api/exports/7/runs");
    }

    private static JsonNode json(String body) {
        try {
            return new ObjectMapper().readTree(body);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
    }
}

package io.bridge.exports;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeProcess;
import io.bridge.support.StandIns;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dynamic sync missed while the bridge was down runs once after start-up, and the start is clean:
 * Quartz fires nothing before Camel's routes are up ("No CamelContext could be found" lost that run).
 * The bundle runs as its own JVM, twice, on one file database.
 */
class MissedFireTest {

    static final String NEVER = "0 0 0 1 1 ? 2099"; // the trigger fires only when the test makes it due

    @TempDir
    Path data;

    @Test
    void aFireMissedWhileDownRunsOnceAfterStartUpAndNothingFiresBeforeCamel() throws Exception {
        try (FakeMixpanel mixpanel = StandIns.mixpanel(); FakeIterable iterable = StandIns.iterable()) {
            mixpanel.cohort(5, "Missed", members("a@x.com", "b@x.com"));
            String[] args = {"--bridge.data-dir=" + data, "--bridge.exports.dynamic-cron=" + NEVER,
                    "--bridge.mixpanel.base-url=" + mixpanel.baseUrl(), "--bridge.mixpanel.project-id=" + StandIns.PROJECT,
                    "--bridge.mixpanel.username=" + StandIns.USER, "--bridge.mixpanel.secret=" + StandIns.SECRET,
                    "--bridge.iterable.base-url=" + iterable.baseUrl(), "--bridge.iterable.api-key=" + StandIns.API_KEY};
            Path root = Path.of(System.getProperty("user.dir"));

            try (BridgeProcess first = BridgeProcess.start(root, data.resolve("first.log"), Map.of(), args)) {
                assertThat(first.awaitStarted(Duration.ofMinutes(2))).as(first.output()).isTrue();
                assertThat(first.call("POST", "/api/exports", "{\"cohortId\":5,\"sync\":\"dynamic\"}").statusCode()).isEqualTo(202);
                first.await(() -> "succeeded".equals(lastRun(first).path("status").asText()), Duration.ofMinutes(1), "the first run");
            }
            // the bridge was down when the sync was due, longer than Quartz's misfire threshold (60 s)
            try (Connection db = database()) {
                PreparedStatement due = db.prepareStatement("UPDATE qrtz_triggers SET next_fire_time = ? WHERE trigger_name = 'dynamic-sync'");
                due.setLong(1, Instant.now().minus(Duration.ofMinutes(10)).toEpochMilli());
                assertThat(due.executeUpdate()).isEqualTo(1);
            }
            mixpanel.cohort(5, "Missed", members("b@x.com", "c@x.com"));

            try (BridgeProcess second = BridgeProcess.start(root, data.resolve("second.log"), Map.of(), args)) {
                assertThat(second.awaitStarted(Duration.ofMinutes(2))).as(second.output()).isTrue();
                second.await(() -> "schedule".equals(lastRun(second).path("trigger").asText())
                        && "succeeded".equals(lastRun(second).path("status").asText()), Duration.ofMinutes(1), "the missed sync to run");
                assertThat(iterable.members("mixpanel_Missed_5")).isEqualTo(Set.of("b@x.com", "c@x.com"));
                String log = second.output();
                assertThat(log).doesNotContain("No CamelContext").doesNotContain("Failed to execute CamelJob");
                assertThat(log.lines().filter(line -> line.contains(" ERROR ")).toList()).isEmpty();
                // camel-quartz logs the next fire of the trigger it built, not the stored one: the bridge says which it is
                assertThat(log).contains("Quartz trigger cohort-export.dynamic-sync (cron " + NEVER + "): was due at ");
            }
            try (Connection db = database()) {
                ResultSet runs = db.createStatement().executeQuery(
                        "SELECT COUNT(*) FROM sync_runs WHERE cohort_id = 5 AND run_trigger = 'schedule'");
                runs.next();
                assertThat(runs.getInt(1)).as("the missed fire runs once").isEqualTo(1);
                ResultSet next = db.createStatement().executeQuery(
                        "SELECT next_fire_time FROM qrtz_triggers WHERE trigger_name = 'dynamic-sync'");
                next.next();
                assertThat(Instant.ofEpochMilli(next.getLong(1))).isAfter(Instant.parse("2098-12-31T00:00:00Z"));
            }
        }
    }

    private Connection database() throws Exception {
        return DriverManager.getConnection("jdbc:hsqldb:file:" + data.resolve("bridge") + ";shutdown=true", "SA", "");
    }

    private static JsonNode lastRun(BridgeProcess bridge) {
        try {
            return new ObjectMapper().readTree(bridge.call("GET", "/api/exports/5/runs", null).body()).path(0);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

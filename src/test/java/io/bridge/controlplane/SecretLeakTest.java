package io.bridge.controlplane;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.ExportTables;
import io.bridge.support.StandIns;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * A full round (connect with a key in clear, export with a failure and a retry, webhooks, refused
 * logins) with the bridge's, Camel's and Spring Security's logs at DEBUG: no secret in the logs, in
 * an answer, or in clear in the database.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {"logging.level.io.bridge=DEBUG", "logging.level.org.apache.camel=DEBUG",
        "logging.level.org.springframework.security=DEBUG"})
class SecretLeakTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("bridge.exports.retry-delay", () -> "10ms");
        registry.add("bridge.mixpanel.queries-per-hour", () -> "100000");
    }

    @AfterAll
    static void stopFakes() {
        MIXPANEL.close();
        ITERABLE.close();
        // the logging system is one per JVM: later test classes go back to the test profile's levels
        LoggingSystem logging = LoggingSystem.get(SecretLeakTest.class.getClassLoader());
        for (String logger : List.of("io.bridge", "org.apache.camel", "org.springframework.security")) {
            logging.setLogLevel(logger, null);
        }
    }

    @Test
    void noSecretIsLoggedReturnedOrStoredInClear(CapturedOutput output) {
        List<String> answers = new ArrayList<>();
        ExportTables.empty(jdbc);
        answers.add(request("PUT", "/api/integration", "{\"dataCenter\":\"US\",\"apiKey\":\"" + StandIns.API_KEY + "\"}",
                Map.of("Content-Type", "application/json")).body());
        answers.add(request("PUT", "/api/integration", "{\"dataCenter\":\"US\",\"apiKey\":\"wrong-" + StandIns.API_KEY + "\"}",
                Map.of("Content-Type", "application/json")).body());
        MIXPANEL.cohort(51, "Secretive", members("a@x.com", "b@x.com"));
        ITERABLE.failNext("/api/lists/subscribe", 1, 429, "text/plain", "slow down");
        MIXPANEL.failNext("/api/query/engage", 1, 502, "text/html", "<html>bad gateway</html>");
        answers.add(post("/api/exports", "{\"cohortId\":51,\"sync\":\"dynamic\"}", Map.of("Content-Type", "application/json")).body());
        MIXPANEL.cohort(52, "Refused", members("c@x.com"));
        answers.add(post("/api/exports", "{\"cohortId\":52,\"sync\":\"one-time\"}", Map.of("Content-Type", "application/json")).body());
        awaitRuns(2);
        answers.add(post("/webhooks/iterable", "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}",
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token")).body());
        answers.add(post("/webhooks/iterable", "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}",
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 wrong-test-webhook-token")).body());
        answers.add(request("GET", "/api/exports", null, Map.of("Authorization", basic("test-admin", "test-admin-password-wrong"))).body());
        for (String path : List.of("/api/integration", "/api/exports", "/api/exports/51/runs", "/api/audit", "/api/cohorts")) {
            answers.add(get(path).body());
        }

        assertThat(ITERABLE.members("mixpanel_Secretive_51")).as("the round really ran").containsExactlyInAnyOrder("a@x.com", "b@x.com");
        String database = jdbc.queryForList("SELECT * FROM iterable_connection").toString()
                + jdbc.queryForList("SELECT * FROM audit_log").toString() + jdbc.queryForList("SELECT * FROM sync_runs").toString();
        for (String secret : secrets()) {
            assertThat(output.getAll()).as("logs").doesNotContain(secret);
            assertThat(String.join("\n", answers)).as("answers").doesNotContain(secret);
            assertThat(database).as("database").doesNotContain(secret);
        }
        assertThat(output.getAll().lines().filter(line -> line.contains(" DEBUG ")).count()).as("DEBUG lines captured")
                .isGreaterThan(100);
    }

    private static List<String> secrets() {
        return List.of(StandIns.API_KEY, StandIns.SECRET,
                Base64.getEncoder().encodeToString((StandIns.USER + ":" + StandIns.SECRET).getBytes(StandardCharsets.UTF_8)),
                "test-admin-password", "test-viewer-password", "test-webhook-token", "test-encryption-key",
                basic("test-admin", "test-admin-password").substring("Basic ".length()));
    }

    private void awaitRuns(int count) {
        for (int i = 0; i < 200; i++) {
            Integer ended = jdbc.queryForObject("SELECT COUNT(*) FROM sync_runs WHERE status <> 'running' AND cohort_id IN (51, 52)",
                    Integer.class);
            if (ended != null && ended >= count) {
                return;
            }
            IntegrationApiTest.sleep(50);
        }
        throw new AssertionError("runs did not end");
    }
}

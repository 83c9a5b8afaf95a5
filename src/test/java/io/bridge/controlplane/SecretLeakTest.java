package io.bridge.controlplane;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;
import static io.bridge.support.Waiting.await;

import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.StandIns;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.camel.test.spring.junit5.DisableJmx;
import org.jolokia.support.spring.SpringJolokiaAgent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * A full round (connect with a key in clear, export with a failure and a retry, a run that fails for
 * good, webhooks, Jolokia, refused logins) with every log at DEBUG, as an operator troubleshooting
 * would set it, and HttpClient's header and wire logs at TRACE: no secret, nor the base64 of any
 * Basic credential, in the logs, in an answer, or in clear in any table.
 */
@ExtendWith(OutputCaptureExtension.class)
@DisableJmx(false)
@DirtiesContext
@TestPropertySource(properties = {"logging.level.root=DEBUG", "logging.level.org.apache.hc=TRACE",
        "logging.level.org.apache.hc.client5.http.headers=TRACE", "logging.level.org.apache.hc.client5.http.wire=TRACE",
        "camel.component.jolokia.enabled=true", "camel.component.jolokia.server-config.port=0",
        "camel.component.jolokia.kubernetes-discover=false"})
class SecretLeakTest extends BridgeHttpTest {

    @Autowired
    SpringJolokiaAgent jolokia;

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("bridge.exports.retry-delay", () -> "10ms");
        registry.add("bridge.mixpanel.queries-per-hour", () -> "100000");
    }

    @AfterAll
    static void restoreLogLevels() {
        // the logging system is one per JVM: later test classes go back to the test profile's levels
        LoggingSystem logging = LoggingSystem.get(SecretLeakTest.class.getClassLoader());
        for (String logger : List.of("org.apache.hc", "org.apache.hc.client5.http.headers", "org.apache.hc.client5.http.wire")) {
            logging.setLogLevel(logger, null);
        }
        logging.setLogLevel(LoggingSystem.ROOT_LOGGER_NAME, LogLevel.WARN);
    }

    @Test
    void noSecretIsLoggedReturnedOrStoredInClear(CapturedOutput output) {
        List<String> answers = new ArrayList<>();
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
        // a run that fails for good: Mixpanel refuses the service account
        MIXPANEL.cohort(53, "Failing", members("d@x.com"));
        MIXPANEL.failNext("/api/query/engage", 1, 401, "application/json", "{\"error\":\"Invalid credentials\"}");
        answers.add(post("/api/exports", "{\"cohortId\":53,\"sync\":\"one-time\"}", Map.of("Content-Type", "application/json")).body());
        awaitRuns(3);
        answers.add(post("/webhooks/iterable", "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}",
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token")).body());
        answers.add(post("/webhooks/iterable", "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}",
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 wrong-test-webhook-token")).body());
        // a token with a control character in it: Tomcat refuses the header line, quoting it in the exception it logs
        answers.add(raw("POST /webhooks/iterable HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Authorization: OAuth2 test-webhook-token\u0001\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"));
        answers.add(request("GET", "/api/exports", null, Map.of("Authorization", basic("test-admin", "test-admin-password-wrong"))).body());
        answers.add(request("GET", "/api/exports", null, Map.of("Authorization", VIEWER)).body());
        for (String path : List.of("/api/integration", "/api/exports", "/api/exports/51/runs", "/api/exports/53/runs", "/api/audit",
                "/api/cohorts")) {
            answers.add(get(path).body());
        }
        for (String authorization : List.of(ADMIN, VIEWER, basic("test-admin", "test-admin-password-wrong"))) {
            answers.add(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + jolokia.getAddress().getPort()
                    + "/jolokia/read/org.apache.camel:type=routes,*/ExchangesTotal")).header("Authorization", authorization).GET().build()).body());
        }

        assertThat(ITERABLE.members("mixpanel_Secretive_51")).as("the round really ran").containsExactlyInAnyOrder("a@x.com", "b@x.com");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM sync_runs WHERE cohort_id = 53 AND status = 'failed'", Integer.class))
                .as("a run failed for good").isEqualTo(1);
        String database = everyTable();
        assertThat(database).as("the tables were read").contains("Secretive").contains("emailOpen");
        for (String secret : secrets()) {
            assertThat(output.getAll()).as("logs").doesNotContain(secret);
            assertThat(String.join("\n", answers)).as("answers").doesNotContain(secret);
            assertThat(database).as("database").doesNotContain(secret);
        }
        assertThat(output.getAll()).as("Tomcat logged the refused header line, masked")
                .contains("Error parsing HTTP request header", "The HTTP header line [authorization:OAuth2 ****");
        assertThat(output.getAll().lines().filter(line -> line.contains(" DEBUG ")).count()).as("DEBUG lines captured")
                .isGreaterThan(1000);
        assertThat(output.getAll().lines().filter(line -> line.contains("org.apache.hc.client5.http.headers"))
                .filter(line -> line.contains("Api-Key") || line.contains("Authorization")))
                .as("HttpClient's request headers were logged (their values masked)").isNotEmpty();
        assertThat(output.getAll().lines().filter(line -> line.matches(".* org\\.apache\\.hc\\.client5\\.http\\.wire +: .*")))
                .as("HttpClient's wire log (raw bytes: headers cut anywhere, bodies) is never written").isEmpty();
    }

    private static List<String> secrets() {
        List<String> secrets = new ArrayList<>(List.of(StandIns.API_KEY, StandIns.SECRET, "test-admin-password", "test-viewer-password",
                "test-webhook-token", "test-encryption-key"));
        // every Basic credential the round sent, in the form it travels in
        for (String credential : List.of(StandIns.USER + ":" + StandIns.SECRET, "test-admin:test-admin-password",
                "test-viewer:test-viewer-password", "test-admin:test-admin-password-wrong")) {
            secrets.add(Base64.getEncoder().encodeToString(credential.getBytes(StandardCharsets.UTF_8)));
        }
        return secrets;
    }

    /** Every row of every table of the bridge's schema, binary columns as text. */
    private String everyTable() {
        List<String> tables = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                ResultSet names = connection.getMetaData().getTables(null, connection.getSchema(), "%", new String[] {"TABLE"})) {
            while (names.next()) {
                String schema = names.getString("TABLE_SCHEM");
                if (schema == null || !schema.equalsIgnoreCase("INFORMATION_SCHEMA") && !schema.equalsIgnoreCase("SYSTEM_LOBS")
                        && !schema.equalsIgnoreCase("pg_catalog")) {
                    tables.add(names.getString("TABLE_NAME"));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        assertThat(tables).as("tables").hasSizeGreaterThan(15);
        StringBuilder rows = new StringBuilder();
        for (String table : tables) {
            for (Map<String, Object> row : jdbc.queryForList("SELECT * FROM \"" + table + "\"")) {
                row.forEach((column, value) -> rows.append(table).append('.').append(column).append('=')
                        .append(value instanceof byte[] bytes ? new String(bytes, StandardCharsets.ISO_8859_1) : value).append('\n'));
            }
        }
        return rows.toString();
    }

    private void awaitRuns(int count) {
        await(count + " runs end").atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM sync_runs WHERE status <> 'running' AND cohort_id IN (51, 52, 53)", Integer.class),
                ended -> ended >= count);
    }
}

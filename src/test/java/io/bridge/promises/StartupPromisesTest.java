package io.bridge.promises;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bridge.BridgeApplication;
import io.bridge.exports.ExportRuns;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.Concurrently;
import io.bridge.support.StandIns;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.sql.Timestamp;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * README promises about what a start does (issue 11, item 9): declared one-time exports run at
 * start-up and removed ones stop at the next start; a start without webhook credentials, admin or
 * Mixpanel settings logs which variables to set. Two starts of the bundle on one file database.
 */
@ExtendWith(OutputCaptureExtension.class)
class StartupPromisesTest {

    static final String ADMIN = "Basic " + Base64.getEncoder().encodeToString("test-admin:test-admin-password".getBytes(StandardCharsets.UTF_8));
    static final long ONE_TIME = 951;
    static final long DYNAMIC = 952;
    static final String INSTANCE = "startup-promises-test";

    final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path data;

    /**
     * README, Cohort export: "declared one-time exports run once at start-up ... an export removed from
     * application.yaml stops at the next start"; Authentication: "every delivery gets 401 and the startup
     * log says which variables to set"; Security: "without an admin the control plane answers 401 to
     * everyone and the log says how to set one"; "Settings missing at start-up ... the log ... name[s] the
     * missing settings".
     */
    @Test
    void declaredExportsRunAtStartUpRemovedOnesStopAndAStartWithoutSettingsNamesThem(CapturedOutput output) throws Exception {
        try (FakeMixpanel mixpanel = StandIns.mixpanel(); FakeIterable iterable = StandIns.iterable()) {
            mixpanel.cohort(ONE_TIME, "Launch", members("a@x.com", "b@x.com"));
            mixpanel.cohort(DYNAMIC, "Weekly", members("c@x.com"));
            List<String> apis = List.of("--bridge.mixpanel.base-url=" + mixpanel.baseUrl(),
                    "--bridge.mixpanel.project-id=" + StandIns.PROJECT, "--bridge.mixpanel.username=" + StandIns.USER,
                    "--bridge.mixpanel.secret=" + StandIns.SECRET, "--bridge.mixpanel.queries-per-hour=100000",
                    "--bridge.iterable.base-url=" + iterable.baseUrl(), "--bridge.iterable.api-key=" + StandIns.API_KEY,
                    "--bridge.instance-id=" + INSTANCE);

            List<String> declared = new ArrayList<>(apis);
            declared.addAll(List.of("--bridge.exports.cohorts[0].cohort-id=" + ONE_TIME, "--bridge.exports.cohorts[0].sync=one-time",
                    "--bridge.exports.cohorts[1].cohort-id=" + DYNAMIC, "--bridge.exports.cohorts[1].sync=dynamic"));
            try (ConfigurableApplicationContext first = start(declared)) {
                JdbcTemplate jdbc = first.getBean(JdbcTemplate.class);
                Concurrently.await("the declared one-time export runs at start-up", 30, () -> jdbc.queryForObject(
                        "SELECT COUNT(*) FROM sync_runs WHERE cohort_id = ? AND status = 'succeeded'", Integer.class, ONE_TIME) == 1);

                assertThat(jdbc.queryForObject("SELECT run_trigger FROM sync_runs WHERE cohort_id = ?", String.class, ONE_TIME))
                        .isEqualTo("startup");
                assertThat(iterable.members("mixpanel_Launch_" + ONE_TIME)).containsExactlyInAnyOrder("a@x.com", "b@x.com");
                String export = call(port(first), "GET", "/api/exports/" + DYNAMIC).body();
                assertThat(export).contains("\"origin\":\"config\"").contains("\"status\":\"active\"");
                assertThat(first.getBean(ExportRuns.class).dueDynamic()).contains(DYNAMIC);

                // this instance dies mid-run: its run of the dynamic export stays "running", its claim fresh
                Timestamp now = Timestamp.from(Instant.now());
                jdbc.update("INSERT INTO sync_runs (cohort_id, sync_type, run_trigger, full_refresh, started_at, status, cohort_members, "
                        + "with_email, skipped_no_email, added, removed, failed, mixpanel_calls, iterable_calls) "
                        + "VALUES (?, 'dynamic', 'schedule', FALSE, ?, 'running', 0, 0, 0, 0, 0, 0, 1, 0)", DYNAMIC, now);
                long dead = jdbc.queryForObject("SELECT MAX(id) FROM sync_runs WHERE cohort_id = ?", Long.class, DYNAMIC);
                jdbc.update("UPDATE cohort_exports SET run_id = ?, run_owner = ?, run_heartbeat = ? WHERE cohort_id = ?", dead, INSTANCE,
                        now, DYNAMIC);
            }

            int before = output.length();
            // the declarations are gone, and so are the webhook token, the admin and the Mixpanel secret
            // (an argument given twice is both values joined by a comma: leave the secret out rather than empty it twice)
            List<String> bare = new ArrayList<>(apis.stream().filter(arg -> !arg.startsWith("--bridge.mixpanel.secret=")).toList());
            bare.addAll(List.of("--bridge.webhooks.iterable.token=", "--bridge.security.admin.password=", "--bridge.mixpanel.secret="));
            try (ConfigurableApplicationContext second = start(bare)) {
                JdbcTemplate jdbc = second.getBean(JdbcTemplate.class);
                String startUp = output.toString().substring(before);
                List<String> warnings = startUp.lines().filter(line -> line.contains(" WARN ")).toList();

                // README, Cohort export: "Runs still marked running at start-up are recorded as interrupted"; Several
                // replicas: "A restarted instance frees its own old claims at once" (the claim's lease has not lapsed)
                Map<String, Object> dead = jdbc.queryForMap("SELECT status, error FROM sync_runs WHERE cohort_id = ? AND run_trigger = 'schedule'",
                        DYNAMIC);
                assertThat(dead.get("status")).isEqualTo("interrupted");
                assertThat((String) dead.get("error")).contains("the bridge stopped during this run");
                assertThat(jdbc.queryForMap("SELECT run_id, run_owner FROM cohort_exports WHERE cohort_id = ?", DYNAMIC))
                        .containsEntry("run_id", null).containsEntry("run_owner", null);

                assertThat(jdbc.queryForList("SELECT cohort_id FROM cohort_exports WHERE stopped_at IS NOT NULL ORDER BY cohort_id",
                        Long.class)).as("both removed from application.yaml").contains(ONE_TIME, DYNAMIC);
                assertThat(warnings).as(startUp).anyMatch(line -> line.contains("Iterable webhooks are LOCKED")
                        && line.contains("BRIDGE_WEBHOOKS_ITERABLE_TOKEN") && line.contains("BRIDGE_WEBHOOKS_ITERABLE_USERNAME")
                        && line.contains("BRIDGE_WEBHOOKS_ITERABLE_PASSWORD") && line.contains("BRIDGE_WEBHOOKS_ITERABLE_AUTH=none"));
                assertThat(warnings).as(startUp).anyMatch(line -> line.contains("The control plane has no ADMIN")
                        && line.contains("BRIDGE_SECURITY_ADMIN_USERNAME") && line.contains("BRIDGE_SECURITY_ADMIN_PASSWORD"));
                assertThat(warnings).as(startUp).anyMatch(line -> line.contains("Cohort export is OFF")
                        && line.contains("bridge.mixpanel.secret"));
                assertThat(warnings).as("no secret in the warnings").noneMatch(line -> line.contains(StandIns.API_KEY));

                int port = port(second);
                HttpResponse<String> delivery = http.send(HttpRequest.newBuilder(uri(port, "/webhooks/iterable"))
                        .header("Content-Type", "application/json").header("Authorization", "OAuth2 test-webhook-token")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(delivery.statusCode()).as("the former token is no credential").isEqualTo(401);
                assertThat(call(port, "GET", "/api/exports").statusCode()).as("the former admin is nobody").isEqualTo(401);

                // on PostgreSQL the database outlives this test: leave it as the other tests expect
                for (String table : List.of("sync_run_reports", "sync_run_failures")) {
                    jdbc.update("DELETE FROM " + table + " WHERE run_id IN (SELECT id FROM sync_runs WHERE cohort_id IN (?, ?))", ONE_TIME, DYNAMIC);
                }
                jdbc.update("DELETE FROM list_members WHERE list_id IN (SELECT list_id FROM sync_runs WHERE cohort_id IN (?, ?))", ONE_TIME, DYNAMIC);
                jdbc.update("DELETE FROM sync_runs WHERE cohort_id IN (?, ?)", ONE_TIME, DYNAMIC);
                jdbc.update("DELETE FROM cohort_exports WHERE cohort_id IN (?, ?)", ONE_TIME, DYNAMIC);
            }
        }
    }

    /** README, Security: "a password without {id} stops the start with a message" (which never shows the password). */
    @Test
    void aPasswordWithoutItsEncodingStopsTheStartAndSaysWhatToWrite(CapturedOutput output) {
        assertThatThrownBy(() -> start(List.of("--bridge.security.admin.password=plain-password-123")).close())
                .hasRootCauseInstanceOf(io.bridge.startup.StartupRefusedException.class);
        assertThat(output.toString()).as("Spring Boot's report, not a chain of bean creation errors").contains("APPLICATION FAILED TO START")
                .contains("bridge.security.admin.password does not name its encoding")
                .contains("Give BRIDGE_SECURITY_ADMIN_PASSWORD as {bcrypt}<hash>").contains("{noop}<password>")
                .doesNotContain("plain-password-123");
    }

    /** The bundle, as a separate run, on a file database in a temporary directory (or SPRING_DATASOURCE_URL's). */
    private ConfigurableApplicationContext start(List<String> args) {
        String url = System.getenv().getOrDefault("SPRING_DATASOURCE_URL", "jdbc:hsqldb:file:" + data.resolve("bridge") + ";shutdown=true");
        List<String> all = new ArrayList<>(List.of("--spring.config.location=file:./application.yaml,classpath:/", "--server.port=0",
                "--spring.datasource.url=" + url));
        all.addAll(args);
        return new SpringApplicationBuilder(BridgeApplication.class).profiles("test").run(all.toArray(String[]::new));
    }

    private static int port(ConfigurableApplicationContext context) {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private HttpResponse<String> call(int port, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(port, path)).header("Authorization", ADMIN)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}

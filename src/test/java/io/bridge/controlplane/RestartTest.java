package io.bridge.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.BridgeApplication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import io.bridge.fakes.FakeIterable;
import io.bridge.support.StandIns;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The control plane's state is in the database: a restarted bridge is still disconnected, its exports still stopped. */
class RestartTest {

    static final String ADMIN = "Basic " + Base64.getEncoder().encodeToString("test-admin:test-admin-password".getBytes(StandardCharsets.UTF_8));
    final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path data;

    @Test
    void aRestartKeepsTheConnectionStateExportsAndAudit() throws Exception {
        try (ConfigurableApplicationContext first = start()) {
            int port = port(first);
            first.getBean(io.bridge.exports.ExportRuns.class).save(61, "dynamic", "api");
            assertThat(call(port, "DELETE", "/api/integration").statusCode()).isEqualTo(200);
            assertThat(call(port, "DELETE", "/api/exports/61").statusCode()).isEqualTo(200);
        }
        try (ConfigurableApplicationContext second = start()) {
            int port = port(second);
            assertThat(call(port, "GET", "/api/integration").body()).contains("\"connected\":false");
            assertThat(call(port, "GET", "/api/exports/61").body()).contains("\"status\":\"stopped\"");
            assertThat(call(port, "GET", "/api/audit").body()).contains("integration.disconnect").contains("export.stop");
            // on PostgreSQL the database outlives this test: leave it as the other tests expect
            org.springframework.jdbc.core.JdbcTemplate jdbc = second.getBean(org.springframework.jdbc.core.JdbcTemplate.class);
            jdbc.update("DELETE FROM iterable_connection");
            jdbc.update("DELETE FROM sync_runs WHERE cohort_id = 61");
            jdbc.update("DELETE FROM cohort_exports WHERE cohort_id = 61");
        }
    }

    /**
     * ITERABLE_API_KEY is the one name of the key: the connection made in configuration takes it, and
     * so does a connection made with {"apiKeyRef":"ITERABLE_API_KEY"}. A restart without it is not
     * connected, and both the start-up log and the status say which variable to set.
     */
    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void iterableApiKeyIsTheKeyAndARestartWithoutItSaysSo(CapturedOutput output) throws Exception {
        assumeTrue(System.getenv("ITERABLE_API_KEY") == null, "the test JVM's own environment holds ITERABLE_API_KEY");
        try (FakeIterable iterable = StandIns.iterable()) {
            String us = "--bridge.iterable.data-centers.US=" + iterable.baseUrl();
            try (ConfigurableApplicationContext first = start(us, "--bridge.iterable.base-url=" + iterable.baseUrl(),
                    "--ITERABLE_API_KEY=" + StandIns.API_KEY)) {
                int port = port(first);
                assertThat(call(port, "GET", "/api/integration").body()).contains("\"connected\":true")
                        .contains("ITERABLE_API_KEY");
                HttpResponse<String> connect = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/integration"))
                        .header("Authorization", ADMIN).header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(connect.statusCode()).as(connect.body()).isEqualTo(200);
            }
            int before = output.length();
            try (ConfigurableApplicationContext second = start(us)) {
                String startUp = output.toString().substring(before);
                assertThat(startUp.lines().filter(line -> line.contains("WARN")).toList()).as(startUp)
                        .anyMatch(line -> line.contains("Cohort export is OFF") && line.contains("ITERABLE_API_KEY is not set")
                                && line.contains("PUT /api/integration"));
                String status = call(port(second), "GET", "/api/integration").body();
                assertThat(status).contains("\"connected\":false").contains("ITERABLE_API_KEY is not set");
                second.getBean(org.springframework.jdbc.core.JdbcTemplate.class).update("DELETE FROM iterable_connection");
            }
        }
    }

    /** The bundle, as a separate run, on a file database in a temporary directory (or SPRING_DATASOURCE_URL's). */
    private ConfigurableApplicationContext start() {
        return start("--bridge.iterable.api-key=" + io.bridge.support.StandIns.API_KEY);
    }

    private ConfigurableApplicationContext start(String... args) {
        String url = System.getenv().getOrDefault("SPRING_DATASOURCE_URL", "jdbc:hsqldb:file:" + data.resolve("bridge") + ";shutdown=true");
        List<String> all = new ArrayList<>(List.of("--spring.config.location=file:./application.yaml,classpath:/", "--server.port=0",
                "--spring.datasource.url=" + url));
        all.addAll(List.of(args));
        return new SpringApplicationBuilder(BridgeApplication.class).profiles("test").run(all.toArray(String[]::new));
    }

    private static int port(ConfigurableApplicationContext context) {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    private HttpResponse<String> call(int port, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Authorization", ADMIN)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}

package io.bridge.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.BridgeApplication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
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

    /** The bundle, as a separate run, on a file database in a temporary directory (or SPRING_DATASOURCE_URL's). */
    private ConfigurableApplicationContext start() {
        String url = System.getenv().getOrDefault("SPRING_DATASOURCE_URL", "jdbc:hsqldb:file:" + data.resolve("bridge") + ";shutdown=true");
        return new SpringApplicationBuilder(BridgeApplication.class).profiles("test").run(
                "--spring.config.location=file:./application.yaml,classpath:/", "--server.port=0", "--spring.datasource.url=" + url,
                "--bridge.iterable.api-key=" + io.bridge.support.StandIns.API_KEY);
    }

    private static int port(ConfigurableApplicationContext context) {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    private HttpResponse<String> call(int port, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Authorization", ADMIN)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}

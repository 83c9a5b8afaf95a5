package io.bridge.support;

import static io.bridge.support.Waiting.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bridge.webhooks.MonthUsers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.ContextConfiguration;

/**
 * The whole bundle on a random port with its real routes and a real database; tests speak HTTP to
 * it and read the tables. Every test starts from empty state (every bridge table empty, the
 * stand-ins as new, a healthy database) and leaves nothing running: after each test, the runs it
 * started and every exchange in flight end before the next test begins. On PostgreSQL each context
 * has a schema of its own ({@link SchemaPerContext}).
 */
@CamelSpringBootTest
// ./application.yaml would outrank application-test.yaml (files outside the jar beat profile files
// inside it); listed first, it ranks below the test profile.
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.config.location=file:./application.yaml,classpath:/")
@ActiveProfiles("test")
@Import(BridgeTestConfiguration.class)
@ContextConfiguration(initializers = SchemaPerContext.class)
public abstract class BridgeHttpTest {

    /** How long a test waits for what it expects to happen: generous, for a busy CI machine; the wait ends once it holds. */
    protected static final Duration PATIENCE = Duration.ofSeconds(30);

    protected static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @LocalServerPort
    protected int port;
    @Autowired
    protected JdbcTemplate jdbc;
    @Autowired
    protected DataSource dataSource;
    @Autowired
    protected CamelContext camelContext;
    @Autowired
    private MonthUsers monthUsers;

    @BeforeEach
    void startFromEmptyState() {
        database().inject(FaultInjectingDataSource.Fault.NONE);
        BridgeTables.empty(jdbc);
        monthUsers.forget(); // month_users was emptied behind its back
        StandIns.resetAll();
    }

    /** Heals the database, then waits until no run is going and no exchange is in flight. */
    @AfterEach
    void leaveNothingRunning() {
        database().inject(FaultInjectingDataSource.Fault.NONE);
        StandIns.releaseAll(); // a call a test held would keep its run going
        await("no run going and no exchange in flight").atMost(PATIENCE).until(
                () -> runsGoing() == 0 && camelContext.getInflightRepository().size() == 0);
    }

    private int runsGoing() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM sync_runs WHERE status = 'running'", Integer.class);
    }

    protected FaultInjectingDataSource database() {
        return (FaultInjectingDataSource) dataSource;
    }

    /** Basic credentials of the test users (application-test.yaml). */
    protected static final String ADMIN = basic("test-admin", "test-admin-password");
    protected static final String VIEWER = basic("test-viewer", "test-viewer-password");

    protected static String basic(String user, String password) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A request as the test ADMIN to /api paths, unless the headers carry their own Authorization. */
    protected HttpResponse<String> request(String method, String path, String body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        if (path.startsWith("/api/") && headers.keySet().stream().noneMatch("Authorization"::equalsIgnoreCase)) {
            request.header("Authorization", ADMIN);
        }
        return send(request.build());
    }

    protected HttpResponse<String> post(String path, String body, Map<String, String> headers) {
        return request("POST", path, body, headers);
    }

    protected HttpResponse<String> get(String path) {
        return request("GET", path, null, Map.of());
    }

    protected HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Bytes as written (ISO-8859-1: a control character goes as it is, which Java's HttpClient would
     * refuse to send) on a connection of its own, and all the bridge answers until it closes it.
     */
    protected String raw(String request) {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) PATIENCE.toMillis());
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    protected URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    protected static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    protected int count(String table) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM " + table, Integer.class);
    }
}

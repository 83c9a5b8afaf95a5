package io.bridge.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static io.bridge.support.Waiting.await;

import io.bridge.support.BridgeHttpTest;
import java.io.IOException;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Editing the route files of a running bridge, as integration engineers do: a saved file replaces
 * its own routes and nothing else; a file that fails to load leaves its previous routes running;
 * readiness says when a route is missing. Runs on a copy of routes/ in a temporary folder.
 */
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@ExtendWith(OutputCaptureExtension.class)
class RouteReloadTest extends BridgeHttpTest {

    static final Path ROUTES = copyOfRoutes();
    static final Path MTU = ROUTES.resolve("mtu-report.camel.yaml");
    static final String ORIGINAL = read(MTU);
    static final String SHIPPED_ANSWER = "query parameter month is required as YYYY-MM";
    /** A second endpoint, added to the file and then removed. */
    static final String EXTRA_ENDPOINT = """

            - rest:
                path: /api/mtu-extra
                get:
                  - to: direct:mtu-extra
            - route:
                id: mtu-extra
                from:
                  uri: direct:mtu-extra
                  steps:
                    - setBody:
                        constant: extra
            """;

    @DynamicPropertySource
    static void watchTheCopy(DynamicPropertyRegistry registry) {
        registry.add("camel.main.routes-include-pattern", () -> "file:" + ROUTES + "/*.camel.yaml");
        registry.add("bridge.routes.reload", () -> "true");
        registry.add("logging.level.io.bridge.routing", () -> "INFO");
        registry.add("bridge.routes.directory", ROUTES::toString);
    }

    @Autowired
    CamelContext camel;

    @AfterEach
    void putTheFileBack() throws IOException {
        if (!read(MTU).equals(ORIGINAL)) {
            Files.writeString(MTU, ORIGINAL);
            awaitTrue("mtu-report back as shipped", () -> badMonthAnswer().contains(SHIPPED_ANSWER));
        }
    }

    @Test
    void savingAFileReplacesItsRoutesAndLeavesTheOthersRunning() throws IOException {
        Map<String, Route> before = routes();
        String edited = ORIGINAL.replace(SHIPPED_ANSWER, "edited on a running bridge") + EXTRA_ENDPOINT;
        assertThat(edited).doesNotContain(SHIPPED_ANSWER);

        Files.writeString(MTU, edited);

        awaitTrue("the edited answer", () -> badMonthAnswer().contains("edited on a running bridge"));
        assertThat(get("/api/mtu-extra").body()).isEqualTo("extra");
        assertThat(json(get("/api/openapi.json")).path("paths").has("/api/mtu-extra")).as("the contract follows the file").isTrue();
        Files.writeString(MTU, ORIGINAL.replace(SHIPPED_ANSWER, "edited again"));
        awaitTrue("the file without the extra endpoint", () -> badMonthAnswer().contains("edited again"));
        assertThat(json(get("/api/openapi.json")).path("paths").has("/api/mtu-extra"))
                .as("and forgets what the file no longer declares").isFalse();
        Map<String, Route> after = routes();
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((id, route) -> {
            assertThat(camel.getRouteController().getRouteStatus(id)).as(id).isEqualTo(ServiceStatus.Started);
            if (!id.equals("mtu-report")) {
                assertThat(after.get(id)).as(id + " was not touched").isSameAs(route);
            }
        });
        assertThat(post("/webhooks/iterable", "{\"email\":\"r@x.com\",\"eventName\":\"emailOpen\"}",
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token")).statusCode()).isEqualTo(200);
        assertThat(get("/api/mtu?month=2026-11").statusCode()).isEqualTo(200);
        assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
    }

    @Test
    void aFileThatFailsToLoadLeavesItsPreviousRoutesRunning(CapturedOutput output) throws IOException {
        for (String broken : List.of(
                ORIGINAL.replace("uri: jdbc:dataSource", "uri: no-such-component:dataSource"), // cannot be created
                ORIGINAL.replace("to: direct:mtu-report", "to: no-such-component:mtu-report"), // nor can its REST verb's
                ORIGINAL + "\n- route:\n    id: broken\n    from:\n      uri: direct:x\n      steps:\n        - noSuchStep: {}\n")) {
            int failures = failures(output);
            Files.writeString(MTU, broken);
            awaitTrue("the log says the file was not loaded", () -> failures(output) > failures);
            awaitTrue("the previous mtu-report runs", () -> camel.getRouteController().getRouteStatus("mtu-report") == ServiceStatus.Started);

            assertThat(camel.getRouteController().getRouteStatus("mtu-report")).isEqualTo(ServiceStatus.Started);
            HttpResponse<String> mtu = get("/api/mtu?month=2026-11");
            assertThat(mtu.statusCode()).as(mtu.body()).isEqualTo(200);
            assertThat(camel.getRoute("broken")).isNull();
            assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void readinessIsDownWhileARouteIsNotRunning() throws Exception {
        camel.getRouteController().stopRoute("mtu-report");
        try {
            HttpResponse<String> readiness = get("/actuator/health/readiness");
            assertThat(readiness.statusCode()).isEqualTo(503);
            assertThat(readiness.body()).contains("DOWN");
        } finally {
            camel.getRouteController().startRoute("mtu-report");
        }
        assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
    }

    private static int failures(CapturedOutput output) {
        return output.getOut().split("mtu-report.camel.yaml was not loaded", -1).length - 1;
    }

    private Map<String, Route> routes() {
        Map<String, Route> routes = new java.util.TreeMap<>();
        camel.getRoutes().forEach(route -> routes.put(route.getRouteId(), route));
        return routes;
    }

    /** What GET /api/mtu answers to a month it cannot read: a step of the route under edit. */
    private String badMonthAnswer() {
        return get("/api/mtu?month=13").body();
    }

    private static void awaitTrue(String what, BooleanSupplier condition) {
        await(what).atMost(PATIENCE).until(condition::getAsBoolean);
    }

    private static Path copyOfRoutes() {
        try {
            Path dir = Files.createTempDirectory("bridge-routes");
            try (Stream<Path> files = Files.list(Path.of("routes"))) {
                for (Path file : files.toList()) {
                    Files.copy(file, dir.resolve(file.getFileName()));
                }
            }
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

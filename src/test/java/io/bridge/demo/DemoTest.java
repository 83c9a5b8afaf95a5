package io.bridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bridge.BridgeApplication;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import io.bridge.support.Waiting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The demo as the README runs it ({@code BRIDGE_SECURITY_ADMIN_PASSWORD='{noop}pick-one'}, profile
 * demo, nothing else): every control-plane example of the README runs as written, Iterable can be
 * connected again after {@code DELETE /api/integration} and a restart, and after a restart (the
 * stand-ins forget their lists, the demo database remembers) the list holds exactly the cohort.
 */
class DemoTest {

    static final String LIST = "mixpanel_Demo power users_1001";
    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path data;

    @Test
    void theReadmesControlPlaneExamplesRunAsWrittenAndTheDemoSurvivesARestart() throws Exception {
        int mixpanelPort = BridgeProcess.freePort();
        int iterablePort = BridgeProcess.freePort();
        try (ConfigurableApplicationContext demo = start(mixpanelPort, iterablePort)) {
            int port = port(demo);
            await(() -> "succeeded".equals(lastRun(port).path("status").asText()), "the demo's first dynamic sync");

            String script = controlPlaneExamples().replace("localhost:8080", "localhost:" + port);
            Path file = data.resolve("examples.sh");
            // each example once the previous one's runs have ended, as when a reader types them; an
            // HTTP error fails the script
            Files.writeString(file, "set -euo pipefail\n"
                    + "curl() {\n"
                    + "  while command curl -s $A localhost:" + port + "/api/exports | grep -q '\"status\":\"running\"'; do sleep 0.2; done\n"
                    + "  echo \"+ curl $*\" >&2\n"
                    + "  command curl -sS --fail-with-body \"$@\"\n"
                    + "  echo\n"
                    + "}\n" + script);
            Process bash = new ProcessBuilder("bash", file.toString()).redirectErrorStream(true).start();
            assertThat(bash.waitFor(3, TimeUnit.MINUTES)).isTrue();
            String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(bash.exitValue()).as(output).isZero();
            assertThat(output).contains("\"connected\":true").contains("\"id\":1234")
                    .contains(",skipped-no-email,").contains("integration.connect").contains("\"connected\":false");
        }

        // a restart: the stand-ins start empty, the demo's database remembers the list and the disconnection
        try (ConfigurableApplicationContext demo = start(mixpanelPort, iterablePort, "--bridge.exports.dynamic-cron=0 0 0 1 1 ? 2099")) {
            int port = port(demo);
            assertThat(send(port, "GET", "/api/exports", null).body()).as("what keeps export off")
                    .contains("Iterable was disconnected (DELETE /api/integration); connect it again with PUT /api/integration");
            HttpResponse<String> connect = send(port, "PUT", "/api/integration", "{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY\"}");
            assertThat(connect.statusCode()).as(connect.body()).isEqualTo(200);
            int before = lastRun(port).path("runId").asInt();
            assertThat(send(port, "POST", "/api/exports/1001/run", null).statusCode()).isEqualTo(202);
            await(() -> lastRun(port).path("runId").asInt() > before && "succeeded".equals(lastRun(port).path("status").asText()),
                    "the first sync after the restart");

            Set<String> cohort = demo.getBean(FakeMixpanel.class).members(1001).stream().map(FakeMixpanel.Member::email)
                    .filter(Objects::nonNull).map(email -> email.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
            assertThat(demo.getBean(FakeIterable.class).members(LIST)).as(lastRun(port).toString()).isEqualTo(cohort);
        }
    }

    /** The README's control-plane block, as a reader copies it. */
    static String controlPlaneExamples() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("\n## Control plane\n");
        int start = readme.indexOf("```sh\n", section) + "```sh\n".length();
        return readme.substring(start, readme.indexOf("\n```\n", start) + 1);
    }

    /** The demo as the README starts it; ports of its own, so that it runs next to anything else. */
    private ConfigurableApplicationContext start(int mixpanelPort, int iterablePort, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("--server.port=0", "--bridge.data-dir=" + data.resolve("demo"),
                // the demo's own file database, also when the tests run on PostgreSQL (SPRING_DATASOURCE_*)
                "--spring.datasource.url=jdbc:hsqldb:file:" + data.resolve("demo/bridge") + ";shutdown=true",
                "--spring.datasource.username=SA", "--spring.datasource.password=",
                "--bridge.security.admin.password={noop}pick-one", "--camel.component.jolokia.enabled=false",
                "--bridge.demo.mixpanel-port=" + mixpanelPort, "--bridge.demo.iterable-port=" + iterablePort,
                "--logging.level.root=WARN"));
        args.addAll(List.of(more));
        return new SpringApplicationBuilder(BridgeApplication.class).profiles("demo").run(args.toArray(String[]::new));
    }

    private static int port(ConfigurableApplicationContext context) {
        return Integer.parseInt(Objects.requireNonNull(context.getEnvironment().getProperty("local.server.port")));
    }

    private JsonNode lastRun(int port) {
        try {
            return JSON.readTree(send(port, "GET", "/api/exports/1001/runs", null).body()).path(0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> send(int port, String method, String path, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("admin:pick-one".getBytes(StandardCharsets.UTF_8)))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void await(BooleanSupplier condition, String what) {
        Waiting.await(what).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(condition::getAsBoolean);
    }
}

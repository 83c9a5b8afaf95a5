package io.bridge.startup;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An integration engineer's mistake in a route file stops the start with a report that says where
 * (file and line, or the route's id) and what Camel could not make of it, without a stack trace, and
 * the JVM exits (a pod restarts instead of staying up with nothing serving). The bundle runs as its
 * own JVM, with a copy of the shipped routes, one line changed.
 */
class RouteFileErrorTest {

    static final Path ROOT = Path.of(System.getProperty("user.dir"));
    static final String WEBHOOKS = "iterable-webhooks.camel.yaml";

    @TempDir
    Path routes;
    @TempDir
    Path data;
    @TempDir
    Path logs;

    @Test
    void aMisspelledStepNamesTheFileAndTheLine() throws Exception {
        int line = change("        - setProperty:\n            id: remember-content-encoding",
                "        - setPropertyy:\n            id: remember-content-encoding");
        String log = failedStart("misspelled.log");
        assertThat(log).contains("A route file could not be loaded: Unknown node id: setPropertyy")
                .contains("Fix the route file at that line")
                .contains(routes.resolve(WEBHOOKS).toString()).contains("line " + line + ",");
    }

    @Test
    void anUnknownComponentNamesTheRouteItsFileAndTheScheme() throws Exception {
        change("      uri: servlet:/iterable\n", "      uri: servlett:/iterable\n");
        String log = failedStart("unknown-component.log");
        assertThat(log).contains("Route iterable-webhook-intake (file:" + routes.resolve(WEBHOOKS) + ")")
                .contains("could not be created: No endpoint could be found for: servlett:")
                .contains("Fix what it names and start again");
    }

    @Test
    void aSettingTheRouteReadsButNobodySetNamesTheSetting() throws Exception {
        change("                  constant: iterable\n", "                  constant: \"{{bridge.no-such-setting}}\"\n");
        String log = failedStart("missing-setting.log");
        assertThat(log).contains("Route iterable-webhook-intake, at step Split[").contains("SetHeader[eventSource")
                .contains("could not be created: Property with key [bridge.no-such-setting] not found")
                .contains("a setting the route reads");
    }

    @Test
    void anEndpointsSecretQuotedInTheErrorIsMasked() throws Exception {
        change("      uri: servlet:/iterable\n", "      uri: servlet:/iterable?password=route-secret-4711\n");
        String log = failedStart("secret-in-uri.log");
        assertThat(log).contains("A route file could not be loaded").contains("password=****")
                .contains(routes.resolve(WEBHOOKS) + ", line ").doesNotContain("route-secret-4711");
    }

    /** Copies the shipped routes, changes one place in the webhook file; the 1-based line where it is. */
    private int change(String from, String to) throws IOException {
        try (Stream<Path> files = Files.list(ROOT.resolve("routes"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).toList()) {
                Files.copy(file, routes.resolve(file.getFileName()));
            }
        }
        Path webhooks = routes.resolve(WEBHOOKS);
        String text = Files.readString(webhooks);
        int at = text.indexOf(from);
        assertThat(at).as("the shipped route still has %s", from).isNotNegative();
        Files.writeString(webhooks, text.substring(0, at) + to + text.substring(at + from.length()));
        List<String> before = text.substring(0, at).lines().toList();
        return before.size() + 1;
    }

    private String failedStart(String logName) throws Exception {
        try (BridgeProcess bridge = BridgeProcess.start(ROOT, logs.resolve(logName),
                Map.of("CAMEL_MAIN_ROUTESINCLUDEPATTERN", "file:" + routes + "/*.camel.yaml"), "--bridge.data-dir=" + data)) {
            assertThat(bridge.awaitExit(Duration.ofMinutes(2))).isNotZero();
            String log = bridge.output();
            assertThat(log).contains("APPLICATION FAILED TO START").contains("Camel's YAML DSL schema lists every step")
                    .doesNotContain("Started BridgeApplication")
                    .doesNotContain("\tat ").doesNotContain(" at org.").doesNotContain("Caused by");
            return log;
        }
    }
}

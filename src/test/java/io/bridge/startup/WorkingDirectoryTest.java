package io.bridge.startup;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge reads ./application.yaml and ./routes/*.camel.yaml from its working directory. Started from
 * anywhere else, it stops at once and says so (not "bridge.security.admin.password is set but bridge.security.admin.username is not"),
 * without a stack trace and without leaving a database behind. The bundle runs as its own JVM.
 */
class WorkingDirectoryTest {

    static final Path ROOT = Path.of(System.getProperty("user.dir"));

    @TempDir
    Path elsewhere;
    @TempDir
    Path logs;

    @Test
    void startedFromAnotherDirectoryItSaysThatApplicationYamlAndRoutesWereNotFound() throws Exception {
        try (BridgeProcess bridge = BridgeProcess.start(elsewhere, logs.resolve("elsewhere.log"), Map.of())) {
            assertThat(bridge.awaitExit(Duration.ofMinutes(2))).isNotZero();
            String log = bridge.output();
            assertThat(log).contains("APPLICATION FAILED TO START")
                    .contains(elsewhere.resolve("application.yaml").toString())
                    .contains(elsewhere.resolve("routes").toString())
                    .contains("Run the bridge from the directory that holds application.yaml and routes/")
                    .contains("SPRING_CONFIG_ADDITIONAL_LOCATION").contains("CAMEL_MAIN_ROUTESINCLUDEPATTERN")
                    .doesNotContain("bridge.security.admin.username is not")
                    .doesNotContain("\tat ").doesNotContain("Caused by");
            assertThat(Files.exists(elsewhere.resolve("data"))).as("no database made in the wrong place").isFalse();
        }
    }

    @Test
    void withSettingsButNoRouteFilesItSaysWhichRoutesItLookedFor() throws Exception {
        Files.copy(ROOT.resolve("application.yaml"), elsewhere.resolve("application.yaml"));
        try (BridgeProcess bridge = BridgeProcess.start(elsewhere, logs.resolve("no-routes.log"), Map.of())) {
            assertThat(bridge.awaitExit(Duration.ofMinutes(2))).isNotZero();
            String log = bridge.output();
            assertThat(log).contains("APPLICATION FAILED TO START").contains("file:routes/*.camel.yaml")
                    .contains(elsewhere.resolve("routes").toString()).doesNotContain("\tat ");
        }
    }

    @Test
    void settingsAndRoutesFromElsewhereWhenTheEnvironmentSaysWhere() throws Exception {
        try (BridgeProcess bridge = BridgeProcess.start(elsewhere, logs.resolve("pointed.log"), Map.of(
                "SPRING_CONFIG_ADDITIONAL_LOCATION", "file:" + ROOT + "/",
                "CAMEL_MAIN_ROUTESINCLUDEPATTERN", "file:" + ROOT + "/routes/*.camel.yaml"), "--bridge.data-dir=" + elsewhere.resolve("data"))) {
            assertThat(bridge.awaitStarted(Duration.ofMinutes(2))).as(bridge.output()).isTrue();
            assertThat(bridge.call("GET", "/api/integration", null).statusCode()).isEqualTo(200);
        }
    }
}

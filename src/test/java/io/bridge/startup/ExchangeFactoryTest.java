package io.bridge.startup;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pooled exchanges break the webhook intake's group commit: a bridge told to use them (here from the
 * environment, as on Kubernetes) does not start, says which setting to remove, and exits (a pod
 * restarts instead of staying up with nothing serving). The bundle runs as its own JVM.
 */
class ExchangeFactoryTest {

    static final Path ROOT = Path.of(System.getProperty("user.dir"));

    @TempDir
    Path data;
    @TempDir
    Path logs;

    @Test
    void pooledExchangesStopTheStartAndNameTheSetting() throws Exception {
        try (BridgeProcess bridge = BridgeProcess.start(ROOT, logs.resolve("pooled.log"), Map.of("CAMEL_MAIN_EXCHANGEFACTORY", "pooled"),
                "--bridge.data-dir=" + data)) {
            assertThat(bridge.awaitExit(Duration.ofMinutes(2))).isNotZero();
            String log = bridge.output();
            assertThat(log).contains("APPLICATION FAILED TO START")
                    .contains("camel.main.exchange-factory: pooled")
                    .contains("Remove camel.main.exchange-factory (or set it to prototype, the default)")
                    .contains("CAMEL_MAIN_EXCHANGEFACTORY")
                    .doesNotContain("Started BridgeApplication")
                    .doesNotContain("Started iterable-webhook-intake")
                    .doesNotContain("\tat ").doesNotContain("Caused by");
        }
    }
}

package io.bridge.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.component.jolokia.springboot.JolokiaComponentAutoConfiguration;
import org.jolokia.support.spring.SpringJolokiaAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Jolokia agent alone (camel-jolokia-starter and ./application.yaml; no database, no routes):
 * what start-up says when it cannot start.
 */
@ExtendWith(OutputCaptureExtension.class)
class JolokiaStartupTest {

    @Test
    void aTakenPortIsNamedWithTheSettingToChange(CapturedOutput output) {
        // a first copy of the bridge holds the port; a second one starts with the same settings
        try (ConfigurableApplicationContext first = start("camel.component.jolokia.server-config.host=0.0.0.0")) {
            int port = first.getBean(SpringJolokiaAgent.class).getAddress().getPort();

            assertThatThrownBy(() -> start("camel.component.jolokia.server-config.port=" + port,
                    "camel.component.jolokia.server-config.host=0.0.0.0").close());

            assertThat(output.getOut() + output.getErr()).contains("APPLICATION FAILED TO START")
                    .contains("Jolokia").contains("port " + port).contains("JOLOKIA_PORT")
                    .contains("camel.component.jolokia.server-config.port").doesNotContain("\tat ");
        }
    }

    /** The agent with ./application.yaml, as the bridge runs it, and these settings on the command line. */
    private static ConfigurableApplicationContext start(String... properties) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String setting : List.of("camel.component.jolokia.server-config.port=0", "camel.component.jolokia.server-config.host=127.0.0.1",
                "camel.component.jolokia.kubernetes-discover=false", "spring.main.banner-mode=off", "logging.level.root=WARN")) {
            settings.put(setting.substring(0, setting.indexOf('=')), setting);
        }
        for (String setting : properties) {
            settings.put(setting.substring(0, setting.indexOf('=')), setting);
        }
        return new SpringApplicationBuilder(JolokiaComponentAutoConfiguration.class)
                .web(WebApplicationType.NONE).run(settings.values().stream().map(setting -> "--" + setting).toArray(String[]::new));
    }
}

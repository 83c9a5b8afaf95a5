package io.bridge.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bridge.security.JolokiaAccess;
import io.bridge.support.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
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
 * The Jolokia agent alone (camel-jolokia-starter, ./application.yaml and the bridge's access
 * settings; no database, no routes): what start-up says when it cannot or must not start, and the network-policy mode.
 */
@ExtendWith(OutputCaptureExtension.class)
class JolokiaStartupTest {

    private static final ObjectMapper JSON = new ObjectMapper();

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

    @Test
    void authenticationIsNeverOffWithoutTheNetworkPolicyAcknowledged(CapturedOutput output) {
        assertThatThrownBy(() -> start("bridge.monitoring.jolokia.auth=network-policy").close());

        assertThat(output.getOut() + output.getErr()).contains("APPLICATION FAILED TO START")
                .contains("bridge.monitoring.jolokia.network-policy-acknowledged=true")
                .contains("k8s/overlays/hawtio-online-networkpolicy").doesNotContain("\tat ");
    }

    @Test
    void noServerConfigKeyChangesHowJolokiaAuthenticates(CapturedOutput output) {
        for (String weakening : List.of("camel.component.jolokia.server-config.authClass=", "camel.component.jolokia.server-config.user=x",
                "camel.component.jolokia.server-config.useSslClientAuthentication=false",
                "camel.component.jolokia.server-config.restrictorClass=org.apache.camel.component.jolokia.springboot.restrictor.CamelRestrictor",
                "camel.component.jolokia.expose-application-context=true")) {
            assertThatThrownBy(() -> start(weakening).close()).as(weakening).hasStackTraceContaining(weakening.substring(0, weakening.indexOf('=')));
        }
        assertThat(output.getOut() + output.getErr()).contains("bridge.monitoring.jolokia.auth").doesNotContain("\tat ");
    }

    @Test
    void clientCertificatesNeedTheCa(CapturedOutput output) {
        assertThatThrownBy(() -> start("bridge.monitoring.jolokia.auth=client-cert",
                "bridge.monitoring.jolokia.ca-cert=/nonexistent/service-ca.crt").close());

        assertThat(output.getOut() + output.getErr()).contains("/nonexistent/service-ca.crt")
                .contains("bridge.monitoring.jolokia.ca-cert").doesNotContain("\tat ");
    }

    @Test
    void behindTheNetworkPolicyHawtioOnlineConnectsWithHttpsAndStillOnlyReadsCamel() throws Exception {
        try (ConfigurableApplicationContext agent = start("bridge.monitoring.jolokia.auth=network-policy",
                "bridge.monitoring.jolokia.network-policy-acknowledged=true")) {
            int port = agent.getBean(SpringJolokiaAgent.class).getAddress().getPort();
            HttpClient hawtioOnline = TestCertificates.https(null); // Hawtio Online's default: https, no client certificate here

            HttpResponse<String> version = hawtioOnline.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/jolokia/version"))
                    .timeout(TestCertificates.ANSWER).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(version.statusCode()).as(version.body()).isEqualTo(200);

            List<String> refused = new ArrayList<>();
            for (String path : List.of("/read/java.lang:type=Runtime/InputArguments", "/exec/java.lang:type=Memory/gc()",
                    "/exec/org.apache.camel:context=bridge,type=context,name=%22bridge%22/stop()")) {
                HttpResponse<String> answer = hawtioOnline.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/jolokia" + path))
                        .timeout(TestCertificates.ANSWER).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (JSON.readTree(answer.body()).path("status").asInt() == 403) {
                    refused.add(path);
                }
            }
            assertThat(refused).as("the read-only restrictor applies").hasSize(3);
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
        return new SpringApplicationBuilder(JolokiaComponentAutoConfiguration.class, JolokiaAccess.class)
                .web(WebApplicationType.NONE).run(settings.values().stream().map(setting -> "--" + setting).toArray(String[]::new));
    }
}

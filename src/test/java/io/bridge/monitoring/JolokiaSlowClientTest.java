package io.bridge.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeHttpTest;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.camel.test.spring.junit5.DisableJmx;
import org.jolokia.support.spring.SpringJolokiaAgent;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

/** Clients that open a connection to Jolokia and never finish their request block nobody else. */
@DisableJmx(false) // as AccessControlTest: the two share one context
@TestPropertySource(properties = {"camel.component.jolokia.enabled=true", "camel.component.jolokia.server-config.port=0",
        "camel.component.jolokia.kubernetes-discover=false"})
class JolokiaSlowClientTest extends BridgeHttpTest {

    @Autowired
    SpringJolokiaAgent jolokia;

    @Test
    void halfOpenConnectionsDoNotBlockTheAdmin() throws IOException {
        URI agent = URI.create(jolokia.getUrl());
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Socket socket = new Socket(agent.getHost(), agent.getPort());
                socket.getOutputStream().write("GET /jolokia/version HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                stalled.add(socket);
            }
            HttpResponse<String> version = send(HttpRequest.newBuilder(URI.create(jolokia.getUrl().replaceAll("/$", "") + "/version"))
                    .header("Authorization", ADMIN).timeout(Duration.ofSeconds(5)).GET().build());
            assertThat(version.statusCode()).isEqualTo(200);
            assertThat(version.body()).contains("\"agent\"");
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }
}

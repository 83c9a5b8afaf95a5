package io.bridge.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeHttpTest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * A body must arrive whole within server.tomcat.connection-timeout: Tomcat's own timeout waits
 * that long for each piece, so a sender trickling a byte at a time would otherwise hold its share
 * of the webhooks' memory budget (max-bytes-in-flight) for as long as it liked.
 */
@TestPropertySource(properties = {"server.tomcat.connection-timeout=3s", "bridge.webhooks.iterable.max-bytes-in-flight=1500000"})
class SlowBodyTest extends BridgeHttpTest {

    static final Map<String, String> AUTHORIZED = Map.of(
            "Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token");

    @Test
    void aBodyTrickledPastTheConnectionTimeoutIsCutOffWith408AndItsBudgetComesBack() throws Exception {
        String big = "{\"email\":\"big@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"pad\":\"" + "a".repeat(1_000_000) + "\"}}";
        long started = System.nanoTime();
        try (Socket trickling = new Socket("127.0.0.1", port)) {
            trickling.setSoTimeout(30_000);
            OutputStream out = trickling.getOutputStream();
            out.write(("POST /webhooks/iterable HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: OAuth2 test-webhook-token\r\nContent-Length: " + big.length() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = null;
            for (int i = 0; i < 100 && answer == null; i++) { // a byte each 200 ms: within Tomcat's 3 s for each, not for the whole
                try {
                    out.write(big.charAt(i));
                    out.flush();
                } catch (IOException closedByTheBridge) {
                    break;
                }
                Thread.sleep(200);
                if (trickling.getInputStream().available() > 0) {
                    answer = new String(trickling.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            if (answer == null) {
                answer = new String(trickling.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            }

            assertThat(answer).startsWith("HTTP/1.1 408 ").contains("\"error\":\"request_timeout\"")
                    .contains("the body did not arrive within 3 s (server.tomcat.connection-timeout)");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("cut off at the timeout, not when the sender stops")
                    .isLessThan(Duration.ofSeconds(10));
        }
        assertThat(post("/webhooks/iterable", big, AUTHORIZED).statusCode()).as("its share of the budget is back").isEqualTo(200);
    }

}

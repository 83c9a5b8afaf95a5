package io.bridge.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeHttpTest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;

/**
 * While the port is open but Camel is not running (start-up, shutdown), a correct delivery gets
 * 503 with Retry-After, which Iterable retries, not a 401 or 404 it would give up on.
 */
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class StartupWindowTest extends BridgeHttpTest {

    @Autowired
    CamelContext camel;

    @Test
    void aDeliveryWhileCamelIsNotRunningGets503WithRetryAfter() {
        camel.stop();

        HttpResponse<String> response = post("/webhooks/iterable", "{\"email\":\"s@x.com\",\"eventName\":\"emailOpen\"}",
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token"));
        HttpResponse<String> api = get("/api/exports");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(json(response).get("error").asText()).isEqualTo("starting");
        assertThat(api.statusCode()).isEqualTo(503);
        assertThat(post("/webhooks/iterable", "{}", Map.of("Content-Type", "application/json")).statusCode())
                .as("credentials are still checked first").isEqualTo(401);
    }
}

package io.bridge.http;

import static org.assertj.core.api.Assertions.assertThat;
import static io.bridge.support.Waiting.await;

import io.bridge.support.BridgeHttpTest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;

/**
 * Deliveries being handled share a memory budget (bridge.webhooks.iterable.max-bytes-in-flight):
 * past it a delivery gets 503 with Retry-After before its body is read, so no number of concurrent
 * maximum-size deliveries can run the heap out; and no delivery carries more events than
 * bridge.webhooks.iterable.max-events-per-delivery.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {"bridge.webhooks.iterable.max-bytes-in-flight=1500000",
        "bridge.webhooks.iterable.max-events-per-delivery=50"})
class WebhookMemoryBudgetTest extends BridgeHttpTest {

    static final Map<String, String> AUTHORIZED = Map.of(
            "Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token");

    @Test
    void pastTheBudgetADeliveryIsToldToComeBackAndNothingIsRead(CapturedOutput output) throws IOException {
        String big = bigEvent("big@x.com", 1_000_000);
        try (Socket held = new Socket("127.0.0.1", port)) {
            // a delivery of 1,000,000 bytes whose body is still arriving holds its share of the budget
            OutputStream out = held.getOutputStream();
            out.write(("POST /webhooks/iterable HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: OAuth2 test-webhook-token\r\nContent-Length: " + big.length() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(big.substring(0, 1000).getBytes(StandardCharsets.UTF_8));
            out.flush();
            awaitHeld();

            HttpResponse<String> second = post("/webhooks/iterable", big, AUTHORIZED);
            HttpResponse<String> small = post("/webhooks/iterable", "{\"email\":\"small@x.com\",\"eventName\":\"emailOpen\"}", AUTHORIZED);

            assertThat(second.statusCode()).as(second.body()).isEqualTo(503);
            assertThat(json(second).get("error").asText()).isEqualTo("busy");
            assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(small.statusCode()).as("a small delivery still fits").isEqualTo(200);
            assertThat(output.getAll()).as("a WARN line says so (at most one each 10 s, with the count)")
                    .containsPattern("WARN .* webhook deliveries refused with 503 busy since the last such line: [1-9][0-9]*; the deliveries being "
                            + "handled held bridge.webhooks.iterable.max-bytes-in-flight");
        }
        HttpResponse<String> retried = post("/webhooks/iterable", big, AUTHORIZED);
        assertThat(retried.statusCode()).as("the budget is back once the held delivery is gone").isEqualTo(200);
        assertThat(jdbc.queryForList("SELECT email FROM billable_events", String.class))
                .containsExactlyInAnyOrder("small@x.com", "big@x.com");
        assertThat(count("rejected_webhooks")).as("a 503 keeps nothing: nothing was read").isZero();
    }

    @Test
    void aDeliveryWithMoreEventsThanAllowedIs413AndKept() {
        StringBuilder many = new StringBuilder("[");
        for (int i = 0; i < 51; i++) {
            many.append(i == 0 ? "" : ",").append("{\"userId\":\"u-").append(i).append("\",\"eventName\":\"emailOpen\"}");
        }
        HttpResponse<String> response = post("/webhooks/iterable", many.append("]").toString(), AUTHORIZED);

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(json(response).get("message").asText()).contains("51 events").contains("at most 50");
        assertThat(count("billable_events")).isZero();
        assertThat(jdbc.queryForObject("SELECT http_status FROM rejected_webhooks", Integer.class)).isEqualTo(413);
    }

    /** Waits until the held delivery has taken its share: a delivery that needs more is refused. */
    private void awaitHeld() {
        await("the held delivery takes its share of the budget").atMost(PATIENCE).until(() -> {
            HttpResponse<String> probe = post("/webhooks/iterable", bigEvent("probe@x.com", 700_000), AUTHORIZED);
            jdbc.update("DELETE FROM billable_events"); // a probe that fitted is not part of the test
            return probe.statusCode() == 503;
        });
    }

    private static String bigEvent(String email, int size) {
        String head = "{\"email\":\"" + email + "\",\"eventName\":\"emailOpen\",\"dataFields\":{\"pad\":\"";
        String tail = "\"}}";
        return head + "a".repeat(size - head.length() - tail.length()) + tail;
    }
}

package io.bridge.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.MixpanelPushes;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code GET /api/rejected}: what the console shows of the deliveries the bridge refused. */
class RejectedDeliveriesTest extends BridgeHttpTest {

    @Test
    void theLatestRefusedDeliveriesComeNewestFirstWithTheirReason() {
        Map<String, String> iterable = Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token");
        assertThat(post("/webhooks/iterable", "{\"email\":\"a@x.com\"}", iterable).statusCode()).isEqualTo(400);
        assertThat(post("/webhooks/iterable", "[1,", iterable).statusCode()).isEqualTo(400);
        assertThat(post("/webhooks/mixpanel", "{\"action\":\"explode\"}", Map.of("Content-Type", "application/json",
                "Authorization", MixpanelPushes.TEST_AUTHORIZATION)).statusCode()).isEqualTo(400);

        HttpResponse<String> answer = get("/api/rejected");
        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode rejected = json(answer);
        assertThat(rejected).hasSize(3);
        assertThat(rejected.get(0).path("source").asText()).isEqualTo("mixpanel");
        assertThat(rejected.get(0).path("reason").asText()).contains("action");
        assertThat(rejected.get(1).path("source").asText()).isEqualTo("iterable");
        assertThat(rejected.get(2).path("reason").asText()).contains("eventName");
        assertThat(rejected.get(2).path("httpStatus").asInt()).isEqualTo(400);
        assertThat(rejected.get(0).path("id").asLong()).isGreaterThan(rejected.get(1).path("id").asLong());
        assertThat(Instant.parse(rejected.get(0).path("receivedAt").asText().replace("+00:00", "Z")))
                .isBetween(Instant.now().minusSeconds(60), Instant.now());
        assertThat(answer.body()).as("payloads stay in the database").doesNotContain("a@x.com");

        assertThat(json(get("/api/rejected?limit=1"))).hasSize(1);
        for (int i = 0; i < 20; i++) {
            post("/webhooks/iterable", "{\"email\":\"b@x.com\"}", iterable);
        }
        assertThat(json(get("/api/rejected"))).as("20 unless asked").hasSize(20);
        assertThat(json(get("/api/rejected?limit=100"))).hasSize(23);
        for (String limit : new String[] {"0", "101", "x", "-1", "1%20OR%201=1"}) {
            HttpResponse<String> bad = get("/api/rejected?limit=" + limit);
            assertThat(bad.statusCode()).as(limit).isEqualTo(400);
            assertThat(json(bad).path("message").asText()).contains("from 1 to 100");
        }
    }
}

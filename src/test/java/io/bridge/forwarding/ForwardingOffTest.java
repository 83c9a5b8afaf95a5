package io.bridge.forwarding;

import static io.bridge.support.Waiting.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.StandIns;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Without the Mixpanel service account, forwarding is off and says which settings are missing;
 * intake stores events as always, and nothing is sent or queued.
 */
class ForwardingOffTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();

    @DynamicPropertySource
    static void noAccount(DynamicPropertyRegistry registry) {
        registry.add("bridge.mixpanel.ingestion-url", MIXPANEL::baseUrl);
        registry.add("bridge.mixpanel.project-id", () -> StandIns.PROJECT); // the user name and secret are missing
        registry.add("bridge.forwarding.enabled", () -> ""); // as shipped: on when the account is configured
        registry.add("bridge.forwarding.poll-interval", () -> "100ms");
    }

    @Autowired
    Forwarder forwarder;

    @Test
    void withoutTheServiceAccountForwardingIsOffSaysWhyAndIntakeStoresAsAlways() {
        HttpResponse<String> stored = post("/webhooks/iterable",
                "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"createdAt\":\"2026-11-02 18:51:45 +00:00\"}}",
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token"));
        assertThat(stored.statusCode()).isEqualTo(200);
        assertThat(count("billable_events")).isOne();
        assertThat(count("forwarding_outbox")).as("nothing queued while off").isZero();

        HttpResponse<String> answer = request("GET", "/api/forwarding", null, Map.of("Authorization", VIEWER));
        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode status = json(answer);
        assertThat(status.path("enabled").asBoolean()).isFalse();
        assertThat(status.path("state").asText()).isEqualTo("off");
        assertThat(status.path("reason").asText()).contains("BRIDGE_MIXPANEL_USERNAME").contains("BRIDGE_MIXPANEL_SECRET")
                .doesNotContain("BRIDGE_MIXPANEL_PROJECTID");
        assertThat(status.path("missingSettings")).hasSize(2);

        long polls = forwarder.polls();
        await("five polls").atMost(PATIENCE).until(() -> forwarder.polls() >= polls + 5);
        assertThat(MIXPANEL.calls("/import")).isZero();

        HttpResponse<String> replay = post("/api/forwarding/replay", "{\"from\":\"2026-11-01T00:00:00Z\",\"to\":\"2026-12-01T00:00:00Z\"}",
                Map.of("Content-Type", "application/json"));
        assertThat(replay.statusCode()).isEqualTo(409);
        assertThat(json(replay).path("error").asText()).isEqualTo("forwarding_off");
        HttpResponse<String> wrong = post("/api/forwarding/replay", "{\"from\":\"yesterday\",\"to\":\"2026-12-01T00:00:00Z\"}",
                Map.of("Content-Type", "application/json"));
        assertThat(wrong.statusCode()).as("a wrong body is said first").isEqualTo(400);
        assertThat(json(wrong).path("message").asText()).contains("from");
    }
}

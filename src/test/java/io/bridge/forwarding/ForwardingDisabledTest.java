package io.bridge.forwarding;

import static io.bridge.support.Waiting.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.StandIns;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** bridge.forwarding.enabled=false with the account configured: nothing reaches Mixpanel, and the status says why. */
class ForwardingDisabledTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();

    @DynamicPropertySource
    static void turnedOff(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("bridge.forwarding.enabled", () -> "false");
        registry.add("bridge.forwarding.poll-interval", () -> "100ms");
    }

    @Autowired
    Forwarder forwarder;

    @Test
    void turnedOffNothingIsSentAndTheStatusSaysSo() {
        assertThat(post("/webhooks/iterable",
                "{\"email\":\"a@x.com\",\"eventName\":\"emailSend\",\"dataFields\":{\"createdAt\":\"2026-11-02 18:51:45 +00:00\"}}",
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token")).statusCode()).isEqualTo(200);
        assertThat(count("exempt_events")).isOne();
        long polls = forwarder.polls();
        await("five polls").atMost(PATIENCE).until(() -> forwarder.polls() >= polls + 5);
        assertThat(MIXPANEL.calls("/import")).isZero();
        assertThat(count("forwarding_outbox")).isZero();
        JsonNode status = json(get("/api/forwarding"));
        assertThat(status.path("state").asText()).isEqualTo("off");
        assertThat(status.path("reason").asText()).isEqualTo("bridge.forwarding.enabled is false");
    }
}

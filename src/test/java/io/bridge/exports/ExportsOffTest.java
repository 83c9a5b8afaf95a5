package io.bridge.exports;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeHttpTest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Without Mixpanel and Iterable settings the bundle runs (webhooks work) and says what is missing. */
class ExportsOffTest extends BridgeHttpTest {

    @Test
    void exportsSayWhichSettingsAreMissing() {
        var exports = json(get("/api/exports"));

        assertThat(exports.get("enabled").asBoolean()).isFalse();
        assertThat(exports.get("missingSettings").toString()).contains("bridge.mixpanel.project-id")
                .contains("bridge.mixpanel.secret").contains("bridge.iterable.api-key");
    }

    @Test
    void startingAnExportWhileOffIs409SayingWhatToSet() {
        HttpResponse<String> response = post("/api/exports", "{\"cohortId\":1,\"sync\":\"dynamic\"}",
                Map.of("Content-Type", "application/json"));

        assertThat(response.statusCode()).isEqualTo(409);
        assertThat(json(response).get("message").asText()).contains("BRIDGE_ITERABLE_APIKEY");
    }

    @Test
    void webhooksStillWork() {
        HttpResponse<String> response = post("/webhooks/iterable", "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}",
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token"));

        assertThat(response.statusCode()).isEqualTo(200);
    }
}

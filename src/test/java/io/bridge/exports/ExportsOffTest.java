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
        assertThat(json(response).get("message").asText()).contains("ITERABLE_API_KEY");
        HttpResponse<String> wrong = post("/api/exports", "{\"cohortId\":\"1\",\"sync\":\"dynamic\"}", Map.of("Content-Type", "application/json"));
        assertThat(wrong.statusCode()).as("a wrong body is said first: the settings are then the last thing to fix").isEqualTo(400);
        assertThat(json(wrong).get("message").asText()).contains("cohortId");
    }

    @Test
    void listingCohortsWithoutMixpanelIs409SayingWhatToSet() {
        for (String user : new String[] {ADMIN, VIEWER}) {
            HttpResponse<String> response = request("GET", "/api/cohorts", null, Map.of("Authorization", user));

            assertThat(response.statusCode()).as(response.body()).isEqualTo(409);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/json"));
            var problem = json(response);
            assertThat(problem.get("status").asInt()).isEqualTo(409);
            assertThat(problem.get("error").asText()).isEqualTo("mixpanel_not_configured");
            assertThat(problem.get("message").asText()).contains("Mixpanel is not configured")
                    .contains("BRIDGE_MIXPANEL_PROJECTID").contains("BRIDGE_MIXPANEL_SECRET");
        }
    }

    @Test
    void webhooksStillWork() {
        HttpResponse<String> response = post("/webhooks/iterable", "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}",
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token"));

        assertThat(response.statusCode()).isEqualTo(200);
    }
}

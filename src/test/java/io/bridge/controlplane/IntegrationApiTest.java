package io.bridge.controlplane;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.ExportTables;
import io.bridge.support.StandIns;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Connecting and disconnecting Iterable over /api/integration, against the Iterable stand-in. */
class IntegrationApiTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();
    static final String OTHER_KEY = "ffffeeeeddddccccbbbbaaaa99998888";

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("bridge.mixpanel.queries-per-hour", () -> "100000");
        registry.add("TEST_ITERABLE_KEY", () -> StandIns.API_KEY);
        registry.add("TEST_WRONG_KEY", () -> OTHER_KEY);
    }

    @AfterAll
    static void stopFakes() {
        MIXPANEL.close();
        ITERABLE.close();
    }

    @BeforeEach
    void fromConfiguration() {
        ExportTables.empty(jdbc);
    }

    HttpResponse<String> put(String body) {
        return request("PUT", "/api/integration", body, Map.of("Content-Type", "application/json"));
    }

    @Test
    void aConnectionFromConfigurationShowsOnlyTheKeysLastFourCharacters() {
        HttpResponse<String> response = get("/api/integration");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode status = json(response);
        assertThat(status.get("connected").asBoolean()).isTrue();
        assertThat(status.at("/iterable/apiKey").asText()).isEqualTo("****" + StandIns.API_KEY.substring(StandIns.API_KEY.length() - 4));
        assertThat(status.at("/iterable/keyFrom").asText()).contains("configuration");
        assertThat(status.at("/mixpanel/projectId").asText()).isEqualTo(StandIns.PROJECT);
        assertThat(response.body()).doesNotContain(StandIns.API_KEY);
    }

    @Test
    void aKeyIterableRefusesIs422WithIterablesMessageAndNothingChanges() {
        HttpResponse<String> response = put("{\"dataCenter\":\"EU\",\"apiKeyRef\":\"TEST_WRONG_KEY\"}");

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(json(response).get("message").asText()).contains("Invalid API key").contains("EU");
        assertThat(count("iterable_connection")).isZero();
        assertThat(count("audit_log")).isZero();
    }

    @Test
    void aKeyByReferenceConnectsAndTheAuditSaysWho() {
        HttpResponse<String> response = put("{\"dataCenter\":\"EU\",\"apiKeyRef\":\"TEST_ITERABLE_KEY\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).at("/iterable/dataCenter").asText()).isEqualTo("EU");
        assertThat(json(response).at("/iterable/keyFrom").asText()).isEqualTo("environment variable TEST_ITERABLE_KEY");
        assertThat(jdbc.queryForMap("SELECT key_ref, key_sealed FROM iterable_connection"))
                .containsEntry("KEY_REF", "TEST_ITERABLE_KEY").containsEntry("KEY_SEALED", null);
        assertThat(jdbc.queryForMap("SELECT actor, action, subject FROM audit_log"))
                .containsEntry("ACTOR", "test-admin").containsEntry("ACTION", "integration.connect");
    }

    @Test
    void aKeyInClearIsStoredEncryptedAndExportsUseIt() {
        HttpResponse<String> response = put("{\"dataCenter\":\"US\",\"apiKey\":\"" + StandIns.API_KEY + "\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        String sealed = jdbc.queryForObject("SELECT key_sealed FROM iterable_connection", String.class);
        assertThat(sealed).isNotBlank().doesNotContain(StandIns.API_KEY);
        assertThat(jdbc.queryForList("SELECT * FROM iterable_connection").toString()).doesNotContain(StandIns.API_KEY);

        MIXPANEL.cohort(31, "Sealed", members("a@x.com", "b@x.com"));
        assertThat(post("/api/exports", "{\"cohortId\":31,\"sync\":\"one-time\"}", Map.of("Content-Type", "application/json"))
                .statusCode()).isEqualTo(202);
        awaitRun(31);
        assertThat(ITERABLE.members("mixpanel_Sealed_31")).containsExactlyInAnyOrder("a@x.com", "b@x.com");
    }

    @Test
    void badConnectRequestsAre400Or422SayingWhatToFix() {
        assertProblem(put("{\"dataCenter\":\"APAC\",\"apiKeyRef\":\"TEST_ITERABLE_KEY\"}"), 400, "dataCenter must be one of [EU, US]");
        assertProblem(put("{\"dataCenter\":\"US\"}"), 400, "exactly one of apiKeyRef");
        assertProblem(put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"A\",\"apiKey\":\"b\"}"), 400, "exactly one of apiKeyRef");
        assertProblem(put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"TEST_ITERABLE_KEY\",\"region\":1}"), 400, "unknown field 'region'");
        assertProblem(put("not json"), 400, "the body must be JSON");
        assertProblem(put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"NOT_SET_ANYWHERE\"}"), 422, "NOT_SET_ANYWHERE is not set");
        assertThat(count("iterable_connection")).isZero();
    }

    @Test
    void disconnectingStopsExportsUntilConnectedAgain() {
        MIXPANEL.cohort(32, "Paused", members("a@x.com"));
        HttpResponse<String> off = request("DELETE", "/api/integration", null, Map.of());

        assertThat(off.statusCode()).isEqualTo(200);
        assertThat(json(off).get("connected").asBoolean()).isFalse();
        assertThat(json(off).at("/iterable/apiKey").isNull()).isTrue();
        assertProblem(post("/api/exports", "{\"cohortId\":32,\"sync\":\"dynamic\"}", Map.of("Content-Type", "application/json")),
                409, "PUT /api/integration");
        assertThat(jdbc.queryForObject("SELECT action FROM audit_log", String.class)).isEqualTo("integration.disconnect");

        assertThat(put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"TEST_ITERABLE_KEY\"}").statusCode()).isEqualTo(200);
        assertThat(post("/api/exports", "{\"cohortId\":32,\"sync\":\"dynamic\"}", Map.of("Content-Type", "application/json"))
                .statusCode()).isEqualTo(202);
        awaitRun(32);
        assertThat(ITERABLE.members("mixpanel_Paused_32")).containsExactly("a@x.com");
    }

    private void awaitRun(long cohortId) {
        for (int i = 0; i < 100; i++) {
            List<String> status = jdbc.queryForList("SELECT status FROM sync_runs WHERE cohort_id = ?", String.class, cohortId);
            if (!status.isEmpty() && !status.get(0).equals("running")) {
                assertThat(status.get(0)).isEqualTo("succeeded");
                return;
            }
            sleep(50);
        }
        throw new AssertionError("run of cohort " + cohortId + " did not end");
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void assertProblem(HttpResponse<String> response, int status, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(json(response).get("message").asText()).contains(message);
    }
}

package io.bridge.controlplane;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;
import static io.bridge.support.Waiting.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.StandIns;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
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
        registry.add("ITERABLE_API_KEY_TEST", () -> StandIns.API_KEY);
        registry.add("ITERABLE_API_KEY_WRONG", () -> OTHER_KEY);
        // as if the bridge's environment held a secret that is not an Iterable key
        registry.add("BRIDGE_SECURITY_ADMIN_PASSWORD", () -> "{noop}test-admin-password");
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
        HttpResponse<String> response = put("{\"dataCenter\":\"EU\",\"apiKeyRef\":\"ITERABLE_API_KEY_WRONG\"}");

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(json(response).get("message").asText()).contains("Invalid API key").contains("EU");
        assertThat(count("iterable_connection")).isZero();
        assertThat(count("audit_log")).isZero();
    }

    @Test
    void aKeyByReferenceConnectsAndTheAuditSaysWho() {
        HttpResponse<String> response = put("{\"dataCenter\":\"EU\",\"apiKeyRef\":\"ITERABLE_API_KEY_TEST\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).at("/iterable/dataCenter").asText()).isEqualTo("EU");
        assertThat(json(response).at("/iterable/keyFrom").asText()).isEqualTo("environment variable ITERABLE_API_KEY_TEST");
        assertThat(jdbc.queryForMap("SELECT key_ref, key_sealed FROM iterable_connection"))
                .containsEntry("KEY_REF", "ITERABLE_API_KEY_TEST").containsEntry("KEY_SEALED", null);
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
        assertProblem(put("{\"dataCenter\":\"APAC\",\"apiKeyRef\":\"ITERABLE_API_KEY_TEST\"}"), 400, "dataCenter must be one of [EU, US]");
        assertProblem(put("{\"dataCenter\":\"US\"}"), 400, "exactly one of apiKeyRef");
        assertProblem(put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"A\",\"apiKey\":\"b\"}"), 400, "exactly one of apiKeyRef");
        assertProblem(put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY_TEST\",\"region\":1}"), 400, "unknown field 'region'");
        assertProblem(put("not json"), 400, "the body must be JSON");
        assertProblem(put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY_NOT_SET\"}"), 422,
                "apiKeyRef must name an environment variable");
        assertThat(count("iterable_connection")).isZero();
    }

    /**
     * Findings 5 and 6: a body that is not exactly one connect request is 400 naming what to send:
     * a number is not a key, a duplicate field does not let the last one win, content after the
     * object is not dropped. Iterable is never asked.
     */
    @Test
    void bodiesThatAreNotExactlyAConnectRequestAre400SayingWhatToSend() {
        ITERABLE.resetCalls();
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("null", "the body must be a JSON object {\"dataCenter\"");
        cases.put("[]", "the body must be a JSON object {\"dataCenter\"");
        cases.put("\"x\"", "got a string");
        cases.put("1", "got a whole number");
        cases.put("{}", "dataCenter must be one of [EU, US]");
        cases.put("{\"dataCenter\":\"US\",\"apiKey\":1}", "apiKey must be a string, got a whole number");
        cases.put("{\"dataCenter\":\"US\",\"apiKey\":true}", "apiKey must be a string, got true or false");
        cases.put("{\"dataCenter\":1,\"apiKeyRef\":\"ITERABLE_API_KEY_TEST\"}", "dataCenter must be a string, got a whole number");
        cases.put("{\"dataCenter\":\"US\",\"apiKeyRef\":[\"ITERABLE_API_KEY_TEST\"]}", "apiKeyRef must be a string, got an array");
        cases.put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY_WRONG\",\"apiKeyRef\":\"ITERABLE_API_KEY_TEST\"}",
                "Duplicate field 'apiKeyRef'");
        cases.put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY_TEST\"} trailing", "content after the JSON object");
        cases.put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY_TEST\"}{}", "content after the JSON object");

        cases.forEach((body, message) -> ExportManagementTest.assertBadRequest(put(body), body, message));

        assertThat(ITERABLE.calls("/api/lists")).as("no key was tried").isZero();
        assertThat(count("iterable_connection")).isZero();
        assertThat(count("audit_log")).isZero();
    }

    @Test
    void apiKeyRefNamesOnlyIterableKeyVariablesAndEveryRefusalIsOneAnswer() {
        ITERABLE.resetCalls();
        List<String> refused = List.of(
                "BRIDGE_SECURITY_ADMIN_PASSWORD", // set, but not an Iterable key: must never reach Iterable
                "bridge.mixpanel.secret",         // a setting, not an environment variable
                "NOT_SET_ANYWHERE",               // neither allowed nor set
                "ITERABLE_API_KEY_NOT_SET",       // allowed, not set
                "ITERABLE_API_KEYS",              // the prefix without its underscore
                "ITERABLE_API_KEY_TEST\\n");     // an allowed name that is set, with a control character

        List<HttpResponse<String>> answers = refused.stream()
                .map(ref -> put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"" + ref + "\"}")).toList();

        HttpResponse<String> first = answers.get(0);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(422);
        JsonNode problem = json(first);
        assertThat(problem.get("status").asInt()).isEqualTo(422);
        assertThat(problem.get("error").asText()).isEqualTo("key_ref_refused");
        assertThat(problem.get("message").asText()).contains("ITERABLE_API_KEY").contains("ITERABLE_API_KEY_");
        for (int i = 0; i < refused.size(); i++) {
            assertThat(answers.get(i).statusCode()).as(refused.get(i)).isEqualTo(422);
            assertThat(answers.get(i).body()).as("the answer to %s tells nothing the others do not", refused.get(i))
                    .isEqualTo(first.body());
        }
        assertThat(ITERABLE.calls("/api/lists")).as("no refused name's value was sent to Iterable").isZero();
        assertThat(count("iterable_connection")).isZero();
        assertThat(count("audit_log")).isZero();

        HttpResponse<String> allowed = put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY_TEST\"}");
        assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(200);
        assertThat(ITERABLE.calls("/api/lists")).isEqualTo(1);
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

        assertThat(put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY_TEST\"}").statusCode()).isEqualTo(200);
        assertThat(post("/api/exports", "{\"cohortId\":32,\"sync\":\"dynamic\"}", Map.of("Content-Type", "application/json"))
                .statusCode()).isEqualTo(202);
        awaitRun(32);
        assertThat(ITERABLE.members("mixpanel_Paused_32")).containsExactly("a@x.com");
    }

    @Test
    void aKeyReferenceNoLongerSetIsNotConnectedAndTheStatusAndExportsSayWhichVariableToSet() {
        assertThat(put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY_TEST\"}").statusCode()).isEqualTo(200);
        // as after a restart without the variable the connection names
        jdbc.update("UPDATE iterable_connection SET key_ref = 'ITERABLE_API_KEY_GONE'");

        JsonNode status = json(get("/api/integration"));
        assertThat(status.get("connected").asBoolean()).as(status.toString()).isFalse();
        assertThat(status.at("/iterable/apiKey").isNull()).isTrue();
        assertThat(status.at("/iterable/keyFrom").asText()).isEqualTo("environment variable ITERABLE_API_KEY_GONE");
        assertThat(status.get("problem").asText()).contains("ITERABLE_API_KEY_GONE is not set")
                .contains("PUT /api/integration");
        JsonNode exports = json(get("/api/exports"));
        assertThat(exports.get("enabled").asBoolean()).isFalse();
        assertThat(exports.get("missingSettings").toString()).contains("ITERABLE_API_KEY_GONE");
        assertProblem(post("/api/exports", "{\"cohortId\":33,\"sync\":\"dynamic\"}", Map.of("Content-Type", "application/json")),
                409, "ITERABLE_API_KEY_GONE is not set");

        assertThat(put("{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY_TEST\"}").statusCode()).isEqualTo(200);
        assertThat(json(get("/api/integration")).get("problem").isNull()).isTrue();
    }

    /** Waits for the first run of the cohort to end; it must have succeeded. */
    private void awaitRun(long cohortId) {
        List<String> status = await("the run of cohort " + cohortId + " ends").atMost(PATIENCE).until(
                () -> jdbc.queryForList("SELECT status FROM sync_runs WHERE cohort_id = ? ORDER BY id", String.class, cohortId),
                runs -> !runs.isEmpty() && !runs.get(0).equals("running"));
        assertThat(status.get(0)).isEqualTo("succeeded");
    }

    static void assertProblem(HttpResponse<String> response, int status, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(json(response).get("message").asText()).contains(message);
    }
}

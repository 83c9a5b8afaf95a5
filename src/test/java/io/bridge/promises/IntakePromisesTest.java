package io.bridge.promises;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.fakes.FakeIterable;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.BridgeProcess;
import io.bridge.support.Concurrently;
import io.bridge.support.FaultInjectingDataSource.Fault;
import io.bridge.support.StandIns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * README promises about intake, health and the control plane's secrets that no other test proved
 * (issue 11, item 9), on a bridge set up the way they need: webhook credentials as user and password
 * only (no auth mode, no token), no encryption key, a commit queue of one delivery, and a Mixpanel
 * that cannot be reached. docs/promises.md maps every README promise to its test.
 */
class IntakePromisesTest extends BridgeHttpTest {

    static final FakeIterable ITERABLE = StandIns.iterable();
    static final String HOOK_USER = "hook-user";
    static final String HOOK_PASSWORD = "hook-password";

    @DynamicPropertySource
    static void settings(DynamicPropertyRegistry registry) {
        registry.add("bridge.webhooks.iterable.auth", () -> "");
        registry.add("bridge.webhooks.iterable.token", () -> "");
        registry.add("bridge.webhooks.iterable.username", () -> HOOK_USER);
        registry.add("bridge.webhooks.iterable.password", () -> HOOK_PASSWORD);
        registry.add("bridge.security.encryption-key", () -> "");
        registry.add("bridge.events.store.queue-capacity", () -> "1");
        // a key given in clear would be tried on this Iterable (which takes it) if the bridge did not refuse it first
        registry.add("bridge.iterable.data-centers.US", ITERABLE::baseUrl);
        registry.add("bridge.mixpanel.base-url", IntakePromisesTest::nobodyListening);
        registry.add("bridge.mixpanel.project-id", () -> StandIns.PROJECT);
        registry.add("bridge.mixpanel.username", () -> StandIns.USER);
        registry.add("bridge.mixpanel.secret", () -> StandIns.SECRET);
    }

    @org.springframework.beans.factory.annotation.Autowired
    org.apache.camel.CamelContext camel;

    static String nobodyListening() {
        try {
            return "http://127.0.0.1:" + BridgeProcess.freePort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    HttpResponse<String> deliver(String authorization, String messageId) {
        return post("/webhooks/iterable", "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"messageId\":\""
                + messageId + "\"}}", Map.of("Content-Type", "application/json", "Authorization", authorization));
    }

    /** README, Operations, Health: "/readiness is up only while the database and Camel are up ..., /liveness while Camel is". */
    @Test
    void readinessIsDownWhileTheDatabaseIsUnreachableAndLivenessStaysUp() {
        assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);

        database().inject(Fault.UNREACHABLE);
        HttpResponse<String> down = get("/actuator/health/readiness");
        HttpResponse<String> why = request("GET", "/actuator/health/readiness", null, Map.of("Authorization", ADMIN));
        HttpResponse<String> alive = get("/actuator/health/liveness");
        database().inject(Fault.NONE);

        assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
        assertThat(json(down).get("status").asText()).isEqualTo("DOWN");
        assertThat(json(why).at("/components/db/status").asText()).as(why.body()).isEqualTo("DOWN");
        assertThat(json(why).at("/components/routes/status").asText()).as(why.body()).isEqualTo("UP");
        assertThat(alive.statusCode()).as("the process is fine: no restart for a database outage").isEqualTo(200);
        HttpResponse<String> up = get("/actuator/health/readiness");
        assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
        assertThat(json(up).get("status").asText()).isEqualTo("UP");
    }

    /**
     * README, Developing a route: "readiness (/actuator/health/readiness) reports DOWN, naming them, while a
     * route is missing or stopped"; Health: "indicator routes, naming those that do not". The names are for
     * the ADMIN: a probe (anonymous) gets the status alone.
     */
    @Test
    void readinessNamesTheRoutesThatDoNotRunToTheAdminOnly() throws Exception {
        camel.getRouteController().stopRoute("mtu-report");
        HttpResponse<String> probe;
        HttpResponse<String> admin;
        try {
            probe = get("/actuator/health/readiness");
            admin = request("GET", "/actuator/health/readiness", null, Map.of("Authorization", ADMIN));
        } finally {
            camel.getRouteController().startRoute("mtu-report");
        }

        assertThat(probe.statusCode()).isEqualTo(503);
        assertThat(probe.body()).isEqualTo("{\"status\":\"DOWN\"}");
        assertThat(admin.statusCode()).isEqualTo(503);
        assertThat(json(admin).at("/components/routes/details/notRunning/mtu-report").asText()).as(admin.body()).isEqualTo("stopped");
        assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
    }

    /** README, configuration: "bridge.events.store.queue-capacity ... most deliveries waiting for a commit; beyond it, 503". */
    @Test
    void deliveriesBeyondTheCommitQueueGet503AndOnlyTheAcknowledgedAreStored() {
        database().inject(Fault.SLOW_COMMIT); // each commit takes 200 ms: the writer is busy, one delivery waits, the rest find the queue full
        AtomicInteger sequence = new AtomicInteger();
        List<HttpResponse<String>> answers = Concurrently.run(12,
                () -> deliver(basic(HOOK_USER, HOOK_PASSWORD), "q-" + sequence.incrementAndGet()));
        database().inject(Fault.NONE);

        List<HttpResponse<String>> refused = answers.stream().filter(a -> a.statusCode() != 200).toList();
        long acknowledged = answers.stream().filter(a -> a.statusCode() == 200).count();
        assertThat(refused).as("a queue of one cannot hold 12 concurrent deliveries").isNotEmpty();
        assertThat(acknowledged).as("the writer still commits what it holds").isPositive();
        for (HttpResponse<String> answer : refused) {
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
            assertThat(json(answer).get("error").asText()).isEqualTo("store_unavailable");
            assertThat(answer.headers().firstValue("Retry-After")).hasValue("5");
        }
        assertThat(count("exempt_events") + count("billable_events")).as("each acknowledged event, and no refused one")
                .isEqualTo((int) acknowledged);
        assertThat(count("rejected_webhooks")).as("a 503 is not a rejection: Iterable retries").isZero();
    }

    /** README, Authentication: "unset: token if a token is set, else basic if user and password are set". */
    @Test
    void withOnlyUserAndPasswordSetBasicIsTheMode() {
        HttpResponse<String> accepted = deliver(basic(HOOK_USER, HOOK_PASSWORD), "b-1");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
        assertThat(count("billable_events")).isEqualTo(1);

        for (String refused : List.of(basic(HOOK_USER, "wrong"), basic("someone", HOOK_PASSWORD), "OAuth2 " + HOOK_PASSWORD,
                "Bearer " + HOOK_PASSWORD, "OAuth2 ")) {
            HttpResponse<String> answer = deliver(refused, "b-2");
            assertThat(answer.statusCode()).as(refused).isEqualTo(401);
            assertThat(json(answer).get("error").asText()).isEqualTo("unauthorized");
        }
        assertThat(count("billable_events")).isEqualTo(1);
    }

    /** README, Control plane, The key: "apiKey is stored AES-256-GCM encrypted under BRIDGE_SECURITY_ENCRYPTIONKEY, and refused without it". */
    @Test
    void aKeyInClearIsRefusedWithoutAnEncryptionKeyAndNeverTried() {
        ITERABLE.resetCalls();
        HttpResponse<String> answer = request("PUT", "/api/integration", "{\"dataCenter\":\"US\",\"apiKey\":\"" + StandIns.API_KEY + "\"}",
                Map.of("Content-Type", "application/json"));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(400);
        JsonNode problem = json(answer);
        assertThat(problem.get("error").asText()).isEqualTo("cannot_store_key");
        assertThat(problem.get("message").asText()).contains("BRIDGE_SECURITY_ENCRYPTIONKEY").contains("apiKeyRef");
        assertThat(answer.body()).doesNotContain(StandIns.API_KEY);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM iterable_connection", Integer.class)).isZero();
        assertThat(ITERABLE.calls("/api/lists")).as("the key was never sent to Iterable").isZero();
        assertThat(jdbc.queryForList("SELECT action FROM audit_log", String.class)).doesNotContain("integration.connect");
    }

    /** README, Event intake, What is accepted: "Content-Type: application/json (or application/*+json)". */
    @Test
    void aJsonSubtypeIsAccepted() {
        HttpResponse<String> answer = post("/webhooks/iterable", "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}",
                Map.of("Content-Type", "application/vnd.iterable.webhook+json", "Authorization", basic(HOOK_USER, HOOK_PASSWORD)));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(count("billable_events")).isEqualTo(1);
    }

    /** README, Event intake, Event time: "ISO-8601 with an offset ...; without it, the time of receipt". */
    @Test
    void anIsoTimeWithAnOffsetIsStoredInUtcAndNoTimeIsTheTimeOfReceipt() {
        String iso = "{\"email\":\"iso@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"createdAt\":\"2026-11-02T20:51:45+02:00\"}}";
        String none = "{\"email\":\"now@x.com\",\"eventName\":\"emailOpen\"}";
        Map<String, String> headers = Map.of("Content-Type", "application/json", "Authorization", basic(HOOK_USER, HOOK_PASSWORD));
        java.time.Instant before = java.time.Instant.now().minusSeconds(1);
        assertThat(post("/webhooks/iterable", iso, headers).statusCode()).isEqualTo(200);
        assertThat(post("/webhooks/iterable", none, headers).statusCode()).isEqualTo(200);
        java.time.Instant after = java.time.Instant.now().plusSeconds(1);

        assertThat(eventTime("iso@x.com")).isEqualTo(java.time.Instant.parse("2026-11-02T18:51:45Z"));
        assertThat(jdbc.queryForObject("SELECT event_month FROM billable_events WHERE email = 'iso@x.com'", String.class))
                .isEqualTo("2026-11");
        assertThat(eventTime("now@x.com")).isBetween(before, after);
    }

    private java.time.Instant eventTime(String email) {
        return jdbc.queryForObject("SELECT event_time FROM billable_events WHERE email = ?", java.time.OffsetDateTime.class, email)
                .toInstant();
    }

    /** README, Control plane, Errors: "Unknown paths get 404, wrong methods 405, both as JSON". */
    @Test
    void aWrongMethodOnTheApiIs405AsJson() {
        HttpResponse<String> answer = request("PATCH", "/api/integration", "{}", Map.of("Content-Type", "application/json"));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(405);
        JsonNode problem = json(answer);
        assertThat(problem.get("status").asInt()).isEqualTo(405);
        assertThat(problem.get("error").asText()).isNotBlank();
        assertThat(problem.get("message").asText()).isNotBlank();
    }

    /**
     * README, What is accepted: "numbers at most 1,000 digits"; "eventName (a string, at most 128
     * characters)", "email (a string, at most 320 characters ...)", "userId (string or integer, at most 256)".
     */
    @Test
    void numbersAndIdentitiesAtTheirLimitsAreStoredAndOneMoreIs400AndKept() {
        Map<String, String> headers = Map.of("Content-Type", "application/json", "Authorization", basic(HOOK_USER, HOOK_PASSWORD));
        String email = "a".repeat(310) + "@x.example"; // 320 characters
        List<String> atTheLimit = List.of(
                "{\"email\":\"n@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"n\":" + "9".repeat(1000) + "}}",
                "{\"email\":\"" + email + "\",\"eventName\":\"" + "e".repeat(128) + "\"}",
                "{\"userId\":\"" + "u".repeat(256) + "\",\"eventName\":\"emailOpen\"}");
        List<String> overIt = List.of(
                "{\"email\":\"n@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"n\":" + "9".repeat(1001) + "}}",
                "{\"email\":\"a" + email + "\",\"eventName\":\"emailOpen\"}",
                "{\"userId\":\"" + "u".repeat(257) + "\",\"eventName\":\"emailOpen\"}",
                "{\"email\":\"n@x.com\",\"eventName\":\"" + "e".repeat(129) + "\"}");

        for (String body : atTheLimit) {
            HttpResponse<String> answer = post("/webhooks/iterable", body, headers);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        }
        for (String body : overIt) {
            HttpResponse<String> answer = post("/webhooks/iterable", body, headers);
            assertThat(answer.statusCode()).as(body.substring(0, 60) + " -> " + answer.body()).isEqualTo(400);
            assertThat(json(answer).get("error").asText()).isEqualTo("invalid_webhook");
        }
        assertThat(count("billable_events")).isEqualTo(atTheLimit.size());
        assertThat(count("rejected_webhooks")).isEqualTo(overIt.size());
    }

    /** README, Control plane, Errors: "502 when Mixpanel ... cannot be reached". */
    @Test
    void whenMixpanelCannotBeReachedTheCohortListingIs502() {
        HttpResponse<String> answer = get("/api/cohorts");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(502);
        assertThat(json(answer).get("error").asText()).isEqualTo("upstream_unreachable");
        assertThat(json(answer).get("message").asText()).contains("could not be reached");
    }
}

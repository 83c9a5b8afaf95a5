package io.bridge.forwarding;

import static io.bridge.support.Waiting.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.StandIns;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Forwarding against a stateful stand-in of Mixpanel's /import that checks every request as
 * Mixpanel does (strict mode, field rules, limits) and deduplicates by $insert_id: what it holds
 * after normal operation and after each fault.
 */
@AutoConfigureObservability(tracing = false) // Spring Boot tests turn metrics export off unless asked
class ForwardingTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();
    static final Map<String, String> WEBHOOK = Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token");

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("bridge.mixpanel.ingestion-url", MIXPANEL::baseUrl);
        registry.add("bridge.forwarding.enabled", () -> "true");
        registry.add("bridge.forwarding.workers", () -> "3");
        registry.add("bridge.forwarding.batch-events", () -> "40");
        registry.add("bridge.forwarding.poll-interval", () -> "100ms");
        registry.add("bridge.forwarding.retry-delay", () -> "100ms");
        registry.add("bridge.forwarding.max-retry-delay", () -> "400ms");
        registry.add("bridge.forwarding.auth-retry-interval", () -> "2s");
    }

    @Autowired
    Forwarder forwarder;

    @BeforeEach
    void freshForwarder() {
        forwarder.reset();
    }

    static String event(String name, String email, String userId, String messageId, String createdAt) {
        return "{" + (email == null ? "" : "\"email\":\"" + email + "\",") + (userId == null ? "" : "\"userId\":\"" + userId + "\",")
                + "\"eventName\":\"" + name + "\",\"dataFields\":{\"createdAt\":\"" + createdAt + "\",\"messageId\":\"" + messageId
                + "\",\"campaignId\":42,\"templateId\":7}}";
    }

    void deliver(String body) {
        HttpResponse<String> answer = post("/webhooks/iterable", body, WEBHOOK);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    }

    /** n events, in deliveries of one and arrays of three; half with a userId; exempt and billable names. */
    List<String> deliverMany(String prefix, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n;) {
            int size = Math.min(i % 2 == 0 ? 1 : 3, n - i);
            List<String> events = new ArrayList<>();
            for (int e = 0; e < size; e++, i++) {
                String id = prefix + i;
                ids.add(id);
                events.add(event(i % 3 == 0 ? "emailSend" : "emailOpen", "user" + i + "@x.com", i % 2 == 0 ? "u-" + i : null, id,
                        "2026-11-02 18:51:45 +00:00"));
            }
            deliver(size == 1 ? events.get(0) : "[" + String.join(",", events) + "]");
        }
        return ids;
    }

    Map<String, ObjectNode> importedByMessageId() {
        return MIXPANEL.imported().stream().collect(Collectors.toMap(e -> e.path("properties").path("messageId").asText(),
                Function.identity(), (a, b) -> {
                    throw new AssertionError("imported twice: " + a);
                }));
    }

    void awaitForwarded(int imported) {
        await(imported + " events imported and nothing pending").atMost(PATIENCE)
                .until(() -> MIXPANEL.imported().size() >= imported && count("forwarding_outbox") == 0);
    }

    JsonNode status() {
        HttpResponse<String> answer = request("GET", "/api/forwarding", null, Map.of("Authorization", VIEWER));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return json(answer);
    }

    long timerTicks() {
        return forwarder.polls();
    }

    @Test
    void everyStoredEventReachesMixpanelOnceWithItsNameTimeDistinctIdAndSource() {
        List<String> ids = deliverMany("m", 101);
        deliver(event("emailSend", "user0@x.com", "u-0", "m0", "2026-11-02 18:51:45 +00:00")); // a redelivery: stored once

        awaitForwarded(101);
        Map<String, ObjectNode> imported = importedByMessageId();
        assertThat(imported.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        Map<String, String> dedupKeys = new HashMap<>();
        for (String table : List.of("exempt_events", "billable_events")) {
            jdbc.queryForList("SELECT message_id, dedup_key FROM " + table).forEach(
                    row -> dedupKeys.put((String) row.get("MESSAGE_ID"), ((String) row.get("DEDUP_KEY")).strip()));
        }
        long createdAt = Instant.parse("2026-11-02T18:51:45Z").toEpochMilli();
        for (int i = 0; i < ids.size(); i++) {
            JsonNode e = imported.get("m" + i);
            JsonNode p = e.path("properties");
            assertThat(e.path("event").asText()).isEqualTo(i % 3 == 0 ? "emailSend" : "emailOpen");
            assertThat(p.path("time").asLong()).as("epoch ms of dataFields.createdAt").isEqualTo(createdAt);
            assertThat(p.path("distinct_id").asText()).as("userId, else the email").isEqualTo(i % 2 == 0 ? "u-" + i : "user" + i + "@x.com");
            assertThat(p.path("$source").asText()).isEqualTo("iterable");
            assertThat(dedupKeys.get("m" + i)).as("the key begins with the event's own time").startsWith(String.format("t%011d", createdAt / 1000));
            assertThat(p.path("$insert_id").asText()).as("the SHA-256's first 32 hex digits, after the time")
                    .isEqualTo(dedupKeys.get("m" + i).substring(12, 44));
            assertThat(p.path("email").asText()).isEqualTo("user" + i + "@x.com");
            assertThat(p.path("campaignId").asInt()).isEqualTo(42);
            assertThat(p.path("templateId").asInt()).isEqualTo(7);
            assertThat(MIXPANEL.receivedTimes(p.path("$insert_id").asText())).as("sent once").isOne();
        }
        JsonNode status = status();
        assertThat(status.path("enabled").asBoolean()).isTrue();
        assertThat(status.path("state").asText()).isEqualTo("forwarding");
        assertThat(status.path("pending").asLong()).isZero();
        assertThat(status.path("forwarded").asLong()).isGreaterThanOrEqualTo(101);
        assertThat(status.path("rejected").asLong()).isZero();
    }

    @Test
    void anEventWithoutAUsableDistinctIdIsRejectedByTheBridgeAndNeverSent() {
        deliver(event("emailOpen", null, "null", "no-id", "2026-11-02 18:51:45 +00:00"));
        deliver(event("emailOpen", null, "u-7", "good", "2026-11-02 18:51:45 +00:00"));

        await("both settled").atMost(PATIENCE).until(() -> count("forwarding_outbox") == 0 && MIXPANEL.imported().size() == 1);
        assertThat(importedByMessageId()).containsOnlyKeys("good");
        Map<String, Object> rejected = jdbc.queryForMap("SELECT * FROM forwarding_rejected");
        assertThat(rejected).containsEntry("REJECTED_BY", "bridge").containsEntry("FIELD", "distinct_id")
                .containsEntry("EVENT_NAME", "emailOpen");
        assertThat((String) rejected.get("REASON")).contains("placeholder");
        JsonNode status = status();
        assertThat(status.path("rejected").asLong()).isOne();
        assertThat(status.path("recentRejections").get(0).path("by").asText()).isEqualTo("bridge");
    }

    @Test
    void mixpanelsFailedRecordsAreRejectedWithItsMessageNeverRetriedAndTheRestImported() {
        MIXPANEL.refuseEvents(e -> e.path("properties").path("messageId").asText().startsWith("bad"), "property value too long");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String id = (i % 4 == 0 ? "bad" : "ok") + i;
            ids.add(id);
            deliver(event("emailClick", "a" + i + "@x.com", null, id, "2026-11-02 18:51:45 +00:00"));
        }
        await("all settled").atMost(PATIENCE).until(() -> count("forwarding_outbox") == 0 && count("forwarding_rejected") == 3);
        assertThat(importedByMessageId().keySet()).containsExactlyInAnyOrder("ok1", "ok2", "ok3", "ok5", "ok6", "ok7", "ok9");
        assertThat(jdbc.queryForList("SELECT reason FROM forwarding_rejected WHERE rejected_by = 'mixpanel'", String.class))
                .hasSize(3).allSatisfy(reason -> assertThat(reason).isEqualTo("property value too long"));
        int requests = MIXPANEL.importRequests();
        deliver(event("emailClick", "z@x.com", null, "ok-later", "2026-11-02 18:51:45 +00:00"));
        awaitForwarded(8);
        assertThat(MIXPANEL.importRequests()).as("the refused events were not sent again").isEqualTo(requests + 1);
    }

    @Test
    void an429Or5xxBacksOffWhileIntakeKeepsAnswering200AndTheBacklogDrainsAfterwards() {
        MIXPANEL.failNext("/import", 1000, 429, "application/json",
                "{\"code\":429,\"error\":\"Project exceeded rate limits. Please retry the request with exponential backoff.\",\"status\":\"Too Many Requests\"}");
        List<String> ids = deliverMany("r", 30);
        await("retrying, with the backlog pending").atMost(PATIENCE).until(() -> status().path("state").asText().equals("retrying"));
        JsonNode status = status();
        assertThat(status.path("pending").asLong()).isEqualTo(30);
        assertThat(status.path("lastError").path("message").asText()).contains("429").contains("exceeded rate limits");
        ids.addAll(deliverMany("s", 10)); // intake is unaffected
        assertThat(MIXPANEL.imported()).isEmpty();

        MIXPANEL.clearFaults();
        MIXPANEL.failNext("/import", 2, 503, "application/json", "{\"error\":\"unavailable\"}");
        awaitForwarded(40);
        Map<String, ObjectNode> imported = importedByMessageId();
        assertThat(imported.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        imported.values().forEach(e -> assertThat(MIXPANEL.receivedTimes(e.path("properties").path("$insert_id").asText()))
                .as("batches given back are claimed again, once: no event sent twice in an accepted request").isOne());
        assertThat(status().path("state").asText()).isEqualTo("forwarding");
    }

    @Test
    void a401PausesForwardingWithoutARetryStormAndItResumesOnceTheAccountIsAcceptedAgain() {
        MIXPANEL.failNext("/import", 1000, 401, "application/json", "{\"error\":\"Invalid service account credentials\"}");
        deliverMany("p", 5);
        await("paused").atMost(PATIENCE).until(() -> status().path("paused").asBoolean());
        JsonNode status = status();
        assertThat(status.path("state").asText()).isEqualTo("paused");
        assertThat(status.path("reason").asText()).contains("401").contains("Invalid service account credentials");
        int requests = MIXPANEL.calls("/import");
        long ticks = timerTicks();
        deliverMany("q", 5); // commits wake workers: still paused
        await("ten polls while paused").atMost(PATIENCE).until(() -> timerTicks() >= ticks + 10);
        assertThat(MIXPANEL.calls("/import")).as("at most one probe per auth-retry-interval (2 s here)").isLessThanOrEqualTo(requests + 1);
        assertThat(MIXPANEL.imported()).isEmpty();

        MIXPANEL.clearFaults(); // the account is accepted again: the next probe resumes forwarding
        awaitForwarded(10);
        assertThat(status().path("paused").asBoolean()).isFalse();
    }

    @Test
    void a413SplitsBatchesUntilMixpanelTakesThem() {
        MIXPANEL.importLimits(2000, 2000); // about 7 of these events per request
        MIXPANEL.hold(); // the deliveries wait together, so that batches are full (40 events)
        List<String> ids = new ArrayList<>();
        for (int d = 0; d < 3; d++) {
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = "big" + (d * 20 + i);
                ids.add(id);
                events.add(event("emailOpen", id + "@x.com", null, id, "2026-11-02 18:51:45 +00:00"));
            }
            deliver("[" + String.join(",", events) + "]");
        }
        MIXPANEL.release();
        awaitForwarded(60);
        assertThat(importedByMessageId().keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(status().path("batchEvents").asInt()).isLessThan(40);
    }

    /**
     * An event stored by an earlier build, keyed by its SHA-256 alone, goes out replayed under the
     * same $insert_id; redelivered now, it is stored again under the new key and still one event to Mixpanel.
     */
    @Test
    void anEventKeyedByAnEarlierBuildKeepsItsInsertIdWhenReplayedOrRedelivered() {
        String body = event("emailOpen", "early@x.com", "u-early", "m-early", "2026-11-02 18:51:45 +00:00");
        deliver(body);
        awaitForwarded(1);
        String key = jdbc.queryForObject("SELECT dedup_key FROM billable_events", String.class).strip();
        String insertId = MIXPANEL.imported().get(0).path("properties").path("$insert_id").asText();
        // the key an earlier build gave it: the whole SHA-256, of which the new key keeps the first 52 hex digits
        jdbc.update("UPDATE billable_events SET dedup_key = ?", key.substring(12) + "0123456789ab");

        HttpResponse<String> replay = post("/api/forwarding/replay", "{\"from\":\"2026-11-01T00:00:00Z\",\"to\":\"2026-12-01T00:00:00Z\"}",
                Map.of("Content-Type", "application/json"));
        assertThat(replay.statusCode()).as(replay.body()).isEqualTo(202);
        await("the replay sent").atMost(PATIENCE).until(() -> MIXPANEL.receivedEvents() == 2 && count("forwarding_outbox") == 0);
        deliver(body);
        await("the redelivery sent").atMost(PATIENCE).until(() -> MIXPANEL.receivedEvents() == 3 && count("forwarding_outbox") == 0);

        assertThat(count("billable_events")).as("the earlier key does not recognise the redelivery").isEqualTo(2);
        assertThat(MIXPANEL.receivedTimes(insertId)).as("all three under one $insert_id").isEqualTo(3);
        assertThat(MIXPANEL.imported()).as("deduplicated by Mixpanel").hasSize(1);
    }

    @Test
    void aReplayForwardsATimeRangeAgainAndMixpanelKeepsOneOfEach() {
        List<String> ids = deliverMany("x", 20);
        deliver(event("emailOpen", "late@x.com", null, "outside", "2026-10-24 10:00:00 +00:00"));
        awaitForwarded(21);

        HttpResponse<String> replay = post("/api/forwarding/replay", "{\"from\":\"2026-11-01T00:00:00Z\",\"to\":\"2026-12-01T00:00:00Z\"}",
                Map.of("Content-Type", "application/json"));
        assertThat(replay.statusCode()).as(replay.body()).isEqualTo(202);
        assertThat(json(replay).path("queued").asInt()).isEqualTo(20);
        await("the range sent again").atMost(PATIENCE).until(() -> MIXPANEL.receivedEvents() == 41 && count("forwarding_outbox") == 0);
        assertThat(MIXPANEL.imported()).as("deduplicated by $insert_id").hasSize(21);
        assertThat(importedByMessageId()).containsKeys(ids.toArray(String[]::new));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_log WHERE action = 'forwarding.replay' AND actor = 'test-admin'",
                Integer.class)).isOne();
    }

    @Test
    void replayIsForTheAdminAndRefusesABadRange() {
        Map<String, String> json = Map.of("Content-Type", "application/json");
        HttpResponse<String> backwards = post("/api/forwarding/replay", "{\"from\":\"2026-12-01T00:00:00Z\",\"to\":\"2026-11-01T00:00:00Z\"}", json);
        assertThat(backwards.statusCode()).isEqualTo(400);
        assertThat(json(backwards).path("error").asText()).isEqualTo("invalid_request");
        assertThat(json(backwards).path("message").asText()).contains("from must be before to");
        HttpResponse<String> notAnInstant = post("/api/forwarding/replay", "{\"from\":\"yesterday\",\"to\":\"2026-11-01T00:00:00Z\"}", json);
        assertThat(notAnInstant.statusCode()).isEqualTo(400);
        assertThat(json(notAnInstant).path("message").asText()).contains("ISO-8601");
        HttpResponse<String> unknownField = post("/api/forwarding/replay", "{\"from\":\"2026-10-01T00:00:00Z\",\"to\":\"2026-11-01T00:00:00Z\",\"all\":true}", json);
        assertThat(unknownField.statusCode()).isEqualTo(400);
        Map<String, String> viewer = new HashMap<>(json);
        viewer.put("Authorization", VIEWER);
        HttpResponse<String> byViewer = post("/api/forwarding/replay", "{\"from\":\"2026-10-01T00:00:00Z\",\"to\":\"2026-11-01T00:00:00Z\"}", viewer);
        assertThat(byViewer.statusCode()).isEqualTo(403);
        assertThat(count("audit_log")).isZero();
    }

    @Test
    void theStatusShowsWhatIsPendingAndHowOldItIsAndPrometheusTheLagAndTotals() {
        MIXPANEL.hold();
        deliverMany("h", 5);
        await("claimed and held").atMost(PATIENCE).until(() -> MIXPANEL.calls("/import") >= 1);
        JsonNode status = status();
        assertThat(status.path("pending").asLong()).isEqualTo(5);
        assertThat(status.path("oldestPendingAt").isTextual()).isTrue();
        assertThat(status.path("lagSeconds").asLong()).isGreaterThanOrEqualTo(0);
        MIXPANEL.release();
        awaitForwarded(5);
        String metrics = request("GET", "/actuator/prometheus", null, Map.of("Authorization", ADMIN)).body();
        assertThat(metrics).contains("bridge_forwarding_lag_seconds").containsPattern("bridge_forwarded_events_total\\{[^}]*outcome=\"imported\"");
    }
}

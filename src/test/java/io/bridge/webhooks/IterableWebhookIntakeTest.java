package io.bridge.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static io.bridge.support.Waiting.await;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.FaultInjectingDataSource.Fault;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.annotation.Autowired;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IterableWebhookIntakeTest extends BridgeHttpTest {

    @Autowired
    MeterRegistry meters;

    static final Map<String, String> AUTHORIZED = Map.of(
            "Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token");

    /** The 17 names Mixpanel exempts from MTU billing (../shared/reference/iterable-api.md). */
    static final List<String> EXEMPT = List.of("emailSend", "emailBounce", "emailComplaint", "emailSendSkip",
            "emailSubscribe", "emailUnSubscribe", "hostedUnsubscribeClick", "inAppSend", "inAppSendSkip",
            "pushBounce", "pushSend", "pushSendSkip", "smsBounce", "smsReceived", "smsSend", "smsSendSkip",
            "webPushSendSkip");

    static String event(String name, String email, String messageId, String createdAt) {
        return """
                {"email":"%s","eventName":"%s","dataFields":{"createdAt":"%s","messageId":"%s","campaignId":42,\
                "templateId":7,"email":"%s"}}""".formatted(email, name, createdAt, messageId, email);
    }

    HttpResponse<String> deliver(String body) {
        return post("/webhooks/iterable", body, AUTHORIZED);
    }

    @Test
    void everyExemptEventLandsInExemptEventsMarkedWithSource() {
        for (String name : EXEMPT) {
            HttpResponse<String> response = deliver(event(name, "ex@x.com", "m-" + name, "2026-11-02 18:51:45 +00:00"));
            assertThat(response.statusCode()).as(name).isEqualTo(200);
            assertThat(json(response).get("stored").asInt()).isEqualTo(1);
        }
        assertThat(jdbc.queryForList("SELECT event_name FROM exempt_events", String.class))
                .containsExactlyInAnyOrderElementsOf(EXEMPT);
        assertThat(count("billable_events")).isZero();
        assertThat(jdbc.queryForList("SELECT DISTINCT source FROM exempt_events", String.class)).containsExactly("iterable");
        for (String properties : jdbc.queryForList("SELECT properties FROM exempt_events", String.class)) {
            assertThat(parse(properties).get("$source").asText()).isEqualTo("iterable");
        }
    }

    /** Which names are billable is the route's choice: IterableWebhookRouteTest checks each; here, how one is stored. */
    @Test
    void aBillableEventIsStoredWithItsColumns() {
        String name = "emailOpen";
        HttpResponse<String> response = deliver(event(name, "bill@x.com", "m1", "2026-11-02 18:51:45 +00:00"));

        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Object> row = jdbc.queryForMap("SELECT * FROM billable_events");
        assertThat(row).containsEntry("EVENT_NAME", name).containsEntry("SOURCE", "iterable")
                .containsEntry("EMAIL", "bill@x.com").containsEntry("MESSAGE_ID", "m1")
                .containsEntry("CAMPAIGN_ID", "42").containsEntry("EVENT_MONTH", "2026-11");
        assertThat(parse((String) row.get("PROPERTIES")).get("dataFields").get("templateId").asInt()).isEqualTo(7);
        assertThat(count("exempt_events")).isZero();
    }

    /** The writer keeps the statement that adds users to month_users, as it keeps its inserts: HSQLDB compiles each one prepared. */
    @Test
    void newUsersInTransactionAfterTransactionReuseOneStatement() {
        int before = database().prepared("INSERT INTO month_users");
        for (int i = 0; i < 20; i++) {
            assertThat(deliver(event("emailOpen", "new-" + i + "@x.com", "m-new-" + i, "2026-11-02 18:51:45 +00:00"))
                    .statusCode()).isEqualTo(200);
        }

        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM month_users", Integer.class)).isEqualTo(20);
        // 20 transactions with a new user each; prepared again only if the writer's connection fell idle (100 ms)
        assertThat(database().prepared("INSERT INTO month_users") - before).isLessThanOrEqualTo(10);
    }

    @Test
    void eventTimeComesFromCreatedAtInUtc() {
        deliver(event("emailOpen", "t@x.com", "m1", "2026-12-01 01:30:00 +05:00"));

        assertThat(jdbc.queryForObject("SELECT event_month FROM billable_events", String.class)).isEqualTo("2026-11");
        assertThat(jdbc.queryForObject("SELECT event_time FROM billable_events", java.time.OffsetDateTime.class)
                .toInstant()).isEqualTo(java.time.Instant.parse("2026-11-30T20:30:00Z"));
    }

    @Test
    void userIdAloneOrDataFieldsEmailIsAnIdentity() {
        assertThat(deliver("{\"userId\":\"u-9\",\"eventName\":\"pushOpen\"}").statusCode()).isEqualTo(200);
        assertThat(deliver("{\"eventName\":\"emailClick\",\"dataFields\":{\"email\":\"df@x.com\"}}").statusCode())
                .isEqualTo(200);

        assertThat(jdbc.queryForList("SELECT user_key FROM billable_events", String.class))
                .containsExactlyInAnyOrder("u-9", "df@x.com");
    }

    @Test
    void aRedeliveredEventIsStoredOnceAndBothDeliveriesGet2xx() {
        String body = event("emailOpen", "dup@x.com", "m-dup", "2026-11-03 10:00:00 +00:00");
        String sameEventOtherKeyOrder = """
                {"dataFields":{"email":"dup@x.com","templateId":7,"campaignId":42,"messageId":"m-dup",\
                "createdAt":"2026-11-03 10:00:00 +00:00"},"eventName":"emailOpen","email":"dup@x.com"}""";

        HttpResponse<String> first = deliver(body);
        HttpResponse<String> second = deliver(body);
        HttpResponse<String> third = deliver(sameEventOtherKeyOrder);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(third.statusCode()).isEqualTo(200);
        assertThat(json(second).get("duplicates").asInt()).isEqualTo(1);
        assertThat(count("billable_events")).isEqualTo(1);
    }

    /** Keys begin with the event's own time (new keys go to the end of the index); an event without one is still recognised. */
    @Test
    void theDedupKeyBeginsWithTheEventsOwnTimeAndAnEventWithoutOneIsStillRecognised() throws Exception {
        deliver(event("emailOpen", "k@x.com", "m-k", "2026-12-01 01:30:00 +05:00"));
        String untimed = "{\"userId\":\"u-k\",\"eventName\":\"pushOpen\"}";
        deliver(untimed);
        HttpResponse<String> again = deliver(untimed);

        assertThat(json(again).get("duplicates").asInt()).as("the time it arrived is no part of its key").isEqualTo(1);
        // the canonical JSON of the untimed event: keys sorted, no white space
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest("{\"eventName\":\"pushOpen\",\"userId\":\"u-k\"}".getBytes(StandardCharsets.UTF_8)));
        List<String> keys = jdbc.queryForList("SELECT dedup_key FROM billable_events ORDER BY id", String.class);
        assertThat(keys.get(0).strip()).matches("t0" + java.time.Instant.parse("2026-11-30T20:30:00Z").getEpochSecond() + "[0-9a-f]{52}");
        assertThat(keys.get(1).strip()).isEqualTo("t00000000000" + sha256.substring(0, 52));
        assertThat(DedupKey.insertId(keys.get(1))).as("$insert_id: the SHA-256's first 32 hex digits")
                .isEqualTo(DedupKey.insertId(sha256)).isEqualTo(sha256.substring(0, 32));
    }

    @Test
    void anArrayHoldingARedeliveryStoresItsNewEventsAndCountsTheRest() {
        String stored = event("emailOpen", "r@x.com", "m-old", "2026-11-03 10:00:00 +00:00");
        String fresh = event("emailSend", "r@x.com", "m-new", "2026-11-03 10:01:00 +00:00");
        String twice = event("emailClick", "r@x.com", "m-twice", "2026-11-03 10:02:00 +00:00");
        assertThat(deliver(stored).statusCode()).isEqualTo(200);

        HttpResponse<String> mixed = deliver("[" + fresh + "," + stored + "," + twice + "," + twice + "]");

        assertThat(mixed.statusCode()).as(mixed.body()).isEqualTo(200);
        assertThat(json(mixed).get("stored").asInt()).isEqualTo(2);
        assertThat(json(mixed).get("duplicates").asInt()).isEqualTo(2);
        assertThat(jdbc.queryForList("SELECT message_id FROM billable_events", String.class))
                .containsExactlyInAnyOrder("m-old", "m-twice");
        assertThat(jdbc.queryForList("SELECT message_id FROM exempt_events", String.class)).containsExactly("m-new");
    }

    /** A redelivery that shares a commit with other deliveries costs them nothing: each gets its own counts. */
    @Test
    void aRedeliverySharingACommitLeavesTheOthersStored() throws Exception {
        String stored = event("emailOpen", "s@x.com", "m-first", "2026-11-03 11:00:00 +00:00");
        assertThat(deliver(stored).statusCode()).isEqualTo(200);
        database().inject(Fault.HELD_COMMIT);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<HttpResponse<String>> holder = pool.submit(() -> deliver(event("emailOpen", "s@x.com", "m-held",
                    "2026-11-03 11:01:00 +00:00")));
            await("the first delivery's commit held").atMost(PATIENCE).until(() -> database().heldCommits("event-store-writer") == 1);
            Future<HttpResponse<String>> again = pool.submit(() -> deliver(stored));
            Future<HttpResponse<String>> other = pool.submit(() -> deliver(event("emailSend", "s@x.com", "m-other",
                    "2026-11-03 11:02:00 +00:00")));
            await("both deliveries wait for the next commit").atMost(PATIENCE).until(
                    () -> meters.get("bridge.webhook.deliveries.waiting").gauge().value(), greaterThanOrEqualTo(2.0));
            database().inject(Fault.NONE);

            assertThat(json(holder.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).get("stored").asInt()).isEqualTo(1);
            HttpResponse<String> redelivered = again.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(redelivered.statusCode()).isEqualTo(200);
            assertThat(json(redelivered).get("duplicates").asInt()).isEqualTo(1);
            HttpResponse<String> fresh = other.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(fresh.statusCode()).isEqualTo(200);
            assertThat(json(fresh).get("stored").asInt()).isEqualTo(1);
        } finally {
            database().inject(Fault.NONE);
            pool.shutdownNow();
        }
        assertThat(jdbc.queryForList("SELECT message_id FROM billable_events", String.class))
                .containsExactlyInAnyOrder("m-first", "m-held");
        assertThat(jdbc.queryForList("SELECT message_id FROM exempt_events", String.class)).containsExactly("m-other");
    }

    @Test
    void anArrayIsStoredTogetherAcrossBothTables() {
        String body = "[" + event("emailSend", "a@x.com", "m1", "2026-11-01 00:00:00 +00:00") + ","
                + event("emailOpen", "a@x.com", "m1", "2026-11-01 00:01:00 +00:00") + "]";

        HttpResponse<String> response = deliver(body);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("stored").asInt()).isEqualTo(2);
        assertThat(count("exempt_events")).isEqualTo(1);
        assertThat(count("billable_events")).isEqualTo(1);
    }

    @Test
    void anArrayWithOneBadEventStoresNothingAndSaysWhichOne() {
        String body = "[" + event("emailOpen", "a@x.com", "m1", "2026-11-01 00:00:00 +00:00")
                + ",{\"email\":\"b@x.com\"}]";

        HttpResponse<String> response = deliver(body);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).get("message").asText()).contains("event[1]").contains("eventName");
        assertThat(count("billable_events")).isZero();
        assertThat(jdbc.queryForObject("SELECT payload FROM rejected_webhooks", String.class)).isEqualTo(body);
    }

    @Test
    void malformedJsonIs400AndThePayloadIsKept() {
        assertRejected(deliver("{\"eventName\": \"emailOpen\", "), 400, "not valid JSON", "{\"eventName\": \"emailOpen\", ");
    }

    @Test
    void missingEventNameIs400() {
        assertRejected(deliver("{\"email\":\"a@x.com\",\"dataFields\":{}}"), 400, "eventName", null);
        assertRejected(deliver("{\"email\":\"a@x.com\",\"eventName\":\"  \"}"), 400, "eventName", null);
        assertRejected(deliver("{\"email\":\"a@x.com\",\"eventName\":{\"x\":1}}"), 400, "eventName must be a string", null);
        assertRejected(deliver("{\"email\":\"a@x.com\",\"eventName\":\"" + "e".repeat(129) + "\"}"), 400,
                "longer than 128", null);
    }

    @Test
    void anEventWithoutIdentityIs400() {
        assertRejected(deliver("{\"eventName\":\"emailOpen\",\"dataFields\":{\"messageId\":\"m\"}}"), 400,
                "give email, dataFields.email or userId", null);
    }

    @Test
    void otherShapesAre400() {
        assertRejected(deliver("[]"), 400, "non-empty array", "[]");
        assertRejected(deliver("\"emailOpen\""), 400, "one event object", null);
        assertRejected(deliver("{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":[1]}"), 400,
                "dataFields must be a JSON object", null);
        assertRejected(deliver("{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"createdAt\":\"yesterday\"}}"),
                400, "createdAt 'yesterday' is not a time", null);
    }

    @Test
    void anOversizedDeliveryIs413AndItsStartIsKept() {
        String body = "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"pad\":\""
                + "x".repeat(1024 * 1024) + "\"}}";

        HttpResponse<String> response = deliver(body);

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(json(response).get("error").asText()).isEqualTo("payload_too_large");
        assertThat(count("billable_events")).isZero();
        assertThat(jdbc.queryForObject("SELECT payload FROM rejected_webhooks", String.class))
                .startsWith("{\"email\":\"a@x.com\"").hasSize(IterableWebhookBody.KEPT_OF_OVERSIZE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/x-www-form-urlencoded", "application/xml"})
    void aWrongContentTypeIs415(String type) {
        String body = event("emailOpen", "a@x.com", "m1", "2026-11-01 00:00:00 +00:00");

        HttpResponse<String> response = post("/webhooks/iterable", body,
                Map.of("Content-Type", type, "Authorization", "OAuth2 test-webhook-token"));

        assertRejected(response, 415, "Content-Type must be application/json", body);
        assertThat(jdbc.queryForObject("SELECT content_type FROM rejected_webhooks", String.class)).startsWith(type);
    }

    @Test
    void jsonWithCharsetIsAccepted() {
        HttpResponse<String> response = post("/webhooks/iterable", event("emailOpen", "a@x.com", "m", "2026-11-01 00:00:00 +00:00"),
                Map.of("Content-Type", "application/json; charset=utf-8", "Authorization", "Bearer test-webhook-token"));
        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void theResponseDoesNotEchoRequestHeaders() {
        HttpResponse<String> response = post("/webhooks/iterable", event("emailOpen", "a@x.com", "m", "2026-11-01 00:00:00 +00:00"),
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token", "X-Trace", "abc"));
        assertThat(response.headers().map().keySet()).noneMatch(h -> h.equalsIgnoreCase("x-trace")
                || h.equalsIgnoreCase("authorization"));
    }

    @Test
    void whenTheDatabaseIsUnreachableDeliveriesGet503AndNothingAcknowledgedIsMissing() {
        List<String> acknowledged = new ArrayList<>();
        String before = event("emailOpen", "a@x.com", "before", "2026-11-01 00:00:00 +00:00");
        assertThat(deliver(before).statusCode()).isEqualTo(200);
        acknowledged.add("before");

        database().inject(Fault.UNREACHABLE);
        String during = event("emailClick", "a@x.com", "during", "2026-11-01 00:00:01 +00:00");
        HttpResponse<String> refused = deliver(during);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(json(refused).get("error").asText()).isEqualTo("store_unavailable");
        HttpResponse<String> refusedInvalid = deliver("{\"eventName\":1}");
        assertThat(refusedInvalid.statusCode()).as("a rejection that cannot be kept is retried").isEqualTo(503);

        database().inject(Fault.NONE);
        HttpResponse<String> retried = deliver(during);
        assertThat(retried.statusCode()).isEqualTo(200);
        acknowledged.add("during");

        assertThat(jdbc.queryForList("SELECT message_id FROM billable_events", String.class))
                .containsExactlyInAnyOrderElementsOf(acknowledged);
    }

    @Test
    void whenTheCommitFailsTheDeliveryGets503AndIsNotStored() {
        database().inject(Fault.COMMIT_FAILS);
        HttpResponse<String> response = deliver(event("emailOpen", "a@x.com", "m1", "2026-11-01 00:00:00 +00:00"));
        database().inject(Fault.NONE);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(count("billable_events")).as("rolled back, not acknowledged").isZero();
    }

    /** The writer remembers a user once their row is committed, not before: Iterable's retry still counts them. */
    @Test
    void aUserOfARolledBackDeliveryIsCountedWhenItIsRetried() {
        String open = event("emailOpen", "a@x.com", "m1", "2026-11-01 00:00:00 +00:00");
        database().inject(Fault.COMMIT_FAILS);
        assertThat(deliver(open).statusCode()).isEqualTo(503);
        database().inject(Fault.NONE);

        assertThat(deliver(open).statusCode()).isEqualTo(200);

        assertThat(jdbc.queryForList("SELECT user_key FROM month_users", String.class)).containsExactly("a@x.com");
        assertThat(json(get("/api/mtu?month=2026-11")).get("monthlyTrackedUsers").asInt()).isEqualTo(1);
    }

    /**
     * The group commit: deliveries that arrive while a commit is going share the next one, and each
     * is answered with its own counts. The first commit is held until half the senders' first
     * deliveries wait behind it: those share the next commit, however fast the machine is.
     */
    @Test
    void concurrentDeliveriesShareCommitsAndEachIsAnsweredWithItsOwnResult() throws Exception {
        int senders = 32;
        int perSender = 25;
        double commitsBefore = meters.counter("bridge.webhook.commits").count();
        database().inject(Fault.HELD_COMMIT);
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        try {
            List<Future<List<Integer>>> results = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int sender = s;
                results.add(pool.submit(() -> {
                    List<Integer> codes = new ArrayList<>();
                    for (int i = 0; i < perSender; i++) {
                        String name = i % 3 == 0 ? "emailSend" : "emailOpen";
                        HttpResponse<String> r = deliver(event(name, "u" + sender + "@x.com", "m-" + sender + "-" + i,
                                "2026-11-05 12:00:00 +00:00"));
                        codes.add(r.statusCode() == 200 && json(r).get("stored").asInt() == 1 ? 200 : r.statusCode());
                    }
                    return codes;
                }));
            }
            await("half the senders' deliveries wait behind the held commit").atMost(PATIENCE).until(
                    () -> meters.get("bridge.webhook.deliveries.waiting").gauge().value(), greaterThanOrEqualTo(senders / 2.0));
            database().inject(Fault.NONE);
            for (Future<List<Integer>> result : results) {
                assertThat(result.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).containsOnly(200);
            }
        } finally {
            database().inject(Fault.NONE);
            pool.shutdownNow();
        }
        int deliveries = senders * perSender;
        assertThat(count("exempt_events") + count("billable_events")).isEqualTo(deliveries);
        assertThat(count("exempt_events")).isEqualTo(senders * 9);
        double commits = meters.counter("bridge.webhook.commits").count() - commitsBefore;
        assertThat(commits).as("the %d or more deliveries that waited shared one commit", senders / 2)
                .isLessThanOrEqualTo(deliveries - (senders / 2 - 1));
    }

    @Test
    void mtuCountsUsersWithABillableEventPerUtcMonth() {
        deliver(event("emailSend", "a@x.com", "1", "2026-11-01 08:00:00 +00:00"));
        deliver(event("emailOpen", "a@x.com", "1", "2026-11-01 09:00:00 +00:00"));
        deliver(event("emailClick", "A@X.com", "1", "2026-11-02 09:00:00 +00:00")); // same user, other case
        deliver(event("emailSend", "b@x.com", "2", "2026-11-03 08:00:00 +00:00"));   // exempt only
        deliver(event("pushSend", "b@x.com", "3", "2026-11-04 08:00:00 +00:00"));    // exempt only
        deliver("{\"userId\":\"u-7\",\"eventName\":\"pushOpen\",\"dataFields\":{\"createdAt\":\"2026-11-30 23:59:59 +00:00\"}}");
        deliver(event("emailOpen", "c@x.com", "4", "2026-10-31 23:59:59 +00:00"));   // October
        deliver(event("emailOpen", "d@x.com", "5", "2026-12-01 00:30:00 +01:00"));   // still November in UTC

        JsonNode november = json(get("/api/mtu?month=2026-11"));
        assertThat(november.get("month").asText()).isEqualTo("2026-11");
        assertThat(november.get("monthlyTrackedUsers").asInt()).isEqualTo(3); // a, u-7, d
        assertThat(november.get("billableEvents").asInt()).isEqualTo(4);
        assertThat(november.get("exemptEvents").asInt()).isEqualTo(3);
        assertThat(november.get("exemptOnlyUsers").asInt()).isEqualTo(1); // b

        JsonNode october = json(get("/api/mtu?month=2026-10"));
        assertThat(october.get("monthlyTrackedUsers").asInt()).isEqualTo(1);
        assertThat(october.get("exemptEvents").asInt()).isZero();

        JsonNode empty = json(get("/api/mtu?month=2025-01"));
        assertThat(empty.get("monthlyTrackedUsers").asInt()).isZero();

        // the users the report counts: each once per month and kind, however many events they had
        assertThat(jdbc.query("SELECT event_month, billable, user_key FROM month_users ORDER BY event_month, billable, user_key",
                (row, i) -> row.getString(1) + (row.getBoolean(2) ? " billable " : " exempt ") + row.getString(3))).containsExactly(
                "2026-10 billable c@x.com",
                "2026-11 exempt a@x.com", "2026-11 exempt b@x.com",
                "2026-11 billable a@x.com", "2026-11 billable d@x.com", "2026-11 billable u-7");
    }

    /** Two replicas may both add a user's row for a month (each checked before the other committed): counted once. */
    @Test
    void aUserAddedTwiceByTwoReplicasIsCountedOnce() {
        assertThat(deliver(event("emailOpen", "a@x.com", "1", "2026-11-01 09:00:00 +00:00")).statusCode()).isEqualTo(200);
        assertThat(deliver(event("emailSend", "b@x.com", "2", "2026-11-01 09:00:00 +00:00")).statusCode()).isEqualTo(200);
        jdbc.update("INSERT INTO month_users (event_month, billable, user_key) VALUES ('2026-11', TRUE, 'a@x.com')");
        jdbc.update("INSERT INTO month_users (event_month, billable, user_key) VALUES ('2026-11', FALSE, 'b@x.com')");

        JsonNode november = json(get("/api/mtu?month=2026-11"));
        assertThat(november.get("monthlyTrackedUsers").asInt()).isEqualTo(1);
        assertThat(november.get("exemptOnlyUsers").asInt()).isEqualTo(1);
    }

    /** A delivery that repeats a stored event is committed again with a MERGE: its new users count too. */
    @Test
    void aUserFirstSeenBesideARedeliveredEventIsCounted() {
        String stored = event("emailOpen", "a@x.com", "1", "2026-11-01 09:00:00 +00:00");
        assertThat(deliver(stored).statusCode()).isEqualTo(200);

        HttpResponse<String> response = deliver("[" + stored + ","
                + event("emailClick", "e@x.com", "2", "2026-11-05 09:00:00 +00:00") + ","
                + event("pushSend", "f@x.com", "3", "2026-11-05 09:00:00 +00:00") + "]");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("stored").asInt()).isEqualTo(2);
        assertThat(json(response).get("duplicates").asInt()).isEqualTo(1);
        JsonNode november = json(get("/api/mtu?month=2026-11"));
        assertThat(november.get("monthlyTrackedUsers").asInt()).isEqualTo(2); // a, e
        assertThat(november.get("billableEvents").asInt()).isEqualTo(2);
        assertThat(november.get("exemptOnlyUsers").asInt()).isEqualTo(1); // f
    }

    @Test
    void theMtuReportSays503WhenTheDatabaseIsUnreachable() {
        database().inject(Fault.UNREACHABLE);

        HttpResponse<String> response = get("/api/mtu?month=2026-11");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(json(response).get("error").asText()).isEqualTo("store_unavailable");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "?month=2026-13", "?month=2026-1", "?month=November", "?month=2026-11-01"})
    void aBadMonthIs400(String query) {
        HttpResponse<String> response = get("/api/mtu" + query);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).get("message").asText()).contains("YYYY-MM");
    }

    private void assertRejected(HttpResponse<String> response, int status, String message, String payload) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(json(response).get("message").asText()).contains(message);
        Map<String, Object> rejected = jdbc.queryForList("SELECT * FROM rejected_webhooks ORDER BY id DESC").get(0);
        assertThat(rejected.get("HTTP_STATUS")).isEqualTo(status);
        assertThat((String) rejected.get("REASON")).contains(message);
        if (payload != null) {
            assertThat(rejected.get("PAYLOAD")).isEqualTo(payload);
        }
        assertThat(count("billable_events") + count("exempt_events")).isZero();
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}

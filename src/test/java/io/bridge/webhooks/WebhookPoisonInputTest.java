package io.bridge.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.FaultInjectingDataSource.Fault;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Issue 9, items 7 to 12: deliveries that used to be lost (silently dropped, 503 on every retry,
 * 500, kept empty) or stored wrongly. Each is either stored exactly as sent or refused with a 4xx
 * that says what to fix and kept in rejected_webhooks.
 */
@ExtendWith(OutputCaptureExtension.class)
class WebhookPoisonInputTest extends BridgeHttpTest {

    static final String TOKEN = "OAuth2 test-webhook-token";
    static final Map<String, String> JSON_DELIVERY = Map.of("Content-Type", "application/json", "Authorization", TOKEN);
    static final int MIB = 1024 * 1024;

    HttpResponse<String> deliver(String body) {
        return post("/webhooks/iterable", body, JSON_DELIVERY);
    }

    HttpResponse<String> deliver(byte[] body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/webhooks/iterable"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Authorization", TOKEN);
        headers.forEach(request::header);
        return send(request.build());
    }

    // ---- item 7: log forging ----------------------------------------------------------------

    @Test
    void item7_controlCharactersFromInputNeverStartALogLineOfTheirOwn(CapturedOutput output) {
        LoggingSystem logging = LoggingSystem.get(getClass().getClassLoader());
        logging.setLogLevel("iterable-webhook-rejection", LogLevel.INFO);
        try {
            HttpResponse<String> response = deliver("""
                    {"email":"a@x.com","eventName":"emailOpen","dataFields":{"createdAt":\
                    "2026-11-01\\nFORGED ERROR admin password reset\\r\\u2028FORGED2\\u0000"}}""");

            assertRejected(response, 400, "createdAt");
        } finally {
            logging.setLogLevel("iterable-webhook-rejection", null);
        }
        String log = output.getAll();
        assertThat(log).as("the rejection is logged").contains("webhook delivery rejected (400)");
        assertThat(log.lines()).noneMatch(line -> line.startsWith("FORGED"));
        assertThat(log).doesNotContain("\u2028").doesNotContain("\u0000")
                .contains("2026-11-01\\nFORGED ERROR admin password reset\\r\\u2028FORGED2\\u0000");
    }

    // ---- item 8: trailing content -------------------------------------------------------------

    @Test
    void item8_aSecondJsonValueAfterTheFirstIs400AndNothingIsStored() {
        String body = "{\"email\":\"c1@x.com\",\"eventName\":\"emailOpen\"}{\"email\":\"c2@x.com\",\"eventName\":\"emailOpen\"}";

        HttpResponse<String> response = deliver(body);

        assertRejected(response, 400, "trailing content after the JSON value");
        assertKept(400, body);
        assertThat(stored()).isZero();
    }

    @Test
    void item8_garbageAfterTheJsonValueIs400() {
        String body = "{\"email\":\"c1@x.com\",\"eventName\":\"emailOpen\"} trailing";

        assertRejected(deliver(body), 400, "not valid JSON");
        assertKept(400, body);
        assertThat(stored()).isZero();
    }

    // ---- item 9: poison events are 400 and kept; columns hold what the limits admit ---------

    @Test
    void item9_aCreatedAtInTheYear10000Is400AndKept() {
        String body = "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"createdAt\":253402300800000}}";

        HttpResponse<String> response = deliver(body);

        assertRejected(response, 400, "dataFields.createdAt");
        assertThat(json(response).get("message").asText()).contains("10000-01-01T00:00:00Z").contains("2000-01-01");
        assertKept(400, body);
    }

    @Test
    void item9_aBodyJustUnderTheLimitIsStoredWithItsSource() {
        String head = "{\"email\":\"big@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"pad\":\"";
        String tail = "\"}}";
        String body = head + "x".repeat(MIB - 10 - head.length() - tail.length()) + tail;
        assertThat(body.length()).isEqualTo(MIB - 10);

        HttpResponse<String> response = deliver(body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(json(response).get("stored").asInt()).isEqualTo(1);
        String properties = jdbc.queryForObject("SELECT properties FROM billable_events", String.class);
        assertThat(properties).hasSize(body.length() + ",\"$source\":\"iterable\"".length())
                .endsWith("\"$source\":\"iterable\"}");
        assertThat(count("rejected_webhooks")).isZero();
    }

    @Test
    void item9_numbersAreStoredAsWrittenSoPropertiesNeverGrow() {
        StringBuilder body = new StringBuilder("{\"email\":\"n@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"v\":[1e9");
        while (body.length() < 800 * 1024) {
            body.append(",1e9");
        }
        body.append("]}}");

        HttpResponse<String> response = deliver(body.toString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        String properties = jdbc.queryForObject("SELECT properties FROM billable_events", String.class);
        assertThat(properties).startsWith(body.substring(0, body.length() - 1)).doesNotContain("1.0E9")
                .hasSize(body.length() + ",\"$source\":\"iterable\"".length());
    }

    @Test
    void item9_anEmailWhoseLowerCaseOutgrowsTheColumnIs400AndKept() {
        String body = "{\"email\":\"" + "\u0130".repeat(300) + "\",\"eventName\":\"emailOpen\"}";

        HttpResponse<String> response = deliver(body);

        assertRejected(response, 400, "email is longer than 320 characters in lower case");
        assertKept(400, body);
    }

    @Test
    void item9_anEventNameOfEmojiIsMeasuredAsTheColumnMeasuresItAndTheMessageSaysSo() {
        String body = "{\"email\":\"a@x.com\",\"eventName\":\"" + "\ud83d\ude00".repeat(65) + "\"}";

        HttpResponse<String> response = deliver(body);

        assertRejected(response, 400, "eventName is longer than 128 characters (one outside Unicode's first plane, such as most emoji, "
                + "counts as two)");
        assertKept(400, body);
        assertThat(deliver("{\"email\":\"a@x.com\",\"eventName\":\"" + "\ud83d\ude00".repeat(64) + "\"}").statusCode())
                .as("64 of them fit").isEqualTo(200);
    }

    @Test
    void item9_dataTheDatabaseRefusesIs400AndKeptNot503() {
        String body = "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"messageId\":\"m1\"}}";
        database().inject(Fault.DATA_ERROR);

        HttpResponse<String> response = deliver(body);

        database().inject(Fault.NONE);
        assertRejected(response, 400, "the database refused");
        assertThat(json(response).get("message").asText()).contains("22001");
        assertKept(400, body);
        assertThat(stored()).isZero();
        assertThat(deliver(body).statusCode()).as("the same event once the database takes it").isEqualTo(200);
    }

    @Test
    void item9_aDatabaseThatIsDownIsStill503() {
        database().inject(Fault.UNREACHABLE);
        HttpResponse<String> response = deliver("{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}");
        database().inject(Fault.NONE);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(json(response).get("error").asText()).isEqualTo("store_unavailable");
        assertThat(stored() + count("rejected_webhooks")).isZero();
    }

    @Test
    void item9_nulCharactersAreStoredEscapedOrRefusedAndKeptEvenOnPostgresql() {
        String escaped = "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"note\":\"a\\u0000b\"}}";
        HttpResponse<String> stored = deliver(escaped);
        assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
        assertThat(jdbc.queryForObject("SELECT properties FROM billable_events", String.class)).contains("\"note\":\"a\\u0000b\"");
        jdbc.update("DELETE FROM billable_events");

        assertRejected(deliver("{\"email\":\"a\\u0000@x.com\",\"eventName\":\"emailOpen\"}"), 400,
                "email must not contain control characters");

        byte[] raw = "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}\u0000".getBytes(StandardCharsets.UTF_8);
        assertRejected(deliver(raw, Map.of("Content-Type", "application/json")), 400, "not valid JSON");
        Map<String, Object> kept = lastRejected();
        assertThat(kept.get("PAYLOAD")).isEqualTo(Base64.getEncoder().encodeToString(raw));
        assertThat((String) kept.get("REASON")).contains("base64");
    }

    // ---- item 10: bytes, charsets, encodings --------------------------------------------------

    @Test
    void item10_invalidUtf8Is400AndThePayloadIsKeptAsBase64() {
        byte[] body = bytes("{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"n\":\"", new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF},
                "\"}}");

        HttpResponse<String> response = deliver(body, Map.of("Content-Type", "application/json"));

        assertRejected(response, 400, "not valid UTF-8");
        Map<String, Object> kept = lastRejected();
        assertThat(kept.get("PAYLOAD")).isEqualTo(Base64.getEncoder().encodeToString(body));
        assertThat((String) kept.get("REASON")).contains("base64");
    }

    @Test
    void item10_aCharsetOtherThanUtf8Is415SayingSo() {
        byte[] body = "{\"email\":\"caf\u00e9@x.com\",\"eventName\":\"emailOpen\"}".getBytes(StandardCharsets.ISO_8859_1);

        HttpResponse<String> response = deliver(body, Map.of("Content-Type", "application/json; charset=ISO-8859-1"));

        assertRejected(response, 415, "charset");
        assertThat(json(response).get("message").asText()).contains("ISO-8859-1").contains("UTF-8");
        assertThat(lastRejected().get("PAYLOAD")).isEqualTo(Base64.getEncoder().encodeToString(body));
    }

    @Test
    void item10_aGzippedDeliveryIsDecodedAndStored() {
        String event = "{\"email\":\"gz@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"createdAt\":\"2026-11-01 10:00:00 +00:00\"}}";

        HttpResponse<String> response = deliver(gzip(event.getBytes(StandardCharsets.UTF_8)),
                Map.of("Content-Type", "application/json", "Content-Encoding", "gzip"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(json(response).get("stored").asInt()).isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT email FROM billable_events", String.class)).isEqualTo("gz@x.com");
    }

    @Test
    void item10_aGzipBombIs413AndOnlyItsStartIsKept() {
        byte[] inflated = ("{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"pad\":\""
                + " ".repeat(16 * MIB) + "\"}}").getBytes(StandardCharsets.UTF_8);
        byte[] bomb = gzip(inflated);
        assertThat(bomb.length).isLessThan(MIB / 4);

        HttpResponse<String> response = deliver(bomb, Map.of("Content-Type", "application/json", "Content-Encoding", "gzip"));

        assertRejected(response, 413, "inflates to more than 1048576 bytes");
        assertThat((String) lastRejected().get("PAYLOAD")).startsWith("{\"email\":\"a@x.com\"")
                .hasSize(IterableWebhookBody.KEPT_OF_OVERSIZE);
    }

    @Test
    void item10_aBodyThatIsNotGzipAsDeclaredIs400AndKept() {
        byte[] body = "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}".getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> response = deliver(body, Map.of("Content-Type", "application/json", "Content-Encoding", "gzip"));

        assertRejected(response, 400, "not valid gzip");
        assertKept(400, new String(body, StandardCharsets.UTF_8)); // what arrived, as it is text
    }

    @Test
    void item10_anotherContentEncodingIs415() {
        byte[] body = "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}".getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> response = deliver(body, Map.of("Content-Type", "application/json", "Content-Encoding", "br"));

        assertRejected(response, 415, "Content-Encoding 'br' is not supported");
        assertThat(count("rejected_webhooks")).isEqualTo(1);
    }

    @Test
    void finding10_gzipWithBytesAfterItsEndIs400AndKept() {
        byte[] event = "{\"email\":\"gz@x.com\",\"eventName\":\"emailOpen\"}".getBytes(StandardCharsets.UTF_8);
        Map<String, String> gzipped = Map.of("Content-Type", "application/json", "Content-Encoding", "gzip");
        byte[] garbage = concat(gzip(event), "GARBAGE".getBytes(StandardCharsets.UTF_8));

        assertRejected(deliver(garbage, gzipped), 400, "trailing bytes after the gzip data");
        assertThat(lastRejected().get("PAYLOAD")).as("what arrived, base64 as it is binary")
                .isEqualTo(Base64.getEncoder().encodeToString(garbage));

        assertRejected(deliver(concat(gzip(event), new byte[] {0x1f}), gzipped), 400, "trailing bytes after the gzip data");
        byte[] truncated = java.util.Arrays.copyOf(gzip(event), gzip(event).length - 3);
        assertRejected(deliver(truncated, gzipped), 400, "not valid gzip");
        byte[] badCrc = gzip(event);
        badCrc[badCrc.length - 8] ^= 1;
        assertRejected(deliver(badCrc, gzipped), 400, "not valid gzip");
        assertRejected(deliver(new byte[0], gzipped), 400, "not valid gzip");
        assertThat(count("rejected_webhooks")).isEqualTo(5);
    }

    @Test
    void finding10_concatenatedGzipMembersAreOneBody() {
        byte[] head = "{\"email\":\"two@x.com\",".getBytes(StandardCharsets.UTF_8);
        byte[] tail = "\"eventName\":\"emailOpen\"}".getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> response = deliver(concat(gzip(head), gzip(tail)),
                Map.of("Content-Type", "application/json", "Content-Encoding", "gzip"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(jdbc.queryForObject("SELECT email FROM billable_events", String.class)).isEqualTo("two@x.com");
    }

    // ---- finding 9: invisible and bidirectional characters, blank identities -----------------

    @Test
    void finding9_namesAndIdsWithInvisibleOrBidirectionalCharactersAre400AndKept() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\\u202EFAKE\"}", "eventName must not contain");
        cases.put("{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\u2028\"}", "U+2028");
        cases.put("{\"email\":\"a@x.com\",\"eventName\":\"email\\u200bOpen\"}", "U+200B");
        cases.put("{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\\u2029\"}", "U+2029");
        cases.put("{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\\udb40\\udc41\"}", "U+E0041");
        cases.put("{\"email\":\"a\\u200d@x.com\",\"eventName\":\"emailOpen\"}", "email must not contain");
        cases.put("{\"userId\":\"u\\u20661\",\"eventName\":\"emailOpen\"}", "userId must not contain");
        cases.put("{\"eventName\":\"emailOpen\",\"dataFields\":{\"email\":\"\\ufeffb@x.com\"}}", "email must not contain");
        cases.put("{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"messageId\":\"m\\u200e1\"}}",
                "messageId must not contain");

        cases.forEach((body, message) -> {
            assertRejected(deliver(body), 400, message);
            assertKept(400, body);
        });
        assertThat(count("rejected_webhooks")).isEqualTo(cases.size());
    }

    @Test
    void finding9_anIdentityOfOnlyWhitespaceIsNoIdentity() {
        for (String body : List.of(
                "{\"email\":\"\\u00a0\",\"eventName\":\"emailOpen\"}",
                "{\"email\":\"\u2003\u3000 \",\"eventName\":\"emailOpen\"}",
                "{\"userId\":\"\\u00a0\\u2007\",\"eventName\":\"emailOpen\"}",
                "{\"email\":\" \",\"userId\":\"\\u202f\",\"eventName\":\"emailOpen\",\"dataFields\":{\"email\":\"\\u00a0\"}}")) {
            assertRejected(deliver(body), 400, "no user identity: give email, dataFields.email or userId");
            assertKept(400, body);
        }
        assertRejected(deliver("{\"email\":\"a@x.com\",\"eventName\":\"\\u00a0\"}"), 400, "eventName must be a non-empty string");

        HttpResponse<String> byUserId = deliver("{\"email\":\"\\u00a0\",\"userId\":\"u-1\",\"eventName\":\"emailOpen\"}");
        assertThat(byUserId.statusCode()).as(byUserId.body()).isEqualTo(200);
        HttpResponse<String> spaced = deliver("{\"email\":\"\\u00a0Spaced@x.com\\u2003\",\"eventName\":\"emailOpen\"}");
        assertThat(spaced.statusCode()).as(spaced.body()).isEqualTo(200);
        assertThat(jdbc.queryForList("SELECT COALESCE(email, '-') || ' ' || user_key FROM billable_events ORDER BY user_key",
                String.class)).containsExactly("Spaced@x.com spaced@x.com", "- u-1");
    }

    @Test
    void finding9_anEmailWithoutAnAtSignIs400() {
        for (String body : List.of("{\"email\":\"not-an-email\",\"eventName\":\"emailOpen\"}",
                "{\"eventName\":\"emailOpen\",\"userId\":\"u-1\",\"dataFields\":{\"email\":\"nobody\"}}")) {
            assertRejected(deliver(body), 400, "email must contain '@'");
            assertKept(400, body);
        }
    }

    // ---- item 11: times, names, numbers, duplicate keys ---------------------------------------

    @Test
    void item11_epochSecondsAndEpochMillisAreTheSameInstant() {
        assertThat(deliver(withCreatedAt("s@x.com", "1700000000")).statusCode()).isEqualTo(200);
        assertThat(deliver(withCreatedAt("ms@x.com", "1700000000000")).statusCode()).isEqualTo(200);

        for (String email : List.of("s@x.com", "ms@x.com")) {
            Map<String, Object> row = jdbc.queryForMap("SELECT event_time, event_month FROM billable_events WHERE email = ?", email);
            assertThat(row.get("EVENT_MONTH")).as(email).isEqualTo("2023-11");
            assertThat(jdbc.queryForObject("SELECT event_time FROM billable_events WHERE email = ?", OffsetDateTime.class, email)
                    .toInstant()).isEqualTo(Instant.parse("2023-11-14T22:13:20Z"));
        }
    }

    @Test
    void item11_timesOutsideTheSaneRangeAre400() {
        for (String createdAt : List.of("-62198755200000", "0", "\"-0001-06-01T00:00:00Z\"", "\"1999-12-31 23:59:59 +00:00\"",
                String.valueOf(Instant.now().plusSeconds(3 * 86400).toEpochMilli()), "1.7e12")) {
            HttpResponse<String> response = deliver(withCreatedAt("r@x.com", createdAt));
            assertRejected(response, 400, "dataFields.createdAt");
        }
        assertThat(count("rejected_webhooks")).isEqualTo(6);
    }

    @Test
    void item11_anEventNameThatIsNotAStringIs400() {
        assertRejected(deliver("{\"email\":\"a@x.com\",\"eventName\":123}"), 400, "eventName must be a string");
        assertRejected(deliver("{\"email\":\"a@x.com\",\"eventName\":true}"), 400, "eventName must be a string");
        assertRejected(deliver("{\"email\":7,\"eventName\":\"emailOpen\"}"), 400, "email must be a string");
    }

    @Test
    void item11_hugeAndOddNumbersAreKeptAsWritten() {
        String body = "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"big\":1e400,\"neg\":-0.0,"
                + "\"long\":123456789012345678901234567890,\"exp\":1E+009,\"campaignId\":42}}";

        HttpResponse<String> response = deliver(body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        String properties = jdbc.queryForObject("SELECT properties FROM billable_events", String.class);
        assertThat(properties).contains("\"big\":1e400", "\"neg\":-0.0", "\"long\":123456789012345678901234567890",
                "\"exp\":1E+009").doesNotContain("Infinity");
        assertThat(jdbc.queryForObject("SELECT campaign_id FROM billable_events", String.class)).isEqualTo("42");
    }

    @Test
    void item11_aDuplicateKeyIs400NamingIt() {
        String body = "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"messageId\":\"m1\",\"messageId\":\"m2\"}}";

        HttpResponse<String> response = deliver(body);

        assertRejected(response, 400, "duplicate key 'messageId'");
        assertThat(json(response).get("message").asText()).contains("/dataFields");
        assertKept(400, body);
    }

    // ---- item 12: multipart -------------------------------------------------------------------

    @Test
    void item12_aMultipartDeliveryIs415AndWhatArrivedIsKept() {
        String body = "--XyZ\r\nContent-Disposition: form-data; name=\"event\"; filename=\"e.json\"\r\n"
                + "Content-Type: application/json\r\n\r\n{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}\r\n--XyZ--\r\n";

        HttpResponse<String> response = deliver(body.getBytes(StandardCharsets.UTF_8),
                Map.of("Content-Type", "multipart/form-data; boundary=XyZ"));

        assertRejected(response, 415, "Content-Type must be application/json");
        assertKept(415, body);
        assertThat((String) lastRejected().get("CONTENT_TYPE")).startsWith("multipart/form-data");
    }

    // ---- nesting --------------------------------------------------------------------------------

    @Test
    void deepNestingIs400NotAStackOverflow() {
        String body = "[".repeat(100_000);

        HttpResponse<String> response = deliver(body);

        assertRejected(response, 400, "nesting depth");
        assertKept(400, body);
        String nestedEvent = "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"n\":"
                + "[".repeat(1500) + "]".repeat(1500) + "}}";
        assertRejected(deliver(nestedEvent), 400, "nesting depth");
    }

    // ---- helpers --------------------------------------------------------------------------------

    static String withCreatedAt(String email, String createdAtJson) {
        return "{\"email\":\"" + email + "\",\"eventName\":\"emailOpen\",\"dataFields\":{\"createdAt\":" + createdAtJson + "}}";
    }

    int stored() {
        return count("billable_events") + count("exempt_events");
    }

    Map<String, Object> lastRejected() {
        List<Map<String, Object>> rows = jdbc.queryForList("SELECT * FROM rejected_webhooks ORDER BY id DESC");
        assertThat(rows).as("a row in rejected_webhooks").isNotEmpty();
        return rows.get(0);
    }

    void assertKept(int status, String payload) {
        Map<String, Object> kept = lastRejected();
        assertThat(kept.get("HTTP_STATUS")).isEqualTo(status);
        assertThat(kept.get("PAYLOAD")).isEqualTo(payload);
    }

    /** Status, the JSON error body, and the kept row with the same reason; nothing stored. */
    void assertRejected(HttpResponse<String> response, int status, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode error = json(response);
        assertThat(error.get("status").asInt()).isEqualTo(status);
        assertThat(error.get("error").asText()).isEqualTo(switch (status) {
            case 413 -> "payload_too_large";
            case 415 -> "unsupported_media_type";
            default -> "invalid_webhook";
        });
        assertThat(error.get("message").asText()).contains(message);
        Map<String, Object> kept = lastRejected();
        assertThat(kept.get("HTTP_STATUS")).isEqualTo(status);
        assertThat((String) kept.get("REASON")).contains(message);
        assertThat(stored()).isZero();
    }

    static byte[] bytes(String head, byte[] middle, String tail) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(middle);
        out.writeBytes(tail.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }
}

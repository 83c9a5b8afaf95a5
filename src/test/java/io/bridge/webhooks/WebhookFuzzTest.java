package io.bridge.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.support.BridgeHttpTest;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A few hundred generated odd deliveries (seeded: a failure names its case and is reproducible with
 * {@code -Dwebhook.fuzz.seed=<seed>}): random JSON shapes, odd types, huge and odd numbers, control
 * and surrogate characters, invisible and bidirectional characters, blank identities, invalid UTF-8,
 * trailing content, deep nesting, duplicate keys, odd content types, gzip (in several members, or
 * with bytes after it). Whatever arrives: never a 5xx; a 2xx only once all its events are stored; a 4xx
 * always kept in rejected_webhooks with its reason.
 */
class WebhookFuzzTest extends BridgeHttpTest {

    static final long SEED = Long.getLong("webhook.fuzz.seed", 20260109L);
    static final int CASES = Integer.getInteger("webhook.fuzz.cases", 400);

    static final List<String> NAMES = List.of("emailSend", "emailOpen", "emailClick", "emailUnSubscribe", "pushSend",
            "smsReceived", "whatsAppRead", "inAppOpen");

    @Test
    void oddDeliveriesAreStoredOrRefusedAndKeptNeverLost() {
        Random random = new Random(SEED);
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < CASES; i++) {
            Delivery delivery = delivery(random);
            String what = "case " + i + " of seed " + SEED + ": " + delivery.describe();
            int storedBefore = stored();
            int rejectedBefore = count("rejected_webhooks");

            HttpResponse<String> response = send(delivery.request(uri("/webhooks/iterable")));

            int status = response.statusCode();
            statuses.merge(status, 1, Integer::sum);
            assertThat(status).as(what + " -> " + response.body()).isIn(200, 400, 413, 415);
            JsonNode answer = json(response);
            if (delivery.mutation.contains("gzip and bytes after it")) {
                assertThat(status).as(what + ": bytes after the gzip data are refused, never dropped").isNotEqualTo(200);
            }
            if (status == 200) {
                int events = expectedEvents(delivery.json);
                assertThat(answer.get("stored").asInt() + answer.get("duplicates").asInt()).as(what).isEqualTo(events);
                assertThat(stored()).as(what + ": its events are in the tables")
                        .isEqualTo(storedBefore + answer.get("stored").asInt());
                assertThat(count("rejected_webhooks")).as(what).isEqualTo(rejectedBefore);
            } else {
                assertThat(answer.get("status").asInt()).as(what).isEqualTo(status);
                assertThat(answer.get("error").asText()).as(what).isNotBlank();
                String message = answer.get("message").asText();
                assertThat(message).as(what).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
                assertThat(stored()).as(what + ": nothing stored").isEqualTo(storedBefore);
                assertThat(count("rejected_webhooks")).as(what + ": kept").isEqualTo(rejectedBefore + 1);
                Map<String, Object> kept = jdbc.queryForMap("SELECT * FROM rejected_webhooks ORDER BY id DESC LIMIT 1");
                assertThat(kept.get("HTTP_STATUS")).as(what).isEqualTo(status);
                assertThat((String) kept.get("REASON")).as(what)
                        .startsWith(message.substring(0, Math.min(message.length(), 200)));
                assertThat((String) kept.get("PAYLOAD")).as(what + ": what arrived").isNotNull();
                if (delivery.body.length > 0 && delivery.body.length < 64 * 1024) {
                    assertThat((String) kept.get("PAYLOAD")).as(what).isNotEmpty();
                }
            }
        }
        // the generator must reach both sides, or this test proves little
        assertThat(statuses.getOrDefault(200, 0)).as("deliveries stored: " + statuses).isGreaterThan(CASES / 10);
        assertThat(statuses.getOrDefault(400, 0)).as("deliveries refused: " + statuses).isGreaterThan(CASES / 4);
    }

    int stored() {
        return count("billable_events") + count("exempt_events");
    }

    /** Events in a body the bridge accepted: an array's elements, else one. */
    static int expectedEvents(byte[] body) {
        try {
            JsonNode root = JSON.readTree(body);
            return root.isArray() ? root.size() : 1;
        } catch (java.io.IOException e) {
            throw new AssertionError("a 200 for a body that is not JSON: " + new String(body, StandardCharsets.UTF_8), e);
        }
    }

    // ---- the generator ------------------------------------------------------------------------

    /** What is sent ({@code body}, gzip when {@code gzip}) and the JSON text it carries ({@code json}). */
    record Delivery(byte[] body, byte[] json, boolean gzip, String contentType, String mutation) {
        HttpRequest request(java.net.URI uri) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .header("Authorization", "OAuth2 test-webhook-token");
            if (contentType != null) {
                request.header("Content-Type", contentType);
            }
            if (gzip) {
                request.header("Content-Encoding", "gzip");
            }
            return request.build();
        }

        String describe() {
            String text = new String(json, 0, Math.min(json.length, 300), StandardCharsets.UTF_8);
            return "[" + mutation + ", " + contentType + (gzip ? ", gzip " : ", ") + body.length + " bytes] " + text;
        }
    }

    static Delivery delivery(Random r) {
        String json;
        int shape = r.nextInt(10);
        if (shape < 6) {
            json = event(r);
        } else if (shape < 8) {
            StringBuilder array = new StringBuilder("[");
            int n = r.nextInt(5);
            for (int i = 0; i < n; i++) {
                array.append(i == 0 ? "" : ",").append(r.nextInt(8) == 0 ? value(r, 2) : event(r));
            }
            json = array.append(']').toString();
        } else {
            json = value(r, 3);
        }
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String mutation = "none";
        switch (r.nextInt(20)) {
            case 0 -> {
                mutation = "trailing";
                body = concat(body, pick(r, "{}", " x", "]", "}", "\u0000", event(r), " \n ", ",").getBytes(StandardCharsets.UTF_8));
            }
            case 1 -> {
                mutation = "truncated";
                body = java.util.Arrays.copyOf(body, r.nextInt(body.length + 1));
            }
            case 2 -> {
                mutation = "invalid utf-8";
                byte[][] bad = {{(byte) 0xFF}, {(byte) 0xC3, 0x28}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                        {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}};
                int at = r.nextInt(body.length + 1);
                body = concat(java.util.Arrays.copyOf(body, at), bad[r.nextInt(bad.length)],
                        java.util.Arrays.copyOfRange(body, at, body.length));
            }
            case 3 -> {
                mutation = "duplicate key";
                String text = new String(body, StandardCharsets.UTF_8);
                body = text.replaceFirst("\\{", "{\"k\":1,\"k\":2,").getBytes(StandardCharsets.UTF_8);
            }
            case 4 -> {
                mutation = "deep nesting";
                int depth = 990 + r.nextInt(40);
                body = ("{\"email\":\"deep@x.com\",\"eventName\":\"emailOpen\",\"dataFields\":{\"d\":" + "[".repeat(depth)
                        + "]".repeat(depth) + "}}").getBytes(StandardCharsets.UTF_8);
            }
            case 5 -> {
                mutation = "raw control character";
                String text = new String(body, StandardCharsets.UTF_8);
                int at = r.nextInt(text.length() + 1);
                body = (text.substring(0, at) + (char) r.nextInt(0x20) + text.substring(at)).getBytes(StandardCharsets.UTF_8);
            }
            case 6 -> {
                mutation = "byte order mark";
                body = concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, body);
            }
            default -> {
                // as generated
            }
        }
        byte[] text = body;
        boolean gzip = false;
        switch (r.nextInt(12)) {
            case 0 -> {
                mutation += ", gzip";
                gzip = true;
                body = WebhookPoisonInputTest.gzip(text);
            }
            case 1 -> {
                mutation += ", gzip in two members";
                gzip = true;
                int half = r.nextInt(text.length + 1);
                body = concat(WebhookPoisonInputTest.gzip(java.util.Arrays.copyOf(text, half)),
                        WebhookPoisonInputTest.gzip(java.util.Arrays.copyOfRange(text, half, text.length)));
            }
            case 2 -> {
                mutation += ", gzip and bytes after it";
                gzip = true;
                body = concat(WebhookPoisonInputTest.gzip(text), pick(r, "GARBAGE", "\u001f", "\n", "\u0000\u0000")
                        .getBytes(StandardCharsets.UTF_8));
            }
            default -> {
                // sent as it is
            }
        }
        String contentType = r.nextInt(8) != 0 ? "application/json"
                : pick(r, null, "application/json; charset=utf-8", "application/json;charset=\"UTF-8\"",
                        "application/json; charset=latin1", "text/plain", "application/vnd.iterable+json",
                        "application/json; charset=utf-16", "multipart/form-data; boundary=x");
        return new Delivery(body, text, gzip, contentType, mutation);
    }

    static String event(Random r) {
        StringBuilder e = new StringBuilder("{");
        int fields = 0;
        if (r.nextInt(12) != 0) {
            e.append("\"eventName\":").append(r.nextInt(12) != 0 ? quote(pick(r, NAMES.toArray(String[]::new))) : odd(r));
            fields++;
        }
        if (r.nextInt(5) != 0) {
            e.append(fields++ > 0 ? "," : "").append("\"email\":")
                    .append(r.nextInt(10) != 0 ? quote("u" + r.nextInt(50) + "@x.com") : odd(r));
        }
        if (r.nextInt(3) == 0) {
            e.append(fields++ > 0 ? "," : "").append("\"userId\":").append(r.nextInt(3) != 0 ? quote("user-" + r.nextInt(99)) : odd(r));
        }
        if (r.nextInt(4) != 0) {
            e.append(fields++ > 0 ? "," : "").append("\"dataFields\":");
            if (r.nextInt(10) == 0) {
                e.append(value(r, 2));
            } else {
                e.append("{\"createdAt\":").append(createdAt(r));
                int extra = r.nextInt(6);
                for (int i = 0; i < extra; i++) {
                    e.append(",").append(quote(pick(r, "messageId", "campaignId", "templateId", "url", "$source",
                            "x" + i, "\u00e9t\u00e9", "k" + r.nextInt(1000)))).append(":").append(value(r, 3));
                }
                e.append("}");
            }
        }
        if (r.nextInt(6) == 0) {
            e.append(fields > 0 ? "," : "").append(quote("extra")).append(":").append(value(r, 3));
        }
        return e.append("}").toString();
    }

    static String createdAt(Random r) {
        return switch (r.nextInt(14)) {
            case 0, 1, 2, 8, 9, 10 -> quote(String.format("20%02d-%02d-%02d %02d:%02d:%02d +0%d:00", r.nextInt(27), 1 + r.nextInt(12),
                    1 + r.nextInt(28), r.nextInt(24), r.nextInt(60), r.nextInt(60), r.nextInt(10)));
            case 3 -> quote("2026-11-0" + (1 + r.nextInt(9)) + "T10:00:00Z");
            case 4 -> String.valueOf(1_500_000_000L + r.nextInt(200_000_000));
            case 5 -> String.valueOf(1_500_000_000_000L + (long) r.nextInt(Integer.MAX_VALUE) * 50);
            case 6 -> pick(r, "253402300800000", "-62198755200000", "0", "-1", "9223372036854775807",
                    "99999999999999999999999", "1e400", "1.7e12", "-0", "1700000000.5");
            case 7 -> quote(pick(r, "+10000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "yesterday", "",
                    "2026-11-01\nFORGED", "1999-12-31 23:59:59 +00:00", "2026-02-30 10:00:00 +00:00"));
            default -> odd(r);
        };
    }

    /** A value of an unexpected type, or an odd one of the expected type. */
    static String odd(Random r) {
        return switch (r.nextInt(9)) {
            case 8 -> quote(pick(r, "\\u00a0", "\u2003\u3000", "\\u200b", "a\\u202e@x.com", "emailOpen\\u2028",
                    "emailOpen\u2029", "no-at-sign", "\\ufeffu1@x.com", "u\\u00a0@x.com", "\\udb40\\udc41"));
            case 0 -> number(r);
            case 1 -> pick(r, "true", "false", "null");
            case 2 -> "{}";
            case 3 -> "[1,2]";
            case 4 -> quote(string(r, r.nextInt(4) == 0 ? 300 + r.nextInt(200) : r.nextInt(20)));
            case 5 -> quote("\u0130".repeat(170 + r.nextInt(200)));
            case 6 -> quote("");
            default -> quote(" \\t ");
        };
    }

    static String value(Random r, int depth) {
        int kind = r.nextInt(depth <= 0 ? 4 : 6);
        return switch (kind) {
            case 0 -> number(r);
            case 1 -> quote(string(r, r.nextInt(30) == 0 ? 100_000 : r.nextInt(24)));
            case 2 -> pick(r, "true", "false", "null");
            case 3 -> quote(string(r, r.nextInt(5)));
            case 4 -> {
                StringBuilder a = new StringBuilder("[");
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    a.append(i == 0 ? "" : ",").append(value(r, depth - 1));
                }
                yield a.append(']').toString();
            }
            default -> {
                StringBuilder o = new StringBuilder("{");
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    o.append(i == 0 ? "" : ",").append(quote("f" + i + string(r, r.nextInt(3)))).append(':').append(value(r, depth - 1));
                }
                yield o.append('}').toString();
            }
        };
    }

    static String number(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> String.valueOf(r.nextLong());
            case 1 -> String.valueOf(r.nextDouble() * Math.pow(10, r.nextInt(40) - 20));
            case 2 -> pick(r, "1e400", "-1e400", "1e-400", "-0", "-0.0", "1E+009", "1e9", "123456789012345678901234567890",
                    "9223372036854775808", "0.1e1", "4.9e-324");
            default -> r.nextInt(20) == 0 ? "9".repeat(1001 + r.nextInt(10)) : String.valueOf(r.nextInt(1000));
        };
    }

    /** JSON string content (already escaped) of about n characters. */
    static String string(Random r, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(n > 1000 ? 1 : 15)) {
                case 0, 1, 2, 3, 4, 5 -> s.append((char) ('a' + r.nextInt(26)));
                case 6 -> s.append(pick(r, "\\\"", "\\\\", "\\/", "\\n", "\\r", "\\t", "\\b", "\\f"));
                case 7 -> s.append(String.format("\\u%04x", r.nextInt(0x20)));
                case 8 -> s.append(r.nextInt(6) == 0 ? pick(r, "\\ud800", "\\udfff")
                        : pick(r, "\\ud83d\\ude00", "\\u0000", "\\u2028", "\\u202e", "\\u007f"));
                case 9 -> s.append(pick(r, "\u00e9", "\u0130", "\u4e2d", "\ud83d\ude00", "\u2028", "\u0085"));
                case 10 -> s.append(' ');
                case 11 -> s.append(pick(r, "@", ".", "-", "'", "<", "%", "$"));
                default -> s.append((char) ('0' + r.nextInt(10)));
            }
        }
        return s.toString();
    }

    static String quote(String escaped) {
        return "\"" + escaped + "\"";
    }

    @SafeVarargs
    static <T> T pick(Random r, T... options) {
        return options[r.nextInt(options.length)];
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}

package io.bridge.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeHttpTest;
import io.bridge.webhooks.IterableWebhookProperties;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * The HTTP edge under hostile input: credentials are checked on headers before any body is read,
 * no body is buffered past its limit, no request header comes back in a response, wrong methods and
 * unknown paths get a JSON 405/404, and a failure logs one neutralised line, no stack trace.
 */
@ExtendWith(OutputCaptureExtension.class)
@Import(HttpEdgeTest.FailingRoute.class)
class HttpEdgeTest extends BridgeHttpTest {

    static final String EVENT = "{\"email\":\"edge@x.com\",\"eventName\":\"emailOpen\"}";
    static final Map<String, String> AUTHORIZED = Map.of(
            "Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token");

    @Autowired
    IterableWebhookProperties webhooks;

    /** A route that fails the way a bug would: the shared http-errors configuration answers it. */
    @TestConfiguration(proxyBeanMethods = false)
    static class FailingRoute {
        @Bean
        RouteBuilder failingRoute() {
            return new RouteBuilder() {
                @Override
                public void configure() {
                    from("platform-http:/api/test-failure").routeId("test-failure").routeConfigurationId("http-errors")
                            .throwException(new IllegalStateException("bug\nFORGED 2099-01-01 ERROR line"));
                }
            };
        }
    }

    @Test
    void anUnauthenticatedHugeBodyIsRefusedWithoutBeingRead() throws IOException {
        Streamed sent = streamChunked("/webhooks/iterable", null, 64 << 20);

        assertThat(sent.status()).isEqualTo(401);
        assertThat(sent.bytesWritten()).as("bytes the bridge let in before answering").isLessThan(16L << 20);
        assertThat(count("rejected_webhooks")).isZero();
    }

    @Test
    void anAuthenticatedHugeChunkedBodyIsCutAtTheLimitAndKept() throws IOException {
        Streamed sent = streamChunked("/webhooks/iterable", "OAuth2 test-webhook-token", 64 << 20);

        assertThat(sent.status()).isEqualTo(413);
        assertThat(sent.bytesWritten()).isLessThan(16L << 20);
        assertThat(jdbc.queryForObject("SELECT http_status FROM rejected_webhooks", Integer.class)).isEqualTo(413);
    }

    @Test
    void noFormOrMultipartBodyIsReadBeforeAuthenticationWhateverTheMethodOrPath() throws IOException {
        for (String method : List.of("PUT", "PATCH", "DELETE", "POST")) {
            for (String path : List.of("/webhooks/iterable", "/api/integration", "/actuator/health", "/nowhere")) {
                for (String type : List.of("application/x-www-form-urlencoded", "multipart/form-data; boundary=x")) {
                    Streamed sent = stream(method, path, type, null, 64 << 20);
                    assertThat(sent.bytesWritten()).as(method + " " + path + " " + type).isLessThan(16L << 20);
                }
            }
        }
    }

    @Test
    void queryParametersCannotStandInForTheDeliverysHeaders() {
        HttpResponse<String> response = post("/webhooks/iterable?Content-Type=text/plain&Content-Encoding=gzip", EVENT, AUTHORIZED);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(count("billable_events")).isEqualTo(1);
    }

    @Test
    void theErrorPageAskedForDirectlyIsANotFound() {
        for (String user : List.of(ADMIN, VIEWER)) {
            HttpResponse<String> response = request("GET", "/error", null, Map.of("Authorization", user));
            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(response.body()).doesNotContain("/error", "failed to handle");
        }
        assertThat(request("GET", "/error", null, Map.of("Authorization", ADMIN)).statusCode()).isEqualTo(404);
    }

    @Test
    void anApiBodyOverItsLimitGets413() {
        String big = "{\"cohortId\":1,\"pad\":\"" + "a".repeat(200_000) + "\"}";

        HttpResponse<String> response = post("/api/exports", big, Map.of("Content-Type", "application/json"));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(json(response).get("error").asText()).isEqualTo("payload_too_large");
        assertThat(json(response).get("message").asText()).contains("65536");
    }

    @Test
    void anApiBodyIsJsonInUtf8OrRefusedBeforeAnyEndpointActsOnIt() {
        String connect = "{\"dataCenter\":\"US\",\"apiKey\":\"k-123\"}";
        for (String type : List.of("application/x-www-form-urlencoded", "text/plain", "application/json; charset=iso-8859-1",
                "application/*", "no/such; charset=\"x")) {
            HttpResponse<String> response = request("PUT", "/api/integration", connect, Map.of("Content-Type", type));

            assertThat(response.statusCode()).as(type).isEqualTo(415);
            assertThat(json(response).get("message").asText()).isEqualTo("send the body as JSON with Content-Type: application/json "
                    + "(UTF-8, the only charset taken)");
        }
        HttpResponse<String> latin1 = send(HttpRequest.newBuilder(uri("/api/exports")).header("Authorization", ADMIN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(
                        "{\"cohortId\":1,\"sync\":\"one-time\",\"x\":\"\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1))).build());
        assertThat(latin1.statusCode()).isEqualTo(400);
        assertThat(json(latin1).get("message").asText()).isEqualTo("the body is not valid UTF-8: send the JSON encoded in UTF-8");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_log", Integer.class)).as("no endpoint acted").isZero();
        assertThat(request("PUT", "/api/integration", "{\"dataCenter\":\"XX\"}", Map.of("Content-Type", "Application/JSON; Charset=UTF-8"))
                .statusCode()).as("JSON in UTF-8, however spelled, reaches the endpoint (which refuses the data centre)").isEqualTo(400);
    }

    @Test
    void aWebhookBodyOfExactlyItsLimitIsReadWholeAndOneByteMoreIs413() {
        int limit = webhooks.maxPayloadBytes();
        String atLimit = "{" + "a".repeat(limit - 1);

        HttpResponse<String> whole = post("/webhooks/iterable", atLimit, AUTHORIZED);
        HttpResponse<String> over = post("/webhooks/iterable", atLimit + "a", AUTHORIZED);

        assertThat(whole.statusCode()).as("not JSON, but not too large").isEqualTo(400);
        assertThat(over.statusCode()).isEqualTo(413);
        assertThat(jdbc.query("SELECT http_status, LENGTH(payload) FROM rejected_webhooks ORDER BY id",
                (row, i) -> row.getInt(1) + " kept " + row.getInt(2)))
                .as("the first kept whole, of the second its first 64 KiB")
                .containsExactly("400 kept " + limit, "413 kept 65536");
    }

    @Test
    void aSmallChunkedDeliveryIsStored() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            byte[] event = EVENT.getBytes(StandardCharsets.UTF_8);
            String request = "POST /webhooks/iterable HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: OAuth2 test-webhook-token\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + Integer.toHexString(event.length) + "\r\n" + EVENT + "\r\n0\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertThat(answer).startsWith("HTTP/1.1 200").endsWith("{\"stored\":1,\"duplicates\":0}");
        }
        assertThat(jdbc.queryForObject("SELECT email FROM billable_events", String.class)).isEqualTo("edge@x.com");
    }

    @Test
    void aRequestTomcatRefusesBeforeTheApplicationIsAnsweredInJsonWithoutEchoingIt() {
        for (String header : List.of("Authorization: OAuth2 test-webhook-token\u0001", "Content-Type: text/\u001b[31mprobe-value\u0007",
                "X-Probe: " + "probe-value".repeat(2_000))) { // over Tomcat's 8 KB of headers
            String answer = raw("POST /webhooks/iterable HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + "\r\nContent-Length: 2\r\n"
                    + "Connection: close\r\n\r\n{}");

            assertThat(answer).as(header.substring(0, 14)).startsWith("HTTP/1.1 400 ").contains("\r\nContent-Type: application/json\r\n")
                    .doesNotContainIgnoringCase("Content-Language").doesNotContain("<html", "test-webhook-token", "probe-value")
                    .endsWith("{\"status\":400,\"error\":\"bad_request\",\"message\":\"the request is not valid HTTP/1.1 (its request "
                            + "line or a header line is malformed, or the headers are too large): nothing of it was read\"}");
        }
        String encodedSlash = raw("GET /api/exports/..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + VIEWER
                + "\r\nConnection: close\r\n\r\n");
        assertThat(encodedSlash).startsWith("HTTP/1.1 400 ").contains("\r\nContent-Type: application/json\r\n").doesNotContain("passwd");
        assertThat(count("billable_events") + count("rejected_webhooks")).isZero();
    }

    @Test
    void aRequestTheFirewallRefusesIs400InJsonAndItsCharactersReachNoLogLine(CapturedOutput output) {
        String forged = "a\u00852026-12-04T10:00:00.000Z  INFO --- [main] FORGED-LINE : admin signed in";
        List<String> requests = List.of(
                "POST /webhooks/iterable HTTP/1.1\r\nAuthorization: OAuth2 test-webhook-token\r\nX-Foo: " + forged + "\r\n"
                        + "Content-Type: application/json\r\nContent-Length: " + EVENT.length() + "\r\n",
                "GET /api/mtu HTTP/1.1\r\nAuthorization: " + VIEWER + "\r\nUser-Agent: " + forged + "\r\n");
        LoggingSystem logging = LoggingSystem.get(getClass().getClassLoader());
        logging.setLogLevel(LoggingSystem.ROOT_LOGGER_NAME, LogLevel.DEBUG); // whatever any layer logs of them
        try {
            for (String request : requests) {
                String answer = raw(request + "Host: 127.0.0.1\r\nConnection: close\r\n\r\n" + (request.startsWith("POST") ? EVENT : ""));

                assertThat(answer).as(request.substring(0, 20)).startsWith("HTTP/1.1 400 ").contains("Content-Type: application/json")
                        .doesNotContain("FORGED").endsWith("\"message\":\"the request's path or one of its headers holds "
                                + "characters the bridge does not take (an encoded slash, backslash or dot segment, a control character): "
                                + "send it without them\"}");
            }
        } finally {
            logging.setLogLevel(LoggingSystem.ROOT_LOGGER_NAME, LogLevel.WARN);
        }
        assertThat(count("billable_events") + count("exempt_events")).isZero();
        assertThat(output.getAll()).as("no character of theirs breaks a line: nothing starts a line of its own")
                .doesNotContain("\u0085").doesNotContain("\n2026-12-04T10:00:00.000Z");
        assertThat(output.getAll().lines().filter(line -> line.contains(" DEBUG "))).as("logged at DEBUG").isNotEmpty();

        for (String target : List.of("/api/integration", "/webhooks/iterable")) {
            for (String method : List.of("TRACE", "FOO", "get")) {
                String answer = raw(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + ADMIN
                        + "\r\nConnection: close\r\n\r\n");
                assertThat(answer).as(method + " " + target).startsWith("HTTP/1.1 405 ").contains("Content-Type: application/json")
                        .contains("\"error\":\"method_not_allowed\"")
                        .contains(target.startsWith("/webhooks/") ? "\r\nAllow: POST\r\n" : "\r\nAllow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n");
            }
        }

        // what a log line does with such characters, whoever writes them: spaces, one line
        org.slf4j.LoggerFactory.getLogger("io.bridge.test").warn("x\u0085y\u2028z\u001b[31mw\r\nv", new IllegalStateException("p\u0085q\nr"));
        assertThat(output.getAll().lines().filter(line -> line.contains("x y z [31mw  v"))).singleElement().asString()
                .contains("java.lang.IllegalStateException: p q r").doesNotContain("\u0085", "\u2028", "\u001b");
    }

    @Test
    void aSenderThatWaitsForContinueIsToldToSendItsBodyOnlyOnceAuthenticated() throws IOException {
        String head = "POST /webhooks/iterable HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Expect: 100-continue\r\nContent-Length: " + EVENT.length() + "\r\nConnection: close\r\n";
        try (Socket refused = new Socket("127.0.0.1", port)) {
            refused.setSoTimeout(30_000);
            refused.getOutputStream().write((head + "Authorization: OAuth2 wrong-token\r\n\r\n").getBytes(StandardCharsets.US_ASCII));

            assertThat(new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .as("the final answer at once, no 100 Continue: the body was never asked for").startsWith("HTTP/1.1 401 ");
        }
        try (Socket accepted = new Socket("127.0.0.1", port)) {
            accepted.setSoTimeout(30_000);
            accepted.getOutputStream().write((head + "Authorization: OAuth2 test-webhook-token\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = accepted.getInputStream();
            ByteArrayOutputStream interim = new ByteArrayOutputStream();
            while (!interim.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = in.read();
                assertThat(b).as("the bridge asks for the body").isNotNegative();
                interim.write(b);
            }
            assertThat(interim.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 100 ");
            accepted.getOutputStream().write(EVENT.getBytes(StandardCharsets.UTF_8));

            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).startsWith("HTTP/1.1 200 ")
                    .endsWith("{\"stored\":1,\"duplicates\":0}");
        }
        assertThat(count("billable_events")).isEqualTo(1);
    }

    @Test
    void theWebhookTokenCountsOnlyInTheAuthorizationHeader() {
        HttpResponse<String> response = post("/webhooks/iterable?authorization=OAuth2%20test-webhook-token", EVENT, Map.of("Content-Type", "application/json"));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(count("billable_events")).isZero();
    }

    @Test
    void webhookAnswersComeWholeWithTheirLengthNotChunked() {
        for (String body : List.of(EVENT, "{")) {
            HttpResponse<String> response = post("/webhooks/iterable", body, AUTHORIZED);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(body.equals(EVENT) ? 200 : 400);
            assertThat(response.headers().firstValue("Content-Length")).as(response.body())
                    .hasValue(String.valueOf(response.body().getBytes(StandardCharsets.UTF_8).length));
            assertThat(response.headers().firstValue("Transfer-Encoding")).isEmpty();
        }
    }

    @Test
    void noRequestHeaderComesBackInAnyAnswer() {
        Map<String, String> hostile = Map.of("Set-Cookie", "injected=1", "Location", "https://evil.example/",
                "Access-Control-Allow-Origin", "https://evil.example", "X-Probe", "probe-value-1");
        record Call(String method, String path, String body, String authorization) {
        }
        List<Call> calls = List.of(
                new Call("POST", "/webhooks/iterable", EVENT, "OAuth2 test-webhook-token"), // 200
                new Call("POST", "/webhooks/iterable", "{", "OAuth2 test-webhook-token"), // 400
                new Call("POST", "/webhooks/iterable", EVENT, "OAuth2 wrong-token-zq9"), // 401
                new Call("GET", "/webhooks/iterable", null, "OAuth2 test-webhook-token"), // 405
                new Call("GET", "/api/test-failure", null, ADMIN), // 500
                new Call("POST", "/api/exports", "{\"email\":\"a\u0080@x.com\"}", ADMIN), // 400
                new Call("GET", "/api/no-such-thing", null, VIEWER), // 404
                new Call("GET", "/api/exports", null, "Basic d3Jvbmc6d3Jvbmc="), // 401
                new Call("DELETE", "/api/exports/1", null, VIEWER)); // 403
        for (Call call : calls) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri(call.path())).method(call.method(),
                    call.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(call.body()));
            hostile.forEach(request::header);
            request.header("Content-Type", "application/json; probe=probe-value-2");
            request.header("Authorization", call.authorization());
            HttpResponse<String> response = send(request.build());

            String answer = response.headers().map().toString() + response.body();
            assertThat(answer).as(call + " -> " + response.statusCode())
                    .doesNotContain("injected", "evil.example", "probe-value", call.authorization().split(" ")[1]);
            assertThat(response.headers().firstValue("Content-Type")).as(call.toString()).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/json"));
        }
    }

    @Test
    void aFailureAnswers500AndLogsOneNeutralisedLineWithoutStackTrace(CapturedOutput output) {
        HttpResponse<String> response = get("/api/test-failure");

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(json(response).get("error").asText()).isEqualTo("internal_error");
        assertThat(response.body()).doesNotContain("bug", "IllegalStateException", "at io.", "at org.");
        assertThat(output.getOut() + output.getErr()).contains("IllegalStateException")
                .doesNotContain("\nFORGED").doesNotContain("\tat org.apache.camel");
    }

    @Test
    void onlyTheExactWebhookPathsGoOnWithoutCredentialsNothingIsStored() {
        int stored = count("billable_events") + count("exempt_events");
        for (String path : List.of("/webhooks/iterable/", "/webhooks/Iterable", "/webhooks/ITERABLE", "/webhooks/%49terable",
                "/webhooks/mixpanel/", "/webhooks/Mixpanel", "/webhooks/other")) {
            HttpResponse<String> response = post(path, "{\"email\":\"x@y.com\",\"eventName\":\"emailOpen\"}",
                    Map.of("Content-Type", "application/json"));
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(json(response).path("error").asText()).isEqualTo("not_found");
        }
        assertThat(count("billable_events") + count("exempt_events")).isEqualTo(stored);
        HttpResponse<String> options = request("OPTIONS", "/webhooks/iterable", null, Map.of());
        assertThat(options.statusCode()).isEqualTo(405);
        assertThat(options.headers().firstValue("Allow")).hasValue("POST");
    }

    @Test
    void aDeliveryWhileItsRouteIsStoppedIs503WithRetryAfter() throws Exception {
        camelContext.getRouteController().stopRoute("iterable-webhook-intake");
        try {
            HttpResponse<String> response = post("/webhooks/iterable", "{\"email\":\"s@y.com\",\"eventName\":\"emailOpen\"}",
                    Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token"));
            assertThat(response.statusCode()).as("Iterable retries a 503, not a 404").isEqualTo(503);
            assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(json(response).path("error").asText()).isEqualTo("unavailable");
        } finally {
            camelContext.getRouteController().startRoute("iterable-webhook-intake");
        }
    }

    @Test
    void aWrongMethodOnTheWebhookIs405WhateverTheCredentials() {
        for (String authorization : List.of("OAuth2 test-webhook-token", ADMIN, "none")) {
            for (String method : List.of("GET", "PUT", "DELETE")) {
                HttpResponse<String> response = request(method, "/webhooks/iterable", null,
                        authorization.equals("none") ? Map.of() : Map.of("Authorization", authorization));
                assertThat(response.statusCode()).as(method + " " + authorization).isEqualTo(405);
                assertThat(json(response).get("error").asText()).isEqualTo("method_not_allowed");
                assertThat(response.headers().firstValue("Allow")).hasValue("POST");
            }
        }
    }

    @Test
    void anUnknownApiPathIs404ForAnyUser() {
        for (String user : List.of(ADMIN, VIEWER)) {
            HttpResponse<String> response = request("GET", "/api/no-such-thing", null, Map.of("Authorization", user));
            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(json(response).get("error").asText()).isEqualTo("not_found");
            assertThat(response.body()).doesNotContain("/error");
        }
        assertThat(request("GET", "/api/no-such-thing", null, Map.of("Authorization", "Basic eDp5")).statusCode())
                .as("unknown paths are not disclosed to strangers").isEqualTo(401);
    }

    record Streamed(int status, long bytesWritten) {
    }

    /**
     * Sends a chunked POST of up to {@code total} bytes over a raw socket and stops writing as soon
     * as the bridge answers (or closes): how much it let in before deciding.
     */
    private Streamed streamChunked(String path, String authorization, long total) throws IOException {
        return stream("POST", path, "application/json", authorization, total);
    }

    private Streamed stream(String method, String path, String contentType, String authorization, long total) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + contentType + "\r\n"
                    + "Transfer-Encoding: chunked\r\n" + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                    + "\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'a');
            byte[] chunkHead = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            long written = 0;
            try {
                while (written < total && in.available() == 0) {
                    out.write(chunkHead);
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    written += chunk.length;
                }
                if (written >= total) {
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException closedByTheBridge) {
                // the bridge answered and closed the connection: what it let in is what was written
            }
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int n;
            while (!answer.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n") && (n = in.read(buffer)) > 0) {
                answer.write(buffer, 0, n);
            }
            String statusLine = answer.toString(StandardCharsets.ISO_8859_1).lines().findFirst().orElse("");
            return new Streamed(Integer.parseInt(statusLine.split(" ")[1]), written);
        }
    }
}

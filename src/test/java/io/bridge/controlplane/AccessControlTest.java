package io.bridge.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeHttpTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.apache.camel.test.spring.junit5.DisableJmx;
import org.jolokia.support.spring.SpringJolokiaAgent;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

/**
 * Every endpoint against every kind of caller, each with the exact status it must get: nobody (or a
 * wrong password), VIEWER, ADMIN. An allowed call answers what the endpoint answers in this context
 * (export off, no cohort 7), never a 500; Jolokia is checked on its own port.
 */
@DisableJmx(false) // Camel's MBeans, as Hawtio reads them
@TestPropertySource(properties = {"camel.component.jolokia.enabled=true", "camel.component.jolokia.server-config.port=0",
        "camel.component.jolokia.kubernetes-discover=false"})
class AccessControlTest extends BridgeHttpTest {

    @Autowired
    SpringJolokiaAgent jolokia;

    static Stream<Arguments> endpoints() {
        // method, path, then the status for: no credentials, wrong password, VIEWER, ADMIN
        return Stream.of(
                Arguments.of("GET", "/api/integration", 401, 401, 200, 200),
                Arguments.of("PUT", "/api/integration", 401, 401, 403, 400), // {} lacks dataCenter
                Arguments.of("DELETE", "/api/integration", 401, 401, 403, 200),
                Arguments.of("GET", "/api/cohorts", 401, 401, 409, 409), // Mixpanel not configured
                Arguments.of("GET", "/api/exports", 401, 401, 200, 200),
                Arguments.of("HEAD", "/api/exports", 401, 401, 200, 200), // a GET without its body
                Arguments.of("POST", "/api/exports", 401, 401, 403, 400), // {} lacks cohortId (said before that export is off)
                Arguments.of("GET", "/api/exports/7", 401, 401, 404, 404),
                Arguments.of("DELETE", "/api/exports/7", 401, 401, 403, 404),
                Arguments.of("POST", "/api/exports/7/run", 401, 401, 403, 409),
                Arguments.of("GET", "/api/exports/7/runs", 401, 401, 404, 404),
                Arguments.of("GET", "/api/exports/7/runs/1/report.csv", 401, 401, 404, 404),
                Arguments.of("GET", "/api/mtu?month=2026-11", 401, 401, 200, 200),
                Arguments.of("GET", "/api/audit", 401, 401, 200, 200),
                Arguments.of("GET", "/api/rejected", 401, 401, 200, 200),
                Arguments.of("GET", "/api/rejected?limit=101", 401, 401, 400, 400),
                // the console: a browser without a session is sent to sign in; Basic works there too
                Arguments.of("GET", "/", 302, 401, 200, 200),
                Arguments.of("GET", "/login", 200, 401, 200, 200),
                Arguments.of("GET", "/console/console.js", 200, 401, 200, 200),
                Arguments.of("GET", "/api/no-such-endpoint", 401, 401, 404, 404),
                Arguments.of("POST", "/api/no-such-endpoint", 401, 401, 403, 404),
                // probes send no credentials; wrong ones are refused everywhere
                Arguments.of("GET", "/actuator/health", 200, 401, 200, 200),
                Arguments.of("GET", "/actuator/health/readiness", 200, 401, 200, 200),
                Arguments.of("GET", "/actuator/info", 401, 401, 403, 404), // not exposed
                Arguments.of("GET", "/actuator/env", 401, 401, 403, 404), // not exposed
                Arguments.of("GET", "/jolokia/read/java.lang:type=Memory", 401, 401, 403, 404)); // Jolokia has its own port
    }

    @ParameterizedTest(name = "{0} {1}: {2} {3} {4} {5}")
    @MethodSource("endpoints")
    void eachCallerGetsExactlyItsStatus(String method, String path, int anonymous, int wrongPassword, int viewer, int admin) {
        String body = method.equals("GET") || method.equals("HEAD") || method.equals("DELETE") ? null : "{}";
        Map<String, String> json = Map.of("Content-Type", "application/json");

        assertThat(call(method, path, body, null, json).statusCode()).as("no credentials").isEqualTo(anonymous);
        assertThat(call(method, path, body, basic("test-admin", "not-the-password"), json).statusCode()).as("wrong password")
                .isEqualTo(wrongPassword);
        assertThat(call(method, path, body, VIEWER, json).statusCode()).as("VIEWER").isEqualTo(viewer);
        assertThat(call(method, path, body, ADMIN, json).statusCode()).as("ADMIN").isEqualTo(admin);
    }

    @Test
    void jolokiaOnItsOwnPortLetsInOnlyTheAdminAndOnlyToReadCamel() {
        String camelRead = "/read/org.apache.camel:type=routes,*/ExchangesTotal";
        assertThat(jolokiaCall(camelRead, null).statusCode()).isEqualTo(401);
        assertThat(jolokiaCall(camelRead, basic("test-admin", "not-the-password")).statusCode()).isEqualTo(401);
        assertThat(jolokiaCall(camelRead, VIEWER).statusCode()).isEqualTo(401);
        HttpResponse<String> admin = jolokiaCall(camelRead, ADMIN);
        assertThat(admin.statusCode()).isEqualTo(200);
        assertThat(json(admin).get("status").asInt()).as(admin.body()).isEqualTo(200);
        HttpResponse<String> jvm = jolokiaCall("/read/java.lang:type=Runtime/InputArguments", ADMIN);
        assertThat(json(jvm).get("status").asInt()).as(jvm.body()).isEqualTo(403);
        assertThat(jvm.body()).doesNotContain("-D", "-X");
    }

    private HttpResponse<String> jolokiaCall(String path, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(java.net.URI.create(jolokia.getUrl().replaceAll("/$", "") + path)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return send(request.build());
    }

    @Test
    void refusalsAreJsonThatSaysWhatIsMissing() {
        HttpResponse<String> anonymous = call("GET", "/api/exports", null, null, Map.of());
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"bridge\"");
        assertThat(json(anonymous).get("message").asText()).contains("HTTP Basic credentials");

        HttpResponse<String> viewer = call("DELETE", "/api/integration", null, VIEWER, Map.of());
        assertThat(viewer.statusCode()).isEqualTo(403);
        assertThat(json(viewer).get("message").asText()).contains("test-viewer may only read").contains("ADMIN");
        HttpResponse<String> wrongCase = request("GET", "/API/exports", null, Map.of("Authorization", VIEWER));
        assertThat(wrongCase.statusCode()).isEqualTo(403);
        assertThat(json(wrongCase).get("message").asText()).as("a GET is not told it may only GET")
                .isEqualTo("test-viewer may read /api/** and the console; nothing else is served to it at this path");
        assertThat(count("iterable_connection")).as("nothing changed").isZero();
    }

    @Test
    void webhooksKeepTheirOwnCredentials() {
        HttpResponse<String> withControlPlaneUser = call("POST", "/webhooks/iterable",
                "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}", ADMIN, Map.of("Content-Type", "application/json"));
        assertThat(withControlPlaneUser.statusCode()).as("a control-plane user is not a webhook credential").isEqualTo(401);
        assertThat(json(withControlPlaneUser).get("message").asText()).doesNotContain("HTTP Basic credentials of a bridge user");
    }

    private HttpResponse<String> call(String method, String path, String body, String authorization, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return send(request.build());
    }
}

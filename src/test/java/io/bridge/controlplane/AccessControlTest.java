package io.bridge.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeHttpTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every control-plane endpoint against every kind of caller: nobody, VIEWER, ADMIN. */
class AccessControlTest extends BridgeHttpTest {

    enum Access { OPEN, READ, ADMIN }

    static Stream<Arguments> endpoints() {
        return Stream.of(
                Arguments.of("GET", "/api/integration", Access.READ),
                Arguments.of("PUT", "/api/integration", Access.ADMIN),
                Arguments.of("DELETE", "/api/integration", Access.ADMIN),
                Arguments.of("GET", "/api/cohorts", Access.READ),
                Arguments.of("GET", "/api/exports", Access.READ),
                Arguments.of("POST", "/api/exports", Access.ADMIN),
                Arguments.of("GET", "/api/exports/7", Access.READ),
                Arguments.of("DELETE", "/api/exports/7", Access.ADMIN),
                Arguments.of("POST", "/api/exports/7/run", Access.ADMIN),
                Arguments.of("GET", "/api/exports/7/runs", Access.READ),
                Arguments.of("GET", "/api/exports/7/runs/1/report.csv", Access.READ),
                Arguments.of("GET", "/api/mtu?month=2026-11", Access.READ),
                Arguments.of("GET", "/api/audit", Access.READ),
                Arguments.of("GET", "/actuator/health", Access.OPEN),
                Arguments.of("GET", "/actuator/health/readiness", Access.OPEN),
                Arguments.of("GET", "/actuator/info", Access.ADMIN),
                Arguments.of("GET", "/jolokia/read/java.lang:type=Memory", Access.ADMIN));
    }

    @AfterEach
    void reconnect() {
        jdbc.update("DELETE FROM iterable_connection");
    }

    @ParameterizedTest(name = "{0} {1}: {2}")
    @MethodSource("endpoints")
    void eachRoleGetsWhatItMay(String method, String path, Access access) {
        String body = method.equals("GET") || method.equals("DELETE") ? null : "{}";
        Map<String, String> json = Map.of("Content-Type", "application/json");

        int anonymous = call(method, path, body, null, json).statusCode();
        int viewer = call(method, path, body, VIEWER, json).statusCode();
        int admin = call(method, path, body, ADMIN, json).statusCode();
        int wrongPassword = call(method, path, body, basic("test-admin", "not-the-password"), json).statusCode();

        if (access == Access.OPEN) {
            assertThat(List.of(anonymous, viewer, admin)).containsOnly(200);
            return;
        }
        assertThat(anonymous).as("no credentials").isEqualTo(401);
        assertThat(wrongPassword).as("wrong password").isEqualTo(401);
        assertThat(viewer).as("VIEWER").isIn(access == Access.READ ? notRefused() : List.of(403));
        assertThat(admin).as("ADMIN").isIn(notRefused());
    }

    @Test
    void refusalsAreJsonThatSaysWhatIsMissing() {
        HttpResponse<String> anonymous = call("GET", "/api/exports", null, null, Map.of());
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"bridge\"");
        assertThat(json(anonymous).get("message").asText()).contains("HTTP Basic credentials");

        HttpResponse<String> viewer = call("DELETE", "/api/integration", null, VIEWER, Map.of());
        assertThat(viewer.statusCode()).isEqualTo(403);
        assertThat(json(viewer).get("message").asText()).contains("test-viewer may only read").contains("ADMIN");
        assertThat(count("iterable_connection")).as("nothing changed").isZero();
    }

    @Test
    void webhooksKeepTheirOwnCredentials() {
        HttpResponse<String> withControlPlaneUser = call("POST", "/webhooks/iterable",
                "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}", ADMIN, Map.of("Content-Type", "application/json"));
        assertThat(withControlPlaneUser.statusCode()).as("a control-plane user is not a webhook credential").isEqualTo(401);
        assertThat(json(withControlPlaneUser).get("message").asText()).doesNotContain("HTTP Basic credentials of a bridge user");
    }

    private static List<Integer> notRefused() {
        return java.util.stream.IntStream.range(200, 600).filter(s -> s != 401 && s != 403).boxed().toList();
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

package io.bridge.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.support.BridgeHttpTest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.camel.test.spring.junit5.DisableJmx;
import org.jolokia.support.spring.SpringJolokiaAgent;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.yaml.snakeyaml.Yaml;

/** What Hawtio and Prometheus see: route MBeans over Jolokia, and metrics at /actuator/prometheus. */
@DisableJmx(false)
@AutoConfigureObservability(tracing = false) // Spring Boot tests turn metrics export off unless asked
@DirtiesContext
@TestPropertySource(properties = {"camel.component.jolokia.enabled=true", "camel.component.jolokia.server-config.port=0",
        "camel.component.jolokia.kubernetes-discover=false"})
class MonitoringTest extends BridgeHttpTest {

    @Autowired
    SpringJolokiaAgent jolokia;

    @Test
    void hawtioReadsEveryRouteAndItsExchangesThroughJolokia() throws IOException {
        JsonNode before = routes(ADMIN);
        assertThat(routeIds(before)).as("the routes Jolokia shows are the routes declared in routes/*.camel.yaml")
                .isNotEmpty().isEqualTo(declaredRouteIds());
        long intakeBefore = exchangesTotal(before, "iterable-webhook-intake");

        for (int i = 0; i < 3; i++) {
            assertThat(deliver("m-" + i).statusCode()).isEqualTo(200);
        }

        assertThat(exchangesTotal(routes(ADMIN), "iterable-webhook-intake")).isEqualTo(intakeBefore + 3);
    }

    @Test
    void jolokiaLetsInOnlyTheAdminAndOnlyCamel() {
        assertThat(jolokia("/read/org.apache.camel:type=routes,*/ExchangesTotal", null).statusCode()).isEqualTo(401);
        assertThat(jolokia("/read/org.apache.camel:type=routes,*/ExchangesTotal", VIEWER).statusCode()).isEqualTo(401);
        HttpResponse<String> outsideCamel = jolokia("/read/JMImplementation:type=MBeanServerDelegate/MBeanServerId", ADMIN);
        assertThat(json(outsideCamel).get("status").asInt()).as(outsideCamel.body()).isEqualTo(403);
    }

    @Test
    void prometheusSeesRoutesWebhookEventsAndIsForTheAdmin() {
        deliver("p-1");

        HttpResponse<String> metrics = request("GET", "/actuator/prometheus", null, Map.of("Authorization", ADMIN));

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).containsPattern("bridge_webhook_events_total\\{.*table=\"billable_events\".*\\} [1-9]")
                .contains("routeId=\"iterable-webhook-intake\"");
        assertThat(request("GET", "/actuator/prometheus", null, Map.of("Authorization", VIEWER)).statusCode()).isEqualTo(403);
    }

    @Test
    void theActuatorHasNoIndexPageBuiltFromTheRequestsHostHeaders() {
        HttpResponse<String> index = request("GET", "/actuator", null, Map.of("Authorization", ADMIN,
                "X-Forwarded-Host", "evil.example", "X-Forwarded-Port", "9"));

        assertThat(index.statusCode()).isEqualTo(404);
        assertThat(index.body()).doesNotContain("evil.example").doesNotContain("href");
        assertThat(json(index).path("error").asText()).isEqualTo("not_found");
    }

    private HttpResponse<String> deliver(String messageId) {
        return post("/webhooks/iterable", "{\"email\":\"a@x.com\",\"eventName\":\"emailClick\",\"dataFields\":{\"messageId\":\""
                + messageId + "\"}}", Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token"));
    }

    private JsonNode routes(String authorization) {
        HttpResponse<String> response = jolokia("/read/org.apache.camel:type=routes,*/ExchangesTotal", authorization);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response).get("value");
    }

    /** The ids of the routes in Jolokia's answer (MBean names ...,type=routes,name="<id>"). */
    private static Set<String> routeIds(JsonNode routes) {
        Set<String> ids = new TreeSet<>();
        Pattern name = Pattern.compile("name=\"([^\"]+)\"");
        routes.fieldNames().forEachRemaining(mbean -> {
            Matcher id = name.matcher(mbean);
            assertThat(id.find()).as(mbean).isTrue();
            ids.add(id.group(1));
        });
        return ids;
    }

    /** The ids of the routes the files in routes/ declare ({@code - route: {id: ...}}), read as YAML. */
    @SuppressWarnings("unchecked")
    static Set<String> declaredRouteIds() throws IOException {
        Set<String> ids = new TreeSet<>();
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).toList()) {
                for (Object entry : (List<Object>) new Yaml().load(Files.readString(file))) {
                    Object route = ((Map<String, Object>) entry).get("route");
                    if (route != null) {
                        ids.add((String) ((Map<String, Object>) route).get("id"));
                    }
                }
            }
        }
        return ids;
    }

    private static Long exchangesTotal(JsonNode routes, String routeId) {
        var names = routes.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (name.contains("name=\"" + routeId + "\"")) {
                return routes.get(name).get("ExchangesTotal").asLong();
            }
        }
        return null;
    }

    private HttpResponse<String> jolokia(String path, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + jolokia.getAddress().getPort() + "/jolokia" + path));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return send(request.GET().build());
    }
}

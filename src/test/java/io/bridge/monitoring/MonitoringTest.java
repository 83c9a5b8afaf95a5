package io.bridge.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bridge.support.BridgeHttpTest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.test.spring.junit5.DisableJmx;
import org.jolokia.support.spring.SpringJolokiaAgent;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

/** What Hawtio and Prometheus see: route MBeans over Jolokia, and metrics at /actuator/prometheus. */
@DisableJmx(false)
@AutoConfigureObservability(tracing = false) // Spring Boot tests turn metrics export off unless asked
@DirtiesContext
@TestPropertySource(properties = {"camel.component.jolokia.enabled=true", "camel.component.jolokia.server-config.port=0",
        "camel.component.jolokia.kubernetes-discover=false"})
class MonitoringTest extends BridgeHttpTest {

    @Autowired
    CamelContext camel;
    @Autowired
    SpringJolokiaAgent jolokia;

    @Test
    void hawtioReadsEveryRouteAndItsExchangesThroughJolokia() {
        JsonNode before = routes(ADMIN);
        for (Route route : camel.getRoutes()) {
            assertThat(exchangesTotal(before, route.getRouteId())).as(route.getRouteId()).isNotNull();
        }
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

    private HttpResponse<String> deliver(String messageId) {
        return post("/webhooks/iterable", "{\"email\":\"a@x.com\",\"eventName\":\"emailClick\",\"dataFields\":{\"messageId\":\""
                + messageId + "\"}}", Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token"));
    }

    private JsonNode routes(String authorization) {
        HttpResponse<String> response = jolokia("/read/org.apache.camel:type=routes,*/ExchangesTotal", authorization);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response).get("value");
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

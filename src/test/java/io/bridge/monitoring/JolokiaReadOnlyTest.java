package io.bridge.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bridge.support.BridgeHttpTest;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.test.spring.junit5.DisableJmx;
import org.jolokia.support.spring.SpringJolokiaAgent;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

/**
 * Jolokia (the ADMIN's port for Hawtio) is read-only and Camel-only: through the real agent, the
 * ADMIN can read Camel's MBeans and run the few side-effect-free operations Hawtio's Camel views
 * call, and nothing else: no code, no SQL, no route stop, no write, no MBean outside Camel.
 */
@DisableJmx(false)
@DirtiesContext
@TestPropertySource(properties = {"camel.component.jolokia.enabled=true", "camel.component.jolokia.server-config.port=0",
        "camel.component.jolokia.kubernetes-discover=false"})
class JolokiaReadOnlyTest extends BridgeHttpTest {

    @Autowired
    CamelContext camel;
    @Autowired
    SpringJolokiaAgent jolokia;

    @Test
    void theAdminCannotRunCodeOrSqlOrStopARoute() {
        String context = contextMBean();
        assertThat(post("/webhooks/iterable", "{\"email\":\"a@x.com\",\"eventName\":\"emailClick\"}",
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token")).statusCode()).isEqualTo(200);

        List<HttpResponse<String>> refused = new ArrayList<>();
        // code: the simple language reads any property or environment variable
        refused.add(jolokia(exec(context, "requestBody", "language:simple:{{bridge.webhooks.iterable.token}}", "x")));
        refused.add(jolokia(exec(context, "requestBody(java.lang.String,java.lang.Object)",
                "language:simple:{{bridge.webhooks.iterable.token}}", "x")));
        refused.add(jolokia(exec(context, "requestStringBody", "language:simple:{{bridge.webhooks.iterable.token}}", "x")));
        // SQL through the bridge's own DataSource
        refused.add(jolokia(exec(context, "requestBody", "jdbc:dataSource", "SELECT email FROM billable_events")));
        refused.add(jolokia(exec(context, "sendBody", "jdbc:dataSource", "DELETE FROM billable_events")));
        // the same over GET, as the issue did
        refused.add(jolokiaGet("/exec/" + path(context) + "/requestBody/" + path("jdbc:dataSource") + "/"
                + path("SELECT email FROM billable_events")));
        // stopping a route (or the context) breaks the API
        refused.add(jolokia(exec(routeMBean("mtu-report"), "stop()")));
        refused.add(jolokiaGet("/exec/" + path(routeMBean("mtu-report")) + "/stop()"));
        refused.add(jolokia(exec(context, "stop()")));
        refused.add(jolokia(exec(context, "suspend()")));
        // a write: e.g. turning the tracer on (it would keep message bodies)
        ObjectNode write = JSON.createObjectNode().put("type", "write").put("mbean", context).put("attribute", "Tracing");
        write.put("value", true);
        refused.add(jolokia(write));
        // an exec with an MBean pattern
        refused.add(jolokia(exec("org.apache.camel:type=routes,*", "stop()")));

        for (HttpResponse<String> response : refused) {
            JsonNode answer = json(response);
            assertThat(answer.path("status").asInt()).as(response.body()).isEqualTo(403);
            assertThat(response.body()).as("no value, no secret, no stack trace").doesNotContain("test-webhook-token")
                    .doesNotContain("a@x.com").doesNotContain("stacktrace").doesNotContain("\tat ");
            assertThat(answer.has("value")).as(response.body()).isFalse();
        }
        assertThat(count("billable_events")).as("nothing deleted").isEqualTo(1);
        assertThat(camel.getRouteController().getRouteStatus("mtu-report").isStarted()).isTrue();
        assertThat(camel.getStatus().isStarted()).isTrue();
        assertThat(get("/api/mtu?month=2026-11").statusCode()).isEqualTo(200);
    }

    @Test
    void nothingOutsideCamelCanBeReadOrSeen() {
        List<String> forbidden = List.of("/read/java.lang:type=Runtime/InputArguments", "/read/java.lang:type=Runtime",
                "/read/java.lang:type=Runtime/SystemProperties", "/read/java.lang:type=Memory/HeapMemoryUsage",
                "/exec/java.lang:type=Memory/gc()",
                "/exec/com.sun.management:type=DiagnosticCommand/vmSystemProperties()",
                "/exec/com.sun.management:type=HotSpotDiagnostic/dumpHeap/" + path("/tmp/heap.hprof") + "/true");
        for (String request : forbidden) {
            HttpResponse<String> response = jolokiaGet(request);
            assertThat(json(response).path("status").asInt()).as(request + " " + response.body()).isEqualTo(403);
            assertThat(response.body()).doesNotContain("stacktrace").doesNotContain("java.home");
        }
        HttpResponse<String> runtimeByPattern = jolokiaGet("/read/java.lang:*");
        assertThat(json(runtimeByPattern).path("value").isMissingNode() || json(runtimeByPattern).path("value").isEmpty())
                .as(runtimeByPattern.body()).isTrue();
        assertThat(runtimeByPattern.body()).doesNotContain("InputArguments");

        JsonNode search = json(jolokiaGet("/search/*:*")).get("value");
        assertThat(search).isNotEmpty();
        search.forEach(name -> assertThat(name.asText()).startsWith("org.apache.camel:"));
        JsonNode list = json(jolokiaGet("/list?maxDepth=1")).get("value");
        assertThat(list.fieldNames()).toIterable().containsExactly("org.apache.camel");

        // no notifications: Jolokia's notification handler asks no restrictor, so a listener could go on any MBean
        HttpResponse<String> register = jolokia(JSON.createObjectNode().put("type", "notification").put("command", "register"));
        ObjectNode listen = JSON.createObjectNode().put("type", "notification").put("command", "add").put("mode", "pull")
                .put("client", json(register).path("value").path("id").asText("none")).put("mbean", "java.lang:type=Memory");
        HttpResponse<String> listening = jolokia(listen);
        assertThat(json(listening).path("status").asInt()).as(listening.body()).isNotEqualTo(200);
        // no JSR-160 proxy: a request naming another JMX server is never sent there (it would connect to any URL given)
        ObjectNode proxied = JSON.createObjectNode().put("type", "search").put("mbean", "org.apache.camel:*");
        proxied.putObject("target").put("url", "service:jmx:rmi:///jndi/rmi://127.0.0.1:1/jmxrmi");
        HttpResponse<String> proxy = jolokia(proxied);
        assertThat(proxy.body()).as("no connection attempted").doesNotContain("RMIServer").doesNotContain("java.io.IOException");

        // no CORS for a browser page on another origin (the agent is for Hawtio's server-side proxy)
        HttpResponse<String> fromAPage = send(HttpRequest.newBuilder(jolokiaUri("/version")).header("Authorization", ADMIN)
                .header("Origin", "http://evil.example").GET().build());
        assertThat(fromAPage.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        // nor JSONP, a script another site's page could load with the credentials a browser remembers
        for (String jsonp : List.of("/version?callback=steal", "/read/java.lang:type=Memory?ignoreErrors=true&callback=steal")) {
            HttpResponse<String> script = jolokiaGet(jsonp);
            assertThat(script.statusCode()).as(jsonp).isEqualTo(403);
            assertThat(script.body()).doesNotContain("steal(");
        }
        assertThat(jolokiaGet("/version?mycallback=x").statusCode()).as("only the parameter itself").isEqualTo(200);
        // and no answer to multicast discovery, which would tell anyone on the network the agent's URL
        assertThat(json(jolokiaGet("/version")).path("value").path("config").path("discoveryEnabled").asText()).isEqualTo("false");
    }

    @Test
    void hawtioCamelViewsStillWork() {
        String context = contextMBean();
        assertThat(json(jolokiaGet("/version")).path("status").asInt()).isEqualTo(200);
        assertOk(jolokiaGet("/read/" + path(context) + "/CamelVersion"));
        assertOk(jolokiaGet("/read/org.apache.camel:type=routes,*/ExchangesTotal"));
        assertOk(jolokiaGet("/list/org.apache.camel"));
        // route diagram, source and profile
        assertThat(assertOk(jolokia(exec(context, "dumpRoutesAsXml()"))).path("value").asText()).contains("mtu-report");
        assertThat(assertOk(jolokia(exec(context, "dumpRoutesStatsAsXml", true, true))).path("value").asText()).contains("routeStat");
        assertOk(jolokia(exec(context, "dumpRoutesStatsAsXml(boolean, boolean)", true, true)));
        // inflight and blocked exchanges
        assertOk(jolokia(exec(service("DefaultInflightRepository"), "browse()")));
        assertOk(jolokia(exec(service("DefaultAsyncProcessorAwaitManager"), "browse()")));
        assertThat(json(jolokia(exec(service("DefaultTypeConverter"), "resetTypeConversionCounters()"))).path("status").asInt())
                .isEqualTo(403);
        // the same operations with resolved placeholders or on other MBeans stay closed
        assertThat(json(jolokia(exec(context, "dumpRoutesAsXml(boolean)", true))).path("status").asInt()).isEqualTo(403);
        assertThat(json(jolokia(exec(service("DefaultInflightRepository"), "browse(int,boolean)", 10, true))).path("status").asInt())
                .isEqualTo(403);
    }

    @Test
    void everythingReadableHoldsNoSecret() {
        String context = contextMBean();
        StringBuilder readable = new StringBuilder(jolokiaGet("/read/org.apache.camel:*?ignoreErrors=true").body());
        readable.append(jolokia(exec(context, "dumpRoutesAsXml()")).body());
        readable.append(jolokia(exec(context, "dumpRoutesStatsAsXml", true, true)).body());
        readable.append(jolokia(exec(service("DefaultInflightRepository"), "browse()")).body());
        readable.append(jolokiaGet("/list/org.apache.camel").body());
        readable.append(jolokiaGet("/version").body());
        assertThat(readable.length()).isGreaterThan(10_000);
        for (String secret : List.of("test-webhook-token", "test-admin-password", "test-viewer-password", "test-encryption-key")) {
            assertThat(readable.toString()).doesNotContain(secret);
        }
    }

    private static JsonNode assertOk(HttpResponse<String> response) {
        JsonNode answer = json(response);
        assertThat(answer.path("status").asInt()).as(response.body()).isEqualTo(200);
        return answer;
    }

    private String contextMBean() {
        JsonNode names = json(jolokiaGet("/search/org.apache.camel:type=context,*")).get("value");
        assertThat(names).as("the Camel context MBean").hasSize(1);
        return names.get(0).asText();
    }

    private String routeMBean(String routeId) {
        JsonNode names = json(jolokiaGet("/search/" + path("org.apache.camel:type=routes,name=\"" + routeId + "\",*"))).get("value");
        assertThat(names).as(routeId).hasSize(1);
        return names.get(0).asText();
    }

    private String service(String name) {
        JsonNode names = json(jolokiaGet("/search/org.apache.camel:type=services,name=" + name + ",*")).get("value");
        assertThat(names).as(name).hasSize(1);
        return names.get(0).asText();
    }

    private static ObjectNode exec(String mbean, String operation, Object... arguments) {
        ObjectNode request = JSON.createObjectNode().put("type", "exec").put("mbean", mbean).put("operation", operation);
        ArrayNode args = request.putArray("arguments");
        for (Object argument : arguments) {
            args.add(JSON.valueToTree(argument));
        }
        return request;
    }

    /** Jolokia's GET path escaping: "!" escapes "/" and "!", the rest is URL-encoded. */
    private static String path(String part) {
        return URLEncoder.encode(part.replace("!", "!!").replace("/", "!/"), StandardCharsets.UTF_8).replace("+", "%20");
    }

    private URI jolokiaUri(String path) {
        return URI.create("http://127.0.0.1:" + jolokia.getAddress().getPort() + "/jolokia" + path);
    }

    private HttpResponse<String> jolokiaGet(String path) {
        return send(HttpRequest.newBuilder(jolokiaUri(path)).header("Authorization", ADMIN).GET().build());
    }

    private HttpResponse<String> jolokia(JsonNode request) {
        return send(HttpRequest.newBuilder(jolokiaUri("/")).header("Authorization", ADMIN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(request.toString())).build());
    }
}

package io.bridge.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeHttpTest;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/openapi.json} is a valid OpenAPI 3 document of the whole control plane, and Swagger
 * UI at {@code /api/docs} is served from the bundle to the users who may read the API.
 */
class OpenApiDocumentTest extends BridgeHttpTest {

    @Test
    void theDocumentIsValidOpenApi3AndDescribesEveryApiEndpoint() {
        HttpResponse<String> answer = request("GET", "/api/openapi.json", null, Map.of("Authorization", VIEWER));
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");

        ParseOptions strict = new ParseOptions();
        strict.setResolve(true);
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(answer.body(), null, strict);
        assertThat(parsed.getMessages()).as("the parser's complaints").isEmpty();
        OpenAPI document = parsed.getOpenAPI();
        assertThat(document.getOpenapi()).startsWith("3.");
        assertThat(document.getSecurity()).singleElement().satisfies(needs -> assertThat(needs).containsKey("basic"));
        assertThat(document.getComponents().getSecuritySchemes().get("basic").getScheme()).isEqualTo("basic");
        assertThat(document.getServers()).singleElement().satisfies(server -> assertThat(server.getUrl()).isEqualTo("/"));

        // every endpoint under /api that Camel serves (REST DSL or a plain platform-http route), by method
        Set<String> served = new TreeSet<>();
        for (var endpoint : camelContext.getEndpoints()) {
            if (endpoint instanceof PlatformHttpEndpoint http) {
                String path = http.getPath().startsWith("/") ? http.getPath() : "/" + http.getPath();
                if (path.startsWith("/api/")) {
                    assertThat(http.getHttpMethodRestrict()).as(path + " answers one method").isNotNull();
                    served.add(http.getHttpMethodRestrict() + " " + path);
                }
            }
        }
        Set<String> documented = new TreeSet<>();
        document.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) -> {
            documented.add(method + " " + path);
            describedCompletely(method + " " + path, method, operation);
        }));
        assertThat(served).hasSizeGreaterThanOrEqualTo(17);
        assertThat(documented).isEqualTo(served);
        assertThat(document.getComponents().getSchemas()).containsKeys("Problem", "ExportRequest", "ConnectRequest", "ReplayRequest");
        assertThat(document.getComponents().getSchemas().get("Problem").getProperties()).containsOnlyKeys("status", "error", "message");
        assertThat(document.getComponents().getSchemas().get("ExportRequest").getProperties()).containsOnlyKeys("cohortId", "sync");
        // what the README's Control plane section promises, independently of how the routes declare it
        assertThat(documented).contains("GET /api/cohorts", "POST /api/exports", "GET /api/exports", "GET /api/exports/{cohortId}",
                "DELETE /api/exports/{cohortId}", "POST /api/exports/{cohortId}/run", "GET /api/exports/{cohortId}/runs",
                "GET /api/exports/{cohortId}/runs/{runId}/report.csv", "GET /api/integration", "PUT /api/integration",
                "DELETE /api/integration", "GET /api/audit", "GET /api/forwarding", "POST /api/forwarding/replay",
                "GET /api/rejected", "GET /api/mtu", "GET /api/openapi.json");
    }

    private static void describedCompletely(String name, PathItem.HttpMethod method, Operation operation) {
        assertThat(operation.getOperationId()).as(name).isNotBlank();
        assertThat(operation.getSummary()).as(name).isNotBlank();
        Map<String, ApiResponse> responses = operation.getResponses();
        assertThat(responses.keySet()).as(name).anyMatch(status -> status.startsWith("2")).contains("401", "500", "503");
        if (method != PathItem.HttpMethod.GET) {
            assertThat(responses).as(name + ": a VIEWER's change").containsKey("403");
        }
        responses.forEach((status, response) -> {
            assertThat(response.getDescription()).as(name + " " + status).isNotBlank();
            if (!status.startsWith("2")) {
                assertThat(response.getContent()).as(name + " " + status).containsOnlyKeys("application/json");
                assertThat(response.getContent().get("application/json").getSchema().get$ref()).endsWith("/Problem");
            }
        });
        Matcher variables = Pattern.compile("\\{(\\w+)}").matcher(name);
        while (variables.find()) {
            String variable = variables.group(1);
            assertThat(operation.getParameters()).as(name).extracting(Parameter::getName).contains(variable);
        }
        if (method == PathItem.HttpMethod.POST && !name.endsWith("/run") || method == PathItem.HttpMethod.PUT) {
            assertThat(operation.getRequestBody().getContent().get("application/json").getSchema().get$ref())
                    .as(name + " body").isNotNull();
        }
    }

    @Test
    void theDocumentIsForUsersOnlyAndOnlyAtItsPath() {
        assertThat(anonymous("/api/openapi.json").statusCode()).isEqualTo(401);
        HttpResponse<String> below = get("/api/openapi.json/other.yaml");
        assertThat(below.statusCode()).isEqualTo(404);
        assertThat(json(below).path("error").asText()).isEqualTo("not_found");
        assertThat(request("POST", "/api/openapi.json", "{}", Map.of()).statusCode()).isEqualTo(405);
        HttpResponse<String> yaml = request("GET", "/api/openapi.json", null, Map.of("Accept", "text/yaml"));
        assertThat(yaml.headers().firstValue("Content-Type")).as("one rendering: JSON").hasValue("application/json");
    }

    @Test
    void swaggerUiIsServedFromTheBundleToReadersOfTheApi() {
        HttpResponse<String> page = request("GET", "/api/docs", null, Map.of("Authorization", VIEWER));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("/api/docs/swagger-ui-bundle.js", "/console/api-docs.js", "name=\"csrf-token\"");
        for (String file : new String[] {"/api/docs/swagger-ui-bundle.js", "/api/docs/swagger-ui.css", "/console/api-docs.js"}) {
            HttpResponse<String> served = request("GET", file, null, Map.of("Authorization", VIEWER));
            assertThat(served.statusCode()).as(file).isEqualTo(200);
            assertThat(served.body()).as(file).isNotBlank();
        }
        assertThat(get("/api/docs/swagger-ui-bundle.js").body()).contains("SwaggerUIBundle");
        assertThat(get("/api/docs/index.html").statusCode()).as("the webjar's demo page").isEqualTo(404);
        assertThat(get("/api/docs/swagger-initializer.js").statusCode()).isEqualTo(404);
        assertThat(request("GET", "/webjars/swagger-ui/index.html", null, Map.of("Authorization", ADMIN)).statusCode())
                .as("the whole webjar is not served").isEqualTo(403);

        HttpResponse<String> anonymous = anonymous("/api/docs");
        assertThat(anonymous.statusCode()).as("a browser is sent to sign in").isEqualTo(302);
        assertThat(anonymous.headers().firstValue("Location")).hasValue("/login");
        assertThat(anonymous("/api/docs/swagger-ui.css").statusCode()).isEqualTo(401);
    }

    private HttpResponse<String> anonymous(String path) {
        return send(HttpRequest.newBuilder(uri(path)).build());
    }
}

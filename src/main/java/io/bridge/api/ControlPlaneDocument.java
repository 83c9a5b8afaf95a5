package io.bridge.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.model.Model;
import org.apache.camel.openapi.BeanConfig;
import org.apache.camel.openapi.DefaultRestApiResponseAdapter;
import org.apache.camel.openapi.RestOpenApiSupport;
import org.apache.camel.spi.RestConfiguration;
import org.springframework.stereotype.Component;

/**
 * {@code GET /api/openapi.json} (routes/openapi.camel.yaml): the OpenAPI 3 document camel-openapi-java
 * makes from the REST DSL as it is now (a route file saved on a running bridge shows at the next
 * request), with what the REST DSL cannot say:
 * <ul>
 * <li>every operation needs a user (HTTP Basic, or the console's session);</li>
 * <li>the server is {@code /}: the bridge does not know the address it is reached at (an ingress, a
 * port-forward), and Camel would name the one it listens on ({@code http://0.0.0.0});</li>
 * <li>every operation also lists the answers every endpoint may give, from the security in front of
 * the routes and their shared error handling (routes/http-errors.camel.yaml): 401, 403 for a change,
 * 500 and 503, each a {@link io.bridge.Problem}.</li>
 * </ul>
 */
@Component("controlPlaneDocument")
public class ControlPlaneDocument {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROBLEM = "#/components/schemas/Problem";

    private final CamelContext camel;

    public ControlPlaneDocument(CamelContext camel) {
        this.camel = camel;
    }

    /** The document, as the body of the exchange. */
    public void render(Exchange exchange) throws Exception {
        RestConfiguration rest = camel.getRestConfiguration();
        RestOpenApiSupport support = new RestOpenApiSupport();
        BeanConfig info = new BeanConfig();
        support.initOpenApi(info, rest.getApiProperties() == null ? Map.of() : rest.getApiProperties());
        DefaultRestApiResponseAdapter rendered = new DefaultRestApiResponseAdapter();
        Model model = camel.getCamelContextExtension().getContextPlugin(Model.class);
        synchronized (model) { // a route file being reloaded changes the REST declarations
            support.renderResourceListing(camel, rendered, info, true, camel.getClassResolver(), rest, null);
        }
        rendered.copyResult(exchange);
        exchange.getMessage().setBody(completed(exchange.getMessage().getBody(byte[].class)));
    }

    static byte[] completed(byte[] camels) throws Exception {
        ObjectNode document = (ObjectNode) JSON.readTree(camels);
        document.putArray("servers").addObject().put("url", "/");
        document.putArray("security").addObject().putArray("basic"); // every operation (routes/openapi.camel.yaml defines it)
        for (Iterator<Map.Entry<String, JsonNode>> paths = document.path("paths").fields(); paths.hasNext();) {
            for (Iterator<Map.Entry<String, JsonNode>> operations = paths.next().getValue().fields(); operations.hasNext();) {
                Map.Entry<String, JsonNode> operation = operations.next();
                ObjectNode responses = ((ObjectNode) operation.getValue()).with("responses");
                common(responses, "401", "no credentials, or wrong ones: HTTP Basic of a bridge user, or the console's session");
                if (!operation.getKey().equals("get")) {
                    common(responses, "403", "the user may only read (VIEWER), or the console's CSRF token is missing");
                }
                common(responses, "500", "the bridge failed to handle the request; its log says why");
                common(responses, "503", "the database is unavailable: nothing was changed; retry (Retry-After)");
                responses.fields().forEachRemaining(answer -> {
                    if (!answer.getKey().startsWith("2") && answer.getValue().has("content")) { // errors are JSON, whatever the 2xx is
                        problem((ObjectNode) answer.getValue());
                    }
                });
            }
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(document);
    }

    private static void common(ObjectNode responses, String status, String description) {
        if (!responses.has(status)) {
            problem(responses.putObject(status).put("description", description));
        }
    }

    private static void problem(ObjectNode response) {
        response.putObject("content").putObject("application/json").putObject("schema").put("$ref", PROBLEM);
    }
}

package io.bridge.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bridge.ApiProblem;
import io.bridge.StrictJson;
import io.bridge.OutboundHttp;
import io.bridge.iterable.IterableConnection;
import io.bridge.mixpanel.MixpanelProperties;
import io.bridge.security.AuditLog;
import io.bridge.security.SecretBox;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.springframework.stereotype.Component;

/**
 * {@code /api/integration}: whether Iterable is connected, connecting (the key is tried on
 * Iterable's {@code GET /api/lists} first) and disconnecting. The key is never returned: at most
 * its last 4 characters.
 */
@Component("integrationApi")
public class IntegrationApi {

    /** {@code PUT /api/integration} body: a data centre and the key, by reference (preferred) or in clear. */
    public record ConnectRequest(String dataCenter, String apiKeyRef, String apiKey) {
        @Override
        public String toString() {
            return "ConnectRequest[dataCenter=" + dataCenter + ", apiKeyRef=" + apiKeyRef + "]";
        }
    }

    private static final String SHAPE = "{\"dataCenter\": \"US\" | \"EU\", \"apiKeyRef\": \"<environment variable holding the key>\"}"
            + " or {\"dataCenter\": ..., \"apiKey\": \"<key>\"}";
    /**
     * The one answer to every apiKeyRef the bridge will not use: a name outside
     * {@link IterableConnection#KEY_REF_NAMES} and a name that is not set get the same answer, so
     * that it tells nobody which variables exist.
     */
    private static final String REF_REFUSED = "apiKeyRef must name an environment variable of the bridge that holds the "
            + "Iterable API key: ITERABLE_API_KEY, or a name starting with ITERABLE_API_KEY_ (letters A-Z, digits, _), e.g. "
            + "ITERABLE_API_KEY_EU; set it (e.g. from a Kubernetes Secret) and restart the bridge, or pass apiKey";

    private final ObjectMapper mapper = new ObjectMapper();
    private final IterableConnection connection;
    private final MixpanelProperties mixpanel;
    private final SecretBox secrets;
    private final AuditLog audit;

    public IntegrationApi(IterableConnection connection, MixpanelProperties mixpanel, SecretBox secrets, AuditLog audit) {
        this.connection = connection;
        this.mixpanel = mixpanel;
        this.secrets = secrets;
        this.audit = audit;
    }

    public Map<String, Object> status() {
        IterableConnection.State state = connection.current();
        Map<String, Object> iterable = new LinkedHashMap<>();
        iterable.put("dataCenter", state.dataCenter());
        iterable.put("apiKey", state.connected() ? "****" + state.keyLast4() : null);
        iterable.put("keyFrom", state.key());
        Map<String, Object> mixpanelSide = new LinkedHashMap<>();
        mixpanelSide.put("region", mixpanel.baseUrl());
        mixpanelSide.put("projectId", mixpanel.projectId() == null || mixpanel.projectId().isBlank() ? null : mixpanel.projectId());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("connected", state.connected());
        answer.put("connectedAt", state.connectedAt() == null ? null : state.connectedAt().toString());
        answer.put("iterable", iterable);
        answer.put("mixpanel", mixpanelSide);
        answer.put("problem", state.problem()); // e.g. the key's environment variable is not set, and what to do
        return answer;
    }

    /**
     * Reads a connect request and readies the call that tries its key ({@code GET /api/lists});
     * exchange properties {@code iterableBaseUrl} and {@code connect} carry it to the answer.
     */
    public void connectRequest(@Body String body, Exchange exchange) {
        ConnectRequest request = StrictJson.read(body, ConnectRequest.class, SHAPE);
        if (request.dataCenter() == null || connection.baseUrl(request.dataCenter()) == null) {
            throw new ApiProblem(400, "invalid_request", "dataCenter must be one of " + connection.dataCenters()
                    + (request.dataCenter() == null ? "" : "; got \"" + request.dataCenter() + "\""));
        }
        if ((request.apiKeyRef() == null) == (request.apiKey() == null)) {
            throw new ApiProblem(400, "invalid_request", "give exactly one of apiKeyRef (the name of an environment variable "
                    + "that holds the key: preferred) and apiKey");
        }
        String key;
        if (request.apiKeyRef() != null) {
            key = connection.resolve(request.apiKeyRef()); // null for a name outside ITERABLE_API_KEY[_*] too
            if (key == null) {
                throw new ApiProblem(422, "key_ref_refused", REF_REFUSED);
            }
        } else {
            key = request.apiKey().trim();
            if (key.isEmpty()) {
                throw new ApiProblem(400, "invalid_request", "apiKey is empty");
            }
            if (!secrets.enabled()) {
                throw new ApiProblem(400, "cannot_store_key", "the bridge stores no API key in clear: pass apiKeyRef (an environment "
                        + "variable holding the key), or set BRIDGE_SECURITY_ENCRYPTIONKEY so keys are stored encrypted");
            }
        }
        exchange.setProperty("iterableBaseUrl", connection.baseUrl(request.dataCenter()));
        exchange.setProperty("connect", new ConnectRequest(request.dataCenter(), request.apiKeyRef(), key));
        OutboundHttp.request(exchange, "GET", null, null).setHeader("Api-Key", key);
        exchange.getMessage().setBody(null);
    }

    /** Iterable's answer to the key: accepted -> connected; refused -> 422 with Iterable's message. */
    public Map<String, Object> connectAnswer(@Header(Exchange.HTTP_RESPONSE_CODE) int status, @Body InputStream body,
            Exchange exchange) throws IOException {
        ConnectRequest request = exchange.getProperty("connect", ConnectRequest.class);
        exchange.removeProperty("connect");
        if (status != 200) {
            String message = message(body);
            if (status == 401 || status == 403 || status == 400) {
                throw new ApiProblem(422, "key_rejected", "Iterable (" + request.dataCenter() + ") refused the API key: " + message
                        + ". Use a server-side key of the project, in the project's data centre");
            }
            throw new ApiProblem(502, "iterable_unavailable", "Iterable answered " + status + " (" + message + "): try again");
        }
        connection.connect(request.dataCenter(), request.apiKeyRef(), request.apiKey(), io.bridge.security.Actor.current());
        audit.record("integration.connect", "iterable", "data centre " + request.dataCenter() + ", key "
                + (request.apiKeyRef() != null ? "from environment variable " + request.apiKeyRef() : "stored encrypted"));
        return status();
    }

    public Map<String, Object> disconnect() {
        connection.disconnect(io.bridge.security.Actor.current());
        audit.record("integration.disconnect", "iterable", "dynamic syncs stop; history is kept");
        return status();
    }

    private String message(InputStream body) {
        try {
            JsonNode answer = mapper.readTree(body);
            return answer != null && answer.hasNonNull("msg") ? answer.get("msg").asText() : "no message";
        } catch (IOException | RuntimeException e) {
            return "no message";
        }
    }
}

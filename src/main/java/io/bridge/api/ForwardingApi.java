package io.bridge.api;

import io.bridge.ApiProblem;
import io.bridge.StrictJson;
import io.bridge.forwarding.Forwarder;
import io.bridge.security.AuditLog;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

/** The JSON of GET /api/forwarding and POST /api/forwarding/replay. */
@Component("forwardingApi")
public class ForwardingApi {

    /** {@code POST /api/forwarding/replay} body: ISO-8601 instants, the range of event times [from, to). */
    public record ReplayRequest(String from, String to) {
    }

    /** The 202 answer of a replay: the range, how many stored events were queued again, where to follow them. */
    public record ReplayQueued(String from, String to, int queued, String status) {
    }

    private static final String SHAPE = "{\"from\": \"2026-11-01T00:00:00Z\", \"to\": \"2026-11-02T00:00:00Z\"}";

    private final Forwarder forwarder;
    private final AuditLog audit;

    public ForwardingApi(Forwarder forwarder, AuditLog audit) {
        this.forwarder = forwarder;
        this.audit = audit;
    }

    public Map<String, Object> status() {
        return forwarder.status();
    }

    /** Queues the stored events whose time is in [from, to) for forwarding again: safe, Mixpanel deduplicates by $insert_id. */
    public ReplayQueued replay(@Body String body, Exchange exchange) {
        ReplayRequest request = StrictJson.read(body, ReplayRequest.class, SHAPE);
        Instant from = instant("from", request.from());
        Instant to = instant("to", request.to());
        if (!from.isBefore(to)) {
            throw new ApiProblem(400, "invalid_request", "from must be before to: the range is [from, to) of the events' times");
        }
        if (!forwarder.isOn()) { // once the body is right: the settings are then the last thing to fix
            throw new ApiProblem(409, "forwarding_off", "forwarding is off: GET /api/forwarding says why");
        }
        int queued = forwarder.replay(from, to);
        audit.record("forwarding.replay", "events from " + from + " to " + to, queued + " events queued again");
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        return new ReplayQueued(from.toString(), to.toString(), queued, "/api/forwarding");
    }

    private static Instant instant(String field, String value) {
        if (value == null) {
            throw new ApiProblem(400, "invalid_request", field + " is missing: the body is " + SHAPE);
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new ApiProblem(400, "invalid_request", field + " must be an ISO-8601 instant such as 2026-11-01T00:00:00Z");
        }
    }
}

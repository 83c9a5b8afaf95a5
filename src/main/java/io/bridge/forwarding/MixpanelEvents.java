package io.bridge.forwarding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bridge.mixpanel.MixpanelImport;
import io.bridge.webhooks.DedupKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

/**
 * Writes a claimed batch as the body of one import request: a JSON array of Mixpanel events, each
 * {@code {"event": eventName, "properties": {...dataFields, email, userId, $source, time, distinct_id, $insert_id}}},
 * at most {@code bridge.forwarding.batch-bytes} of it. An event without a usable distinct_id is
 * not sent: it is rejected by the bridge, with the reason.
 */
@Component("mixpanelEvents")
public class MixpanelEvents {

    /** Exchange property holding the {@link Batch} being sent. */
    public static final String BATCH = "forwardingBatch";

    private final ObjectMapper mapper = new ObjectMapper();
    private final boolean userIdFirst;
    private final int maxBytes;

    public MixpanelEvents(ForwardingProperties props) {
        String mode = props.distinctId();
        if (!ForwardingProperties.USER_ID_THEN_EMAIL.equals(mode) && !ForwardingProperties.EMAIL.equals(mode)) {
            throw new IllegalArgumentException("bridge.forwarding.distinct-id must be " + ForwardingProperties.USER_ID_THEN_EMAIL
                    + " or " + ForwardingProperties.EMAIL + "; got " + mode);
        }
        this.userIdFirst = ForwardingProperties.USER_ID_THEN_EMAIL.equals(mode);
        this.maxBytes = Math.min(props.batchBytes(), MixpanelImport.MAX_BYTES);
    }

    /** The request body of the claim's events (exchange property {@value #BATCH}: what it holds). */
    public byte[] marshal(@Body Claim claim, Exchange exchange) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        out.write('[');
        List<OutboxEvent> sent = new ArrayList<>();
        List<Rejection> rejected = new ArrayList<>();
        Long cutAt = null;
        for (OutboxEvent event : claim.events()) {
            String distinctId = distinctId(event);
            if (distinctId == null) {
                rejected.add(new Rejection(event, "bridge", "distinct_id", "not sent: neither userId nor email is a distinct_id "
                        + "Mixpanel accepts (missing, blank or a placeholder such as 'null', 'anon', '0')"));
                continue;
            }
            byte[] json = mapper.writeValueAsBytes(mixpanelEvent(event, distinctId));
            if (!sent.isEmpty() && (out.size() + json.length + 2 > maxBytes || sent.size() >= MixpanelImport.MAX_EVENTS)) {
                cutAt = event.id(); // this event and the rest go back to the outbox for the next batch
                break;
            }
            if (!sent.isEmpty()) {
                out.write(',');
            }
            out.write(json);
            sent.add(event);
        }
        out.write(']');
        exchange.setProperty(BATCH, new Batch(claim.id(), List.copyOf(sent), List.copyOf(rejected), cutAt, out.size()));
        return out.toByteArray();
    }

    /** The event as Mixpanel's Import API takes it. */
    ObjectNode mixpanelEvent(OutboxEvent event, String distinctId) throws IOException {
        JsonNode stored = mapper.readTree(event.properties());
        ObjectNode properties = mapper.createObjectNode();
        JsonNode fields = stored.path("dataFields");
        if (fields.isObject()) {
            properties.setAll((ObjectNode) fields);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = stored.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> field = it.next();
            if (!field.getKey().equals("dataFields") && !field.getKey().equals("eventName")) {
                properties.set(field.getKey(), field.getValue()); // email, userId as received; $source
            }
        }
        properties.put("time", event.eventTime().toEpochMilli());
        properties.put("distinct_id", distinctId);
        properties.put("$insert_id", DedupKey.insertId(event.dedupKey()));
        ObjectNode mixpanel = mapper.createObjectNode();
        mixpanel.put("event", event.eventName());
        mixpanel.set("properties", properties);
        return mixpanel;
    }

    /** userId then email, or email then userId: the first that Mixpanel accepts; null when neither. */
    String distinctId(OutboxEvent event) {
        String first = userIdFirst ? event.userId() : event.email();
        String second = userIdFirst ? event.email() : event.userId();
        if (MixpanelImport.usableDistinctId(first)) {
            return first;
        }
        return MixpanelImport.usableDistinctId(second) ? second : null;
    }
}

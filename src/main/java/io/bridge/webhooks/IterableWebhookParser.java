package io.bridge.webhooks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultMessage;
import org.springframework.stereotype.Component;

/**
 * Reads one Iterable system-webhook delivery: a JSON object, or an array of them stored together.
 * Anything that cannot be stored as it is becomes a {@link RejectedWebhookException} that says
 * exactly what to fix.
 */
@Component("iterableWebhookParser")
public class IterableWebhookParser {

    static final int MAX_EVENT_NAME = 128;
    static final int MAX_EMAIL = 320;
    static final int MAX_ID = 256;
    static final int MAX_CAMPAIGN_ID = 64;
    /** How much of an oversized body is kept in rejected_webhooks. */
    static final int KEPT_OF_OVERSIZE = 64 * 1024;

    /** Iterable's own createdAt form: {@code 2016-12-02 18:51:45 +00:00}. */
    private static final DateTimeFormatter ITERABLE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss xxx");

    private final ObjectMapper mapper = new ObjectMapper();
    /** Writes object keys sorted, so equal events have equal bytes whatever the key order. */
    private final ObjectMapper canonical = JsonMapper.builder()
            .configure(JsonNodeFeature.WRITE_PROPERTIES_SORTED, true).build();
    private final int maxPayloadBytes;

    public IterableWebhookParser(IterableWebhookProperties props) {
        this.maxPayloadBytes = props.maxPayloadBytes();
    }

    /** Header naming each event's {@code eventName}, for the route's MTU router. */
    public static final String EVENT_NAME = "eventName";

    /**
     * Parses a delivery into one Camel message per event (body {@link IterableEvent}, header
     * {@value #EVENT_NAME}), ready for the route's splitter.
     */
    public List<Message> parse(@Body InputStream body, @Header("Content-Type") String contentType, Exchange exchange)
            throws IOException {
        List<IterableEvent> events;
        try {
            events = read(body, contentType);
        } catch (RejectedWebhookException e) {
            throw e.sentAs(contentType);
        }
        List<Message> messages = new ArrayList<>(events.size());
        for (IterableEvent event : events) {
            Message message = new DefaultMessage(exchange.getContext());
            message.setBody(event);
            message.setHeader(EVENT_NAME, event.eventName());
            messages.add(message);
        }
        return messages;
    }

    private List<IterableEvent> read(InputStream body, String contentType) throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.readNBytes(maxPayloadBytes + 1);
        if (bytes.length > maxPayloadBytes) {
            String head = new String(bytes, 0, Math.min(bytes.length, KEPT_OF_OVERSIZE), StandardCharsets.UTF_8);
            throw new RejectedWebhookException(413, "payload is larger than " + maxPayloadBytes
                    + " bytes: send one event per request (first " + KEPT_OF_OVERSIZE + " bytes kept)", head);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!isJson(contentType)) {
            throw new RejectedWebhookException(415, "Content-Type must be application/json, got "
                    + (contentType == null ? "none" : "'" + contentType + "'"), text);
        }
        JsonNode root;
        try {
            root = mapper.readTree(text);
        } catch (JsonProcessingException e) {
            throw new RejectedWebhookException(400, "body is not valid JSON: " + e.getOriginalMessage(), text);
        }
        Instant receivedAt = Instant.now();
        List<IterableEvent> events = new ArrayList<>();
        if (root instanceof ObjectNode object) {
            events.add(event(object, "event", receivedAt, text));
        } else if (root != null && root.isArray() && !root.isEmpty()) {
            for (int i = 0; i < root.size(); i++) {
                JsonNode element = root.get(i);
                if (!(element instanceof ObjectNode object)) {
                    throw new RejectedWebhookException(400, "event[" + i + "] must be a JSON object", text);
                }
                events.add(event(object, "event[" + i + "]", receivedAt, text));
            }
        } else {
            throw new RejectedWebhookException(400,
                    "body must be one event object {\"eventName\":..,\"email\":..} or a non-empty array of them", text);
        }
        return events;
    }

    private IterableEvent event(ObjectNode e, String where, Instant receivedAt, String text) {
        String eventName = string(e, "eventName", where, MAX_EVENT_NAME, text);
        if (eventName == null || eventName.isBlank()) {
            throw new RejectedWebhookException(400, where + ": eventName must be a non-empty string", text);
        }
        JsonNode dataFields = e.get("dataFields");
        ObjectNode fields = null;
        if (dataFields instanceof ObjectNode object) {
            fields = object;
        } else if (dataFields != null && !dataFields.isNull()) {
            throw new RejectedWebhookException(400, where + ": dataFields must be a JSON object", text);
        }
        String email = trimmed(string(e, "email", where, MAX_EMAIL, text));
        if (email == null && fields != null) {
            email = trimmed(string(fields, "email", where + ".dataFields", MAX_EMAIL, text));
        }
        String userId = trimmed(string(e, "userId", where, MAX_ID, text));
        if (email == null && userId == null) {
            throw new RejectedWebhookException(400, where
                    + ": no user identity: give email, dataFields.email or userId", text);
        }
        String messageId = fields == null ? null : string(fields, "messageId", where + ".dataFields", MAX_ID, text);
        String campaignId = fields == null ? null
                : string(fields, "campaignId", where + ".dataFields", MAX_CAMPAIGN_ID, text);
        Instant eventTime = fields == null ? null : createdAt(fields.get("createdAt"), where, text);
        return new IterableEvent(eventName, email, userId, messageId, campaignId,
                eventTime == null ? receivedAt : eventTime, receivedAt, dedupKey(e), e);
    }

    /** A scalar field as text (numbers too: Iterable sends ids as numbers), or null when absent. */
    private static String string(ObjectNode node, String field, String where, int max, String text) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() && !value.isNumber()) {
            throw new RejectedWebhookException(400, where + ": " + field + " must be a string", text);
        }
        String s = value.asText();
        if (s.length() > max) {
            throw new RejectedWebhookException(400, where + ": " + field + " is longer than " + max + " characters", text);
        }
        return s;
    }

    private static String trimmed(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** createdAt as Iterable sends it ({@code 2016-12-02 18:51:45 +00:00}), ISO-8601, or epoch millis. */
    private static Instant createdAt(JsonNode value, String where, String text) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isIntegralNumber()) {
            return Instant.ofEpochMilli(value.asLong());
        }
        String s = value.asText();
        try {
            return OffsetDateTime.parse(s, ITERABLE_TIME).toInstant();
        } catch (DateTimeParseException notIterableForm) {
            try {
                return OffsetDateTime.parse(s).toInstant();
            } catch (DateTimeParseException notIso) {
                throw new RejectedWebhookException(400, where + ": dataFields.createdAt '" + s
                        + "' is not a time: use '2016-12-02 18:51:45 +00:00', ISO-8601 or epoch milliseconds", text);
            }
        }
    }

    private String dedupKey(ObjectNode event) {
        try {
            byte[] json = canonical.writeValueAsBytes(event);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot digest a parsed JSON tree", e);
        }
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.split(";", 2)[0].trim().toLowerCase();
        return type.equals("application/json") || type.endsWith("+json");
    }
}

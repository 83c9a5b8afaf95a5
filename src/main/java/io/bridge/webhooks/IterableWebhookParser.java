package io.bridge.webhooks;

import io.bridge.StrictJson;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultMessage;
import org.springframework.stereotype.Component;

/**
 * Reads one Iterable system-webhook delivery (JSON text, see {@link IterableWebhookBody}): a JSON
 * object, or an array of them stored together. Anything that cannot be stored as it is becomes a
 * {@link RejectedWebhookException} that says exactly what to fix.
 *
 * <p>What it accepts, and why:
 * <ul>
 * <li>Exactly one JSON value: content after it ({@code {..}{..}}) is refused, never dropped.</li>
 * <li>A key at most once per object: a duplicate is refused naming it (no "last one wins").</li>
 * <li>Numbers are kept as written ({@link NumberText}): the stored properties are the event as sent
 * plus {@code $source}, never longer, never {@code 1.0E9} or {@code Infinity}.</li>
 * <li>Strings must be valid Unicode (no unpaired surrogate escape such as <code>&#92;ud800</code>).</li>
 * <li>{@code eventName} and {@code email} must be JSON strings; {@code userId}, {@code messageId} and
 * {@code campaignId} strings or integers (Iterable sends ids as numbers). None may hold a control,
 * format (zero-width, bidirectional) or line/paragraph separator character (Unicode categories Cc,
 * Cf, Zl, Zp), and each must fit its column ({@code email} also once lower-cased: the MTU key).</li>
 * <li>Identities are trimmed of white space of any kind (no-break spaces too); one that is only
 * white space is absent, so an event whose only identity is blank has none and is refused. An email
 * must contain {@code @}.</li>
 * <li>{@code dataFields.createdAt}: Iterable's {@code 2016-12-02 18:51:45 +00:00}, ISO-8601 with an
 * offset, or an integer epoch time: below 100,000,000,000 in seconds, else in milliseconds. It must
 * fall between {@value #EARLIEST} and one day after now; without it the event time is the time of
 * receipt.</li>
 * <li>Nesting at most 1000 levels deep, numbers at most 1000 digits (Jackson's StreamReadConstraints).</li>
 * </ul>
 */
@Component("iterableWebhookParser")
public class IterableWebhookParser {

    /** Most events in one delivery: each becomes a message, and the heap a delivery takes grows with them. */
    private final int maxEvents;

    public IterableWebhookParser(IterableWebhookProperties props) {
        this.maxEvents = props.maxEventsPerDelivery();
    }

    static final int MAX_EVENT_NAME = 128;
    static final int MAX_EMAIL = 320;
    static final int MAX_ID = 256;
    static final int MAX_CAMPAIGN_ID = 64;
    /** Epoch numbers below this are seconds (up to year 5138); from it on, milliseconds (from 1973-03-03). */
    static final long SECONDS_BELOW = 100_000_000_000L;
    static final String EARLIEST = "2000-01-01T00:00:00Z";
    private static final Instant EARLIEST_TIME = Instant.parse(EARLIEST);
    /** How far past the bridge's clock an event may be, for senders whose clock runs ahead. */
    static final Duration LATEST_AHEAD = Duration.ofDays(1);

    /** Iterable's own createdAt form: {@code 2016-12-02 18:51:45 +00:00}. */
    private static final DateTimeFormatter ITERABLE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss xxx");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Jackson's default StreamReadConstraints: nesting depth 1000, numbers of 1000 characters. */
    private final JsonFactory json = JsonFactory.builder().build();
    /** Writes object keys sorted, so equal events have equal bytes whatever the key order. */
    private final ObjectMapper canonical = JsonMapper.builder()
            .configure(JsonNodeFeature.WRITE_PROPERTIES_SORTED, true).build();

    /** Header naming each event's {@code eventName}, for the route's MTU router. */
    public static final String EVENT_NAME = "eventName";

    /**
     * Parses a delivery into one Camel message per event (body {@link IterableEvent}, header
     * {@value #EVENT_NAME}), ready for the route's splitter.
     */
    public List<Message> parse(@Body String text, @Header("Content-Type") String contentType, Exchange exchange) {
        List<IterableEvent> events;
        try {
            events = read(text);
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

    private List<IterableEvent> read(String text) {
        JsonNode root = tree(text);
        Instant receivedAt = Instant.now();
        List<IterableEvent> events = new ArrayList<>();
        if (root instanceof ObjectNode object) {
            events.add(event(object, "event", receivedAt, text));
        } else if (root.isArray() && root.size() > maxEvents) {
            throw new RejectedWebhookException(413, "a delivery holds " + root.size() + " events; at most " + maxEvents
                    + " are taken in one (bridge.webhooks.iterable.max-events-per-delivery): send fewer per request", text);
        } else if (root.isArray() && !root.isEmpty()) {
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

    /** The one JSON value of the body, numbers kept as written, duplicate keys and trailing content refused. */
    private JsonNode tree(String text) {
        try (JsonParser parser = json.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new RejectedWebhookException(400, "body is empty: send one event object or an array of them", text);
            }
            JsonNode root = value(parser, first, text);
            if (parser.nextToken() != null) {
                throw new RejectedWebhookException(400, "trailing content after the JSON value" + at(parser.currentTokenLocation())
                        + ": send exactly one JSON value, an event object or an array of events", text);
            }
            return root;
        } catch (StreamConstraintsException e) {
            throw new RejectedWebhookException(400, "body exceeds a limit of the JSON reader: " + StrictJson.reason(e), text);
        } catch (JsonProcessingException e) {
            throw new RejectedWebhookException(400, "body is not valid JSON" + at(e.getLocation()) + ": " + StrictJson.reason(e), text);
        } catch (IOException e) {
            throw new IllegalStateException("reading a String cannot fail with I/O", e);
        }
    }

    /** One value, the parser on its first token; recursion is bounded by the nesting limit (1000). */
    private JsonNode value(JsonParser parser, JsonToken token, String text) throws IOException {
        switch (token) {
            case START_OBJECT -> {
                ObjectNode object = NODES.objectNode();
                for (String name = parser.nextFieldName(); name != null; name = parser.nextFieldName()) {
                    checkUnicode(name, parser, text);
                    if (object.has(name)) {
                        throw new RejectedWebhookException(400, "duplicate key " + SafeText.quote(name) + " at "
                                + parser.getParsingContext().pathAsPointer() + ": each key may appear once per object", text);
                    }
                    object.set(name, value(parser, parser.nextToken(), text));
                }
                return object;
            }
            case START_ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
                    array.add(value(parser, t, text));
                }
                return array;
            }
            case VALUE_STRING -> {
                String s = parser.getText();
                checkUnicode(s, parser, text);
                return NODES.textNode(s);
            }
            case VALUE_NUMBER_INT -> {
                return new NumberText(parser.getText(), true);
            }
            case VALUE_NUMBER_FLOAT -> {
                return new NumberText(parser.getText(), false);
            }
            case VALUE_TRUE -> {
                return NODES.booleanNode(true);
            }
            case VALUE_FALSE -> {
                return NODES.booleanNode(false);
            }
            case VALUE_NULL -> {
                return NODES.nullNode();
            }
            default -> throw new IllegalStateException("unexpected JSON token " + token);
        }
    }

    private static void checkUnicode(String s, JsonParser parser, String text) {
        int at = SafeText.unpairedSurrogate(s);
        if (at >= 0) {
            throw new RejectedWebhookException(400, "text at " + parser.getParsingContext().pathAsPointer()
                    + " holds an unpaired surrogate " + String.format("\\u%04x", (int) s.charAt(at))
                    + ": it is not valid Unicode", text);
        }
    }

    private static String at(JsonLocation location) {
        return location == null || location.getLineNr() < 0 ? ""
                : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private IterableEvent event(ObjectNode e, String where, Instant receivedAt, String text) {
        String eventName = field(e, "eventName", where, MAX_EVENT_NAME, false, text);
        if (eventName == null || SafeText.blank(eventName)) {
            throw new RejectedWebhookException(400, where + ": eventName must be a non-empty string", text);
        }
        JsonNode dataFields = e.get("dataFields");
        ObjectNode fields = null;
        if (dataFields instanceof ObjectNode object) {
            fields = object;
        } else if (dataFields != null && !dataFields.isNull()) {
            throw new RejectedWebhookException(400, where + ": dataFields must be a JSON object", text);
        }
        String email = trimmed(field(e, "email", where, MAX_EMAIL, false, text));
        String emailFrom = "email";
        if (email == null && fields != null) {
            email = trimmed(field(fields, "email", where + ".dataFields", MAX_EMAIL, false, text));
            emailFrom = "dataFields.email";
        }
        if (email != null && email.toLowerCase(Locale.ROOT).length() > MAX_EMAIL) {
            throw new RejectedWebhookException(400, where + ": email is longer than " + MAX_EMAIL
                    + " characters in lower case (the key that counts its user)", text);
        }
        if (email != null && email.indexOf('@') < 0) {
            throw new RejectedWebhookException(400, where + ": " + emailFrom + " must contain '@', got "
                    + SafeText.quote(email) + ": give the user's email address, or leave it out and give userId", text);
        }
        String userId = trimmed(field(e, "userId", where, MAX_ID, true, text));
        if (email == null && userId == null) {
            throw new RejectedWebhookException(400, where
                    + ": no user identity: give email, dataFields.email or userId", text);
        }
        String messageId = fields == null ? null : field(fields, "messageId", where + ".dataFields", MAX_ID, true, text);
        String campaignId = fields == null ? null
                : field(fields, "campaignId", where + ".dataFields", MAX_CAMPAIGN_ID, true, text);
        Instant eventTime = fields == null ? null : createdAt(fields.get("createdAt"), where, receivedAt, text);
        return new IterableEvent(eventName, email, userId, messageId, campaignId,
                eventTime == null ? receivedAt : eventTime, receivedAt, DedupKey.of(eventTime, digest(e)), e);
    }

    /**
     * A field stored in a column of its own, or null when absent: a string (or, for ids, an integer
     * as written), without control characters, at most {@code max} characters.
     */
    private static String field(ObjectNode node, String field, String where, int max, boolean integers, String text) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() && !(integers && value.isIntegralNumber())) {
            throw new RejectedWebhookException(400, where + ": " + field
                    + (integers ? " must be a string or an integer" : " must be a string"), text);
        }
        String s = value.asText();
        if (s.length() > max) { // as the column counts: UTF-16 units
            throw new RejectedWebhookException(400, where + ": " + field + " is longer than " + max + " characters"
                    + (s.codePointCount(0, s.length()) <= max ? " (one outside Unicode's first plane, such as most emoji, counts as two)" : ""),
                    text);
        }
        int at = SafeText.invisibleCharacter(s);
        if (at >= 0) {
            int c = s.codePointAt(at);
            throw new RejectedWebhookException(400, where + ": " + field + " must not contain control characters, invisible "
                    + "format characters (zero-width, bidirectional) or line separators: it holds "
                    + String.format("U+%04X", c) + " (" + Character.getName(c) + ") at character " + (s.codePointCount(0, at) + 1), text);
        }
        return s;
    }

    /** The value without surrounding white space of any kind (no-break spaces too); null when that leaves nothing. */
    private static String trimmed(String s) {
        return s == null || SafeText.blank(s) ? null : SafeText.strip(s);
    }

    /**
     * createdAt as Iterable sends it ({@code 2016-12-02 18:51:45 +00:00}), ISO-8601, or an integer
     * epoch time in seconds or milliseconds (by magnitude); within {@value #EARLIEST} .. now + 1 day.
     */
    private static Instant createdAt(JsonNode value, String where, Instant receivedAt, String text) {
        if (value == null || value.isNull()) {
            return null;
        }
        String field = where + ": dataFields.createdAt " + SafeText.quote(value.asText());
        Instant time;
        if (value.isNumber()) {
            if (!value.isIntegralNumber()) {
                throw new RejectedWebhookException(400, field
                        + " is not an integer: a number must be epoch seconds or epoch milliseconds", text);
            }
            BigInteger epoch = value.bigIntegerValue();
            if (epoch.bitLength() > 62) {
                throw new RejectedWebhookException(400, field + " is out of range: the event time must be between "
                        + EARLIEST + " and one day from now", text);
            }
            long n = epoch.longValue();
            time = Math.abs(n) < SECONDS_BELOW ? Instant.ofEpochSecond(n) : Instant.ofEpochMilli(n);
        } else if (value.isTextual()) {
            time = parseTime(value.asText());
            if (time == null) {
                throw new RejectedWebhookException(400, field
                        + " is not a time: use '2016-12-02 18:51:45 +00:00', ISO-8601 with an offset, or epoch seconds or milliseconds",
                        text);
            }
        } else {
            throw new RejectedWebhookException(400, where + ": dataFields.createdAt must be a time string or an epoch number", text);
        }
        if (time.isBefore(EARLIEST_TIME) || time.isAfter(receivedAt.plus(LATEST_AHEAD))) {
            throw new RejectedWebhookException(400, field + " is " + time + ": the event time must be between "
                    + EARLIEST + " and one day from now", text);
        }
        return time;
    }

    private static Instant parseTime(String s) {
        try {
            return OffsetDateTime.parse(s, ITERABLE_TIME).toInstant();
        } catch (DateTimeParseException notIterableForm) {
            try {
                return OffsetDateTime.parse(s).toInstant();
            } catch (DateTimeParseException notIso) {
                return null;
            }
        }
    }

    /** SHA-256 of the event's canonical JSON (keys sorted): a redelivery has the same. */
    private byte[] digest(ObjectNode event) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(canonical.writeValueAsBytes(event));
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot digest a parsed JSON tree", e);
        }
    }
}

package io.bridge.webhooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * One Iterable system-webhook event, validated. The route marks it with its source
 * ({@link #withSource}) and the MTU router picks its table ({@link #routedTo}).
 *
 * @param dedupKey   SHA-256 of the event's canonical JSON: a redelivery has the same key
 * @param payload    the event as received
 * @param properties the stored properties JSON (the payload plus {@code $source}), once marked
 */
public record IterableEvent(
        String eventName,
        String email,
        String userId,
        String messageId,
        String campaignId,
        Instant eventTime,
        Instant receivedAt,
        String dedupKey,
        ObjectNode payload,
        String source,
        String properties,
        String table) {

    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyy-MM").withZone(ZoneOffset.UTC);

    /** Who the event counts against for MTU: the email (case-folded), else the userId. */
    public String userKey() {
        return email != null ? email.toLowerCase(Locale.ROOT) : userId;
    }

    /** The UTC calendar month of the event, {@code yyyy-MM}. */
    public String eventMonth() {
        return MONTH.format(eventTime);
    }

    /** This event marked with {@code $source}, in its column and inside its properties. */
    public IterableEvent withSource(String source) {
        ObjectNode marked = payload.deepCopy();
        marked.put("$source", source);
        return new IterableEvent(eventName, email, userId, messageId, campaignId, eventTime, receivedAt,
                dedupKey, payload, source, marked.toString(), table);
    }

    /** This event bound for the given table. */
    public IterableEvent routedTo(String table) {
        return new IterableEvent(eventName, email, userId, messageId, campaignId, eventTime, receivedAt,
                dedupKey, payload, source, properties, table);
    }
}

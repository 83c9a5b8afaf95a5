package io.bridge.webhooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * One Iterable system-webhook event, validated. The route gives it a source ({@code $source}) and
 * a table (the MTU router) in headers of the message that carries it.
 *
 * @param dedupKey the event's time and SHA-256 ({@link DedupKey}): a redelivery has the same key
 * @param payload  the event as received
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
        ObjectNode payload) {

    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyy-MM").withZone(ZoneOffset.UTC);

    /** Who the event counts against for MTU: the email (case-folded), else the userId. */
    public String userKey() {
        return email != null ? email.toLowerCase(Locale.ROOT) : userId;
    }

    /** The UTC calendar month of the event, {@code yyyy-MM}. */
    public String eventMonth() {
        return MONTH.format(eventTime);
    }

}

package io.bridge.webhooks;

import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The key that recognises a redelivered event: 64 characters, the event's own time first.
 *
 * <p>{@code t}, then the seconds since 1970 of {@code dataFields.createdAt} in 11 zero-padded digits
 * ({@code 00000000000} when the event has no time of its own: the time it arrived would differ
 * between a delivery and its redelivery), then the first 52 hex digits of the SHA-256 of the
 * event's canonical JSON. Keys stored by earlier versions are the 64 hex digits of the SHA-256
 * alone and stay as they are (rewriting every stored row would hold an upgrade up for as long as
 * the tables are large); the {@code t} tells the two forms apart. Events arrive roughly in the
 * order of their time, so the unique index of new keys grows at its end, through pages the
 * database has just written, where a bare SHA-256 put every insert at a random place of the whole
 * index (on the embedded database, mostly rows read back from disk). Two different events share a
 * key only if they have the same second and the same 208 bits of hash.
 */
public final class DedupKey {

    private static final String TIMED = "t";
    private static final int TIME_DIGITS = 11;
    private static final int HASH_AT = TIMED.length() + TIME_DIGITS;
    private static final int HASH_BYTES = (64 - HASH_AT) / 2;
    private static final long MAX_SECONDS = 99_999_999_999L;

    private DedupKey() {
    }

    /** The key of an event with this time of its own (null: none) and this SHA-256 of its canonical JSON. */
    static String of(Instant createdAt, byte[] sha256) {
        long seconds = createdAt == null ? 0 : Math.min(MAX_SECONDS, Math.max(0, createdAt.getEpochSecond()));
        String time = Long.toString(seconds);
        return TIMED + "0".repeat(TIME_DIGITS - time.length()) + time
                + HexFormat.of().formatHex(sha256, 0, HASH_BYTES);
    }

    /**
     * The event's {@code $insert_id} in Mixpanel: the first 32 hex digits (128 bits) of its SHA-256,
     * whichever form its key has: an event imported before keys began with the time and replayed
     * after, or stored before and redelivered after, is still one event to Mixpanel. Two different
     * events would share one only by a hash collision (about one chance in 2^64 after 2^32 events),
     * and Mixpanel deduplicates on event name, distinct_id, time and $insert_id together.
     */
    public static String insertId(String key) {
        String k = key.strip();
        int hash = k.startsWith(TIMED) ? HASH_AT : 0;
        return k.substring(hash, hash + 32).toLowerCase(Locale.ROOT);
    }
}

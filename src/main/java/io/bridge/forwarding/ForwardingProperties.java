package io.bridge.forwarding;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bridge.forwarding.*}: every stored Iterable event forwarded to Mixpanel's Import API.
 *
 * @param enabled           unset: on when the Mixpanel service account is configured; false: off
 * @param distinctId        which identity becomes distinct_id: {@code user-id-then-email} or {@code email}
 *                          (the other one when the first is missing or a placeholder)
 * @param workers           batches in flight at once on this replica
 * @param batchEvents       most events in one request (Mixpanel: 2,000)
 * @param batchBytes        most bytes of uncompressed JSON in one request (Mixpanel: 10 MB)
 * @param linger            how long events of the intake's commits wait to fill a batch before they are sent anyway
 * @param pollInterval      how often a replica looks for events nobody woke it for (other replicas', retries, replays)
 * @param lease             how long a claimed batch is this replica's; a claim not settled by then is taken again
 * @param retryDelay        first wait after a 429, 5xx or timeout; doubles on each failure in a row
 * @param maxRetryDelay     the longest such wait (plus up to half of it again at random)
 * @param authRetryInterval after a 401/403, forwarding pauses; it tries once again after this long
 */
@ConfigurationProperties("bridge.forwarding")
public record ForwardingProperties(
        Boolean enabled,
        @DefaultValue("user-id-then-email") String distinctId,
        @DefaultValue("4") int workers,
        @DefaultValue("2000") int batchEvents,
        @DefaultValue("10000000") int batchBytes,
        @DefaultValue("500ms") Duration linger,
        @DefaultValue("1s") Duration pollInterval,
        @DefaultValue("2m") Duration lease,
        @DefaultValue("2s") Duration retryDelay,
        @DefaultValue("60s") Duration maxRetryDelay,
        @DefaultValue("10m") Duration authRetryInterval) {

    public static final String USER_ID_THEN_EMAIL = "user-id-then-email";
    public static final String EMAIL = "email";
}

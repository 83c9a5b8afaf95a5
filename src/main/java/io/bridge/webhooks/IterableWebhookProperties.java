package io.bridge.webhooks;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bridge.webhooks.iterable.*}: how Iterable's system webhooks authenticate and how large a
 * delivery may be. Credentials come from the environment, never from application.yaml.
 *
 * @param auth            none | basic | token; unset means "whatever credentials are configured"
 * @param username        Basic auth user name
 * @param password        Basic auth password
 * @param token           token for {@code Authorization: OAuth2 <t>} or {@code Bearer <t>}
 * @param maxPayloadBytes largest accepted body; larger deliveries get 413
 * @param maxEventsPerDelivery most events in one delivery (an array); more get 413
 * @param maxBytesInFlight  most bytes of deliveries being handled at once, all requests together; past
 *                        it a delivery gets 503 with Retry-After (bounds the heap that bodies and
 *                        their parsed events take)
 */
@ConfigurationProperties("bridge.webhooks.iterable")
public record IterableWebhookProperties(
        AuthMode auth,
        String username,
        String password,
        String token,
        @DefaultValue("1048576") int maxPayloadBytes,
        @DefaultValue("1000") int maxEventsPerDelivery,
        @DefaultValue("8388608") long maxBytesInFlight) {

    public enum AuthMode { NONE, BASIC, TOKEN }

    @Override
    public String toString() { // never print credentials, even by accident
        return "IterableWebhookProperties[auth=" + auth + ", maxPayloadBytes=" + maxPayloadBytes
                + ", maxEventsPerDelivery=" + maxEventsPerDelivery + ", maxBytesInFlight=" + maxBytesInFlight + "]";
    }
}

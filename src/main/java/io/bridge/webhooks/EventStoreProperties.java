package io.bridge.webhooks;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bridge.events.store.*}: the group commit that stores webhook events.
 *
 * @param maxBatchEvents most events written in one transaction
 * @param queueCapacity  most deliveries waiting for a commit; beyond it deliveries get 503
 * @param commitTimeout  how long a delivery waits for its commit before it gets 503
 */
@ConfigurationProperties("bridge.events.store")
public record EventStoreProperties(
        @DefaultValue("1000") int maxBatchEvents,
        @DefaultValue("10000") int queueCapacity,
        @DefaultValue("10s") Duration commitTimeout) {
}

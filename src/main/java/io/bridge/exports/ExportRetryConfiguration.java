package io.bridge.exports;

import org.apache.camel.LoggingLevel;
import org.apache.camel.processor.errorhandler.RedeliveryPolicy;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * How cohort export retries a 429, a 5xx or a timeout: {@code bridge.exports.retries} times,
 * starting at {@code bridge.exports.retry-delay} and doubling, with jitter, at most a minute apart.
 * Routes refer to it as {@code redeliveryPolicyRef: exportRetryPolicy}.
 */
@Configuration(proxyBeanMethods = false)
class ExportRetryConfiguration {

    @Bean
    RedeliveryPolicy exportRetryPolicy(ExportProperties exports) {
        return new RedeliveryPolicy()
                .maximumRedeliveries(exports.retries())
                .redeliveryDelay(exports.retryDelay().toMillis())
                .useExponentialBackOff()
                .backOffMultiplier(2)
                .useCollisionAvoidance()
                .maximumRedeliveryDelay(60_000)
                .retryAttemptedLogLevel(LoggingLevel.WARN);
    }
}

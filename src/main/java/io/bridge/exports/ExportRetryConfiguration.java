package io.bridge.exports;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.LoggingLevel;
import org.apache.camel.Processor;
import org.apache.camel.http.base.HttpOperationFailedException;
import io.bridge.mixpanel.MixpanelBudget;
import io.bridge.mixpanel.MixpanelProperties;
import org.apache.camel.processor.errorhandler.RedeliveryPolicy;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * How cohort export retries a 429, a 5xx or a timeout: {@code bridge.exports.retries} times,
 * starting at {@code bridge.exports.retry-delay} and doubling, with jitter, at most a minute apart.
 * Routes refer to it as {@code redeliveryPolicyRef: exportRetryPolicy}. A 429 that says when to
 * come back ({@code Retry-After}) is retried then instead ({@code onExceptionOccurredRef: retryAfter}).
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

    /**
     * Called when a call fails, before Camel decides the next delay: a 429's {@code Retry-After}
     * (seconds, or an HTTP date) becomes that delay ({@code CamelRedeliveryDelay}), capped at
     * {@code bridge.exports.max-retry-after}; any other failure leaves the policy's delay.
     */
    @Bean
    Processor retryAfter(ExportProperties exports) {
        long cap = exports.maxRetryAfter().toMillis();
        return exchange -> {
            exchange.getMessage().removeHeader(Exchange.REDELIVERY_DELAY);
            Exception failure = exchange.getException() != null ? exchange.getException()
                    : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
            if (failure instanceof HttpOperationFailedException http && http.getStatusCode() == 429) {
                Long millis = retryAfterMillis(http.getResponseHeaders());
                if (millis != null) {
                    exchange.getMessage().setHeader(Exchange.REDELIVERY_DELAY, Math.min(Math.max(millis, 0), cap));
                }
            }
        };
    }

    /**
     * Called before each retry: a retried Mixpanel query is a query of the hour too (Mixpanel counts
     * what it ran, and a timed-out query ran), so it is taken from the shared budget like the first
     * try. When the hour is spent the retry fails with the budget's message and the run ends.
     */
    @Bean
    Processor mixpanelRetryBudget(MixpanelBudget budget, MixpanelProperties mixpanel) {
        String queryApi = mixpanel.baseUrl().replaceAll("/+$", "") + "/api/query"; // the mixpanel-call route's endpoint
        return exchange -> {
            String endpoint = exchange.getProperty(Exchange.TO_ENDPOINT, String.class);
            if (endpoint != null && endpoint.startsWith(queryApi)) {
                budget.take();
            }
        };
    }

    static Long retryAfterMillis(Map<String, String> headers) {
        String value = headers == null ? null : headers.entrySet().stream().filter(h -> h.getKey().equalsIgnoreCase("Retry-After"))
                .map(Map.Entry::getValue).findFirst().orElse(null);
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Long.parseLong(value.trim()) * 1000;
        } catch (NumberFormatException notSeconds) {
            try {
                return ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli()
                        - System.currentTimeMillis();
            } catch (DateTimeParseException neither) {
                return null;
            }
        }
    }
}

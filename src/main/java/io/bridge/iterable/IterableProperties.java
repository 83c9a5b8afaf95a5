package io.bridge.iterable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bridge.iterable.*}: the Iterable project that receives the lists.
 *
 * @param baseUrl data centre: https://api.iterable.com (US) or https://api.eu.iterable.com (EU)
 * @param apiKey  server-side API key (environment only)
 */
@ConfigurationProperties("bridge.iterable")
public record IterableProperties(@DefaultValue("https://api.iterable.com") String baseUrl, String apiKey) {

    @Override
    public String toString() {
        return "IterableProperties[baseUrl=" + baseUrl + "]";
    }
}

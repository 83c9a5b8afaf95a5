package io.bridge.iterable;

import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bridge.iterable.*}: the Iterable project that receives the lists.
 *
 * @param baseUrl     API of the connection made in configuration (default US: https://api.iterable.com)
 * @param apiKey      server-side API key of the connection made in configuration (environment only)
 * @param dataCenter  US or EU: the data centre of the connection made in configuration, as shown
 * @param dataCenters API of each data centre, for connections made over PUT /api/integration
 */
@ConfigurationProperties("bridge.iterable")
public record IterableProperties(
        @DefaultValue("https://api.iterable.com") String baseUrl,
        String apiKey,
        @DefaultValue("US") String dataCenter,
        Map<String, String> dataCenters) {

    public IterableProperties {
        dataCenters = dataCenters == null || dataCenters.isEmpty()
                ? Map.of("US", "https://api.iterable.com", "EU", "https://api.eu.iterable.com") : Map.copyOf(dataCenters);
    }

    @Override
    public String toString() {
        return "IterableProperties[baseUrl=" + baseUrl + ", dataCenter=" + dataCenter + ", dataCenters=" + dataCenters + "]";
    }
}

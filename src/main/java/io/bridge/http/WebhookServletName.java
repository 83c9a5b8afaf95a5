package io.bridge.http;

import java.util.Map;
import java.util.UUID;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Names Camel's webhook servlet once per application context ({@code bridge.webhooks.servlet-name},
 * read by camel.servlet.mapping and camel.component.servlet in application.yaml). Camel keeps its
 * servlets in a registry shared by the whole JVM, keyed by name: a second bridge in the same JVM
 * (tests start several) would otherwise fail to start, or take the first one's deliveries.
 */
public class WebhookServletName implements EnvironmentPostProcessor {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.containsProperty("bridge.webhooks.servlet-name")) {
            environment.getPropertySources().addLast(new MapPropertySource("bridge-webhook-servlet",
                    Map.of("bridge.webhooks.servlet-name", "webhooks-" + UUID.randomUUID().toString().substring(0, 8))));
        }
    }
}

package io.bridge.demo;

import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Under the "demo" profile, the bridge and its local stand-ins share credentials made up for this
 * process alone, so that no credential, not even a stand-in's, is written in application.yaml. The
 * Iterable key is made up as {@code ITERABLE_API_KEY}, as if the environment held it: the
 * connection made in configuration takes it, and so does the README's
 * {@code PUT /api/integration {"apiKeyRef":"ITERABLE_API_KEY"}}, after a restart too (the
 * stand-in's key changes with the process, the reference stays right). They outrank the
 * environment: the demo never sends a real key or secret, not even to its stand-ins.
 * Registered in META-INF/spring.factories; does nothing without the profile.
 */
public class DemoCredentials implements EnvironmentPostProcessor {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (Arrays.asList(environment.getActiveProfiles()).contains("demo")) {
            String iterableKey = UUID.randomUUID().toString();
            environment.getPropertySources().addFirst(new MapPropertySource("demo-stand-in-credentials", Map.of(
                    "bridge.mixpanel.secret", UUID.randomUUID().toString(),
                    "ITERABLE_API_KEY", iterableKey,
                    "bridge.iterable.api-key", iterableKey)));
        }
    }
}

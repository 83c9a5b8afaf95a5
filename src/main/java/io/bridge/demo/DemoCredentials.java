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
 * process alone, so that no credential, not even a stand-in's, is written in application.yaml.
 * Registered in META-INF/spring.factories; does nothing without the profile.
 */
public class DemoCredentials implements EnvironmentPostProcessor {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (Arrays.asList(environment.getActiveProfiles()).contains("demo")) {
            environment.getPropertySources().addLast(new MapPropertySource("demo-stand-in-credentials", Map.of(
                    "bridge.mixpanel.secret", UUID.randomUUID().toString(),
                    "bridge.iterable.api-key", UUID.randomUUID().toString())));
        }
    }
}

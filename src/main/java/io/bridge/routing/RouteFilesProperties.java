package io.bridge.routing;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bridge.routes.*}: reloading route files while the bridge runs.
 *
 * @param reload    reload a route file as soon as it is saved (development; off in production)
 * @param directory the folder watched (the one camel.main.routes-include-pattern reads)
 * @param pattern   which files in it are routes
 */
@ConfigurationProperties("bridge.routes")
public record RouteFilesProperties(
        @DefaultValue("false") boolean reload,
        @DefaultValue("routes") String directory,
        @DefaultValue("*.camel.yaml") String pattern) {
}

package io.bridge.http;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bridge.api.*}: limits of the control-plane API.
 *
 * @param maxBodyBytes largest request body /api/** takes; larger ones get 413 before a route runs
 */
@ConfigurationProperties("bridge.api")
public record HttpEdgeProperties(@DefaultValue("65536") int maxBodyBytes) {
}

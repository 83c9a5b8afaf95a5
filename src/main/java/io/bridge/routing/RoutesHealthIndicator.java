package io.bridge.routing;

import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * Readiness of the routes ({@code /actuator/health/readiness}, indicator {@code routes}): DOWN while
 * a route seen since start-up is missing or not started (a route file that failed to reload, a
 * route stopped by hand), naming them, so Kubernetes sends no traffic to a bridge that would answer
 * it with 404 or 500.
 */
class RoutesHealthIndicator extends AbstractHealthIndicator {

    private final CamelContext camel;
    private final Set<String> expected = new TreeSet<>();

    RoutesHealthIndicator(CamelContext camel) {
        this.camel = camel;
    }

    @Override
    protected void doHealthCheck(Health.Builder health) {
        TreeMap<String, String> notRunning = new TreeMap<>();
        synchronized (expected) {
            camel.getRoutes().forEach(route -> expected.add(route.getRouteId()));
            for (String id : expected) {
                Route route = camel.getRoute(id);
                ServiceStatus status = route == null ? null : camel.getRouteController().getRouteStatus(id);
                if (status != ServiceStatus.Started) {
                    notRunning.put(id, status == null ? "missing" : status.name().toLowerCase());
                }
            }
            health.withDetail("routes", expected.size());
        }
        if (notRunning.isEmpty()) {
            health.up();
        } else {
            health.down().withDetail("notRunning", notRunning);
        }
    }
}

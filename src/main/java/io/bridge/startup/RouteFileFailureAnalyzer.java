package io.bridge.startup;

import org.apache.camel.FailedToCreateRouteException;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;

/**
 * A route file Camel could not load or a route it could not create, told as Spring Boot's
 * "APPLICATION FAILED TO START" report: the file, line and column (or the route's id) and Camel's
 * own words, then what to do; no stack trace. Registered in META-INF/spring.factories.
 */
public class RouteFileFailureAnalyzer implements FailureAnalyzer {

    private static final String ACTION = "Fix the route file and start again. Camel's YAML DSL schema lists every step and "
            + "its options (Kaoto and VS Code with the Camel extension check a file against it as it is edited); "
            + "the shipped routes are in the bridge's routes/ folder.";

    @Override
    public FailureAnalysis analyze(Throwable failure) {
        MarkedYamlEngineException yaml = find(failure, MarkedYamlEngineException.class);
        if (yaml != null) {
            return new FailureAnalysis("A route file could not be loaded: " + firstLines(yaml.getMessage()), ACTION, yaml);
        }
        FailedToCreateRouteException route = find(failure, FailedToCreateRouteException.class);
        if (route != null) {
            Throwable root = route;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String where = route.getLocation() == null ? "" : " (" + route.getLocation() + ")";
            return new FailureAnalysis("Route " + route.getRouteId() + where + " could not be created: "
                    + firstLines(String.valueOf(root.getMessage())), ACTION, route);
        }
        return null;
    }

    /** Camel's message, its pointer at the column included, within reason (the log masks an endpoint's secret options). */
    private static String firstLines(String message) {
        String text = message == null ? "" : message.strip();
        return text.length() <= 600 ? text : text.substring(0, 600) + "...";
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}

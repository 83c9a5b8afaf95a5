package io.bridge.startup;

import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.util.ObjectHelper;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.springframework.beans.BeansException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.NestedExceptionUtils;

/**
 * A route file Camel could not load, or a route it could not create, told as Spring Boot's
 * "APPLICATION FAILED TO START" report: the file, line and column (or the route, its file and the
 * step) and Camel's own words, then what to do; no stack trace. A route that failed because a Spring
 * bean could not be made is left to Spring Boot's own report of that bean. Camel's words may quote an
 * endpoint's options: the log masks the secret ones (io.bridge.security.CredentialLogFilter).
 * Registered in META-INF/spring.factories.
 */
public class RouteFileFailureAnalyzer implements FailureAnalyzer {

    private static final String SCHEMA = "Camel's YAML DSL schema lists every step and its options (Kaoto and VS Code with the "
            + "Camel extension check a file against it as it is edited); the shipped routes are in the bridge's routes/ folder.";

    @Override
    public FailureAnalysis analyze(Throwable failure) {
        MarkedYamlEngineException yaml = ObjectHelper.getException(MarkedYamlEngineException.class, failure);
        if (yaml != null) {
            return new FailureAnalysis("A route file could not be loaded: " + bounded(yaml.getMessage()),
                    "Fix the route file at that line and start again. " + SCHEMA, yaml);
        }
        FailedToCreateRouteException route = ObjectHelper.getException(FailedToCreateRouteException.class, failure);
        if (route == null || ObjectHelper.getException(BeansException.class, route) != null) {
            return null;
        }
        Throwable root = NestedExceptionUtils.getMostSpecificCause(route);
        String reason = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return new FailureAnalysis("Route " + route.getRouteId() + (route.getLocation() == null ? "" : " (" + route.getLocation() + ")")
                + step(route.getMessage()) + " could not be created: " + bounded(reason),
                "Fix what it names and start again: the route file, or a setting the route reads ({{...}} in the file: "
                        + "application.yaml or its environment variable). " + SCHEMA, route);
    }

    /** The step Camel marks in its message ({@code at: >>> To[...] <<<}), when it does. */
    private static String step(String message) {
        int from = message == null ? -1 : message.indexOf(">>> ");
        int to = from < 0 ? -1 : message.indexOf(" <<<", from);
        return to < 0 ? "" : ", at step " + bounded(message.substring(from + 4, to), 200) + ",";
    }

    /** Camel's words within reason. */
    private static String bounded(String message) {
        return bounded(message, 600);
    }

    private static String bounded(String message, int most) {
        String text = message == null ? "" : message.strip();
        return text.length() <= most ? text : text.substring(0, most) + "...";
    }
}

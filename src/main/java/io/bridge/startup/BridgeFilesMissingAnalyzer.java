package io.bridge.startup;

import java.nio.file.Path;
import java.util.stream.Collectors;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Spring Boot's "APPLICATION FAILED TO START" report for {@link BridgeFilesMissingException}: what
 * was not found where, and what to do; no stack trace. Registered in META-INF/spring.factories.
 */
public class BridgeFilesMissingAnalyzer extends AbstractFailureAnalyzer<BridgeFilesMissingException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, BridgeFilesMissingException cause) {
        StringBuilder description = new StringBuilder("The bridge did not find ");
        if (!cause.settingsFound()) {
            description.append("its settings: there is no ").append(cause.workingDirectory().resolve("application.yaml"));
        }
        if (!cause.routesFound()) {
            description.append(cause.settingsFound() ? "its routes: " : ", nor its routes: ").append("no file matches ")
                    .append(cause.routesPattern()).append(" (camel.main.routes-include-pattern) in ")
                    .append(cause.routeFolders().stream().map(Path::toString).collect(Collectors.joining(", ")));
        }
        description.append(".\nIt reads application.yaml (every setting) and routes/*.camel.yaml (the integration) from the directory it "
                + "runs in, which is ").append(cause.workingDirectory()).append('.');
        String action = "Run the bridge from the directory that holds application.yaml and routes/: the repository root "
                + "(cd <repository> && java -jar target/mixpanel-iterable-bridge-<version>.jar), or /app in the container image.\n"
                + "Or say where they are: SPRING_CONFIG_ADDITIONAL_LOCATION=file:/path/to/folder/ (the folder holding "
                + "application.yaml; mind the closing /) and CAMEL_MAIN_ROUTESINCLUDEPATTERN=file:/path/to/routes/*.camel.yaml.";
        return new FailureAnalysis(description.toString(), action, cause);
    }
}

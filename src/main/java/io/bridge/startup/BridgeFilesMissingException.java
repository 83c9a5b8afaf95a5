package io.bridge.startup;

import java.nio.file.Path;
import java.util.List;

/** application.yaml or the route files were not found: the start stops (see {@link BridgeFilesMissingAnalyzer}). */
public class BridgeFilesMissingException extends IllegalStateException {

    private final transient Path workingDirectory;
    private final boolean settingsFound;
    private final String routesPattern;
    private final boolean routesFound;
    private final transient List<Path> routeFolders;

    BridgeFilesMissingException(Path workingDirectory, boolean settingsFound, String routesPattern, boolean routesFound,
            List<Path> routeFolders) {
        super((settingsFound ? "" : "no application.yaml in " + workingDirectory + "; ")
                + (routesFound ? "" : "no route files match " + routesPattern + " (in " + routeFolders + ")"));
        this.workingDirectory = workingDirectory;
        this.settingsFound = settingsFound;
        this.routesPattern = routesPattern;
        this.routesFound = routesFound;
        this.routeFolders = List.copyOf(routeFolders);
    }

    Path workingDirectory() {
        return workingDirectory;
    }

    boolean settingsFound() {
        return settingsFound;
    }

    String routesPattern() {
        return routesPattern;
    }

    boolean routesFound() {
        return routesFound;
    }

    List<Path> routeFolders() {
        return routeFolders;
    }
}

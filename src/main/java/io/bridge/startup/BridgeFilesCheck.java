package io.bridge.startup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.logging.LoggingApplicationListener;
import org.springframework.context.ApplicationListener;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;

/**
 * The bridge is its two kinds of files: application.yaml (every setting) and routes/*.camel.yaml (the
 * integration), both read from the file system, by default from the working directory. Before
 * anything else starts (no database is opened), this checks that they were found, and otherwise
 * stops the start with a message that says where the bridge looked and how to point it at them
 * ({@link BridgeFilesMissingAnalyzer}), instead of failing later on the first setting it misses.
 * Registered in META-INF/spring.factories.
 */
public class BridgeFilesCheck implements ApplicationListener<ApplicationEnvironmentPreparedEvent>, Ordered {

    static final String ROUTES = "camel.main.routes-include-pattern";

    @Override
    public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
        ConfigurableEnvironment environment = event.getEnvironment();
        Path workingDirectory = Path.of("").toAbsolutePath();
        boolean settingsFound = settingsFileRead(environment);
        String pattern = environment.getProperty(ROUTES, "file:routes/*.camel.yaml");
        List<Path> routeFolders = new ArrayList<>();
        boolean routesFound = false;
        for (String one : pattern.split(",")) {
            one = one.trim();
            if (!one.startsWith("file:")) {
                routesFound = true; // classpath: or another scheme: Camel resolves it
                continue;
            }
            Path glob = workingDirectory.resolve(one.substring("file:".length())).normalize();
            routeFolders.add(glob.getParent());
            routesFound |= matches(glob);
        }
        if (!settingsFound || !routesFound) {
            throw new BridgeFilesMissingException(workingDirectory, settingsFound, pattern, routesFound, routeFolders);
        }
    }

    /** Whether an application.yaml (.yml, .properties) was read from the file system. */
    private static boolean settingsFileRead(ConfigurableEnvironment environment) {
        for (PropertySource<?> source : environment.getPropertySources()) {
            // Spring Boot names them "Config resource 'file [<path>]' via location '<location>'"
            String name = source.getName().toLowerCase(Locale.ROOT);
            if (name.startsWith("config resource 'file [") && name.contains("application")) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(Path glob) {
        Path folder = glob.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            return false;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, glob.getFileName().toString())) {
            return files.iterator().hasNext();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Right after the logging system is set up, so the failure report is logged as configured. */
    @Override
    public int getOrder() {
        return LoggingApplicationListener.DEFAULT_ORDER + 1;
    }
}

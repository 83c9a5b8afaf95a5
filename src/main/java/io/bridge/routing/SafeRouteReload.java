package io.bridge.routing;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.model.Model;
import org.apache.camel.spi.Resource;
import org.apache.camel.spi.RoutesLoader;
import org.apache.camel.support.FileWatcherResourceReloadStrategy;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads a route file of a running bridge as soon as it is saved, safely: only that file's routes
 * are replaced, every other route keeps running; a file that fails to load (bad YAML, an unknown
 * step, an endpoint that cannot be created) is replaced by its last version that loaded (its
 * routes are down for the milliseconds that takes), and the log says which file and why. Camel's own watcher, by contrast, removes every route of every file
 * by default, and a file's routes before it knows whether their new version starts.
 */
class SafeRouteReload extends FileWatcherResourceReloadStrategy {

    private static final Logger log = LoggerFactory.getLogger(SafeRouteReload.class);

    /** The content of each route file as last loaded, by location. */
    private final Map<URI, String> lastLoaded = new ConcurrentHashMap<>();
    /** The content of each route file that last failed to load: not tried again until it changes. */
    private final Map<URI, String> lastFailed = new ConcurrentHashMap<>();
    private final Path directory;
    private final PathMatcher routeFiles;

    SafeRouteReload(String directory, String pattern) {
        super(directory, false);
        this.directory = Path.of(directory).toAbsolutePath();
        this.routeFiles = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        setFileFilter(file -> routeFiles.matches(file.toPath().getFileName()));
        setResourceReload((name, resource) -> reload(resource));
    }

    @Override
    protected void doStart() throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> routeFiles.matches(f.getFileName())).toList()) {
                lastLoaded.put(file.toUri(), Files.readString(file));
            }
        }
        super.doStart();
    }

    private void reload(Resource changed) {
        CamelContext camel = getCamelContext();
        URI uri = Path.of(changed.getURI()).toUri();
        Set<String> before = routesOf(camel, uri);
        String content;
        try {
            content = Files.exists(Path.of(uri)) ? Files.readString(Path.of(uri)) : null;
        } catch (IOException e) {
            log.warn("Route file {} could not be read ({}): its routes {} keep running", changed.getLocation(), e.getMessage(), before);
            return;
        }
        if (content != null && (content.isBlank() || content.equals(lastLoaded.get(uri)) || content.equals(lastFailed.get(uri)))) {
            return; // an editor's save in progress (emptied, then written), a save without change, a second event
        }
        RoutesLoader loader = PluginHelper.getRoutesLoader(camel);
        try {
            forgetRests(camel, uri);
            Set<String> after = content == null ? Set.of() : loader.updateRoutes(List.of(ResourceHelper.fromString(changed.getLocation(), content)));
            Set<String> gone = new TreeSet<>(before);
            gone.removeAll(after);
            for (String id : gone) {
                camel.getRouteController().stopRoute(id);
                camel.removeRoute(id);
            }
            lastFailed.remove(uri);
            if (content == null) {
                lastLoaded.remove(uri);
            } else {
                lastLoaded.put(uri, content);
            }
            log.info("Route file {} reloaded: routes {} running{}", changed.getLocation(), new TreeSet<>(after),
                    gone.isEmpty() ? "" : ", " + gone + " removed");
        } catch (Exception failed) {
            if (content != null) {
                lastFailed.put(uri, content);
            }
            String previous = lastLoaded.get(uri);
            try {
                if (previous != null) {
                    forgetRests(camel, uri);
                    loader.updateRoutes(List.of(ResourceHelper.fromString(changed.getLocation(), previous)));
                }
            } catch (Exception restoreFailed) {
                log.error("Route file {} was not loaded ({}), and its previous version could not be put back ({}): "
                        + "routes {} are not running", changed.getLocation(), failed.getMessage(), restoreFailed.getMessage(), before);
                return;
            }
            log.warn("Route file {} was not loaded, so its previous routes {} keep running: {}", changed.getLocation(),
                    before, failed.getMessage());
        }
    }

    private static Set<String> routesOf(CamelContext camel, URI file) {
        Set<String> ids = new TreeSet<>();
        for (Route route : camel.getRoutes()) {
            if (from(route.getSourceResource(), file)) {
                ids.add(route.getRouteId());
            }
        }
        return ids;
    }

    /**
     * Drops the file's REST DSL declarations from Camel's model before the file is loaded again:
     * loading only adds them, so a verb removed from the file would stay in GET /api/openapi.json,
     * and every save would add another copy.
     */
    private static void forgetRests(CamelContext camel, URI file) {
        Model model = camel.getCamelContextExtension().getContextPlugin(Model.class);
        synchronized (model) {
            model.getRestDefinitions().removeIf(rest -> from(rest.getResource(), file));
        }
    }

    private static boolean from(Resource source, URI file) {
        return source != null && source.getURI() != null && file.equals(Path.of(source.getURI()).toUri());
    }
}

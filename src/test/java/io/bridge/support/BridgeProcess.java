package io.bridge.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The bundle as its own JVM, started the way the README starts it ({@code java ... BridgeApplication}
 * with the bundle's classes and dependencies, without the test classes), in a working directory of
 * the test's choosing; its console output goes to a file the test reads. For start-up behaviour:
 * what the log says, what a restart does.
 */
public final class BridgeProcess implements AutoCloseable {

    public static final String ADMIN_PASSWORD = "startup-test-admin-password";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Process process;
    private final Path output;
    private final int port;

    private BridgeProcess(Process process, Path output, int port) {
        this.process = process;
        this.output = output;
        this.port = port;
    }

    /**
     * Starts the bundle in {@code directory} on a free port, Jolokia on another, with an admin
     * ({@link #ADMIN_PASSWORD}) and {@code env}; none of the test JVM's datasource settings.
     */
    public static BridgeProcess start(Path directory, Path output, Map<String, String> env, String... args) throws IOException {
        int port = freePort();
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.replace('\\', '/').endsWith("/test-classes")) // the bundle only, as in its jar
                .collect(Collectors.joining(File.pathSeparator));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath, "io.bridge.BridgeApplication",
                "--server.port=" + port));
        command.addAll(Arrays.asList(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("SPRING_") || name.startsWith("BRIDGE_")
                || name.startsWith("ITERABLE_API_KEY"));
        builder.environment().put("BRIDGE_SECURITY_ADMIN_PASSWORD", "{noop}" + ADMIN_PASSWORD);
        builder.environment().put("JOLOKIA_PORT", String.valueOf(freePort()));
        builder.environment().putAll(env);
        return new BridgeProcess(builder.start(), output, port);
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    /** Everything the process has written so far. */
    public String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the bundle has started (or ended); false when it ended instead. */
    public boolean awaitStarted(Duration timeout) {
        await(() -> output().contains("Started BridgeApplication") || !process.isAlive(), timeout, "the bundle to start");
        return process.isAlive() && output().contains("Started BridgeApplication");
    }

    /** Waits for the process to end on its own; its exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the bundle is still running after " + timeout + ":\n" + output());
        }
        return process.exitValue();
    }

    /** Waits until the condition holds, or fails with the bundle's output. */
    public void await(BooleanSupplier condition, Duration timeout, String what) {
        try {
            Waiting.await(what).atMost(timeout).pollInterval(Duration.ofMillis(200)).until(condition::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("timed out waiting for " + what + "; the bundle's output:\n" + output(), e);
        }
    }

    /** A request as the admin. */
    public HttpResponse<String> call(String method, String path, String json) {
        return call(method, path, json, "Basic " + java.util.Base64.getEncoder().encodeToString(
                ("admin:" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8)));
    }

    /** A request with this Authorization header (a webhook's credentials, say). */
    public HttpResponse<String> call(String method, String path, String json, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", authorization)
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Kills the bundle as a node failure or the kernel's OOM killer does: SIGKILL ({@code destroyForcibly} on
     * Linux), no shutdown hook, no graceful stop, nothing flushed. Waits until the process is gone and fails
     * unless it died of SIGKILL (exit 137) without starting a shutdown.
     */
    public void kill() throws InterruptedException {
        ProcessHandle handle = process.toHandle();
        if (!handle.isAlive()) {
            throw new AssertionError("the bundle had ended before it was killed (exit " + process.exitValue() + "):\n" + output());
        }
        if (!handle.destroyForcibly()) {
            throw new AssertionError("the bundle (pid " + handle.pid() + ") could not be killed");
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the bundle (pid " + handle.pid() + ") is still alive 10 s after SIGKILL");
        }
        if (process.exitValue() != 128 + 9) {
            throw new AssertionError("the bundle ended with exit code " + process.exitValue() + ", not of SIGKILL (137):\n" + output());
        }
        if (output().contains("Commencing graceful shutdown")) {
            throw new AssertionError("the bundle began a graceful shutdown: it was stopped, not killed:\n" + output());
        }
    }

    /** Stops the bundle as an orchestrator does (SIGTERM: graceful shutdown) and waits for it. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}

package io.bridge.fakes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A small HTTP server on a random loopback port, with injected faults and call counts per path. */
public abstract class FakeHttpApi implements AutoCloseable {

    protected static final ObjectMapper JSON = new ObjectMapper();
    /** What each call being answered does once its answer starts (HttpExchange's attributes are its context's, shared). */
    private static final Map<HttpExchange, Runnable> ANSWERING = new ConcurrentHashMap<>();

    static {
        // The JDK server writes a response's headers and body separately; without TCP_NODELAY a
        // small answer waits ~40 ms for the client's delayed ACK (Nagle), which no real API does.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    record Fault(String pathPrefix, int status, String contentType, String body, Map<String, String> headers) {
    }

    private final HttpServer server;
    private final Deque<Fault> faults = new ArrayDeque<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    /** Calls being answered right now, and the most there ever were at once (any path). */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peakInFlight = new AtomicInteger();
    protected volatile long delayMillis;
    /** While closed (see {@link #hold()}), every call waits for {@link #release()}, at most a minute. */
    private volatile java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(0);

    FakeHttpApi() {
        this(0);
    }

    FakeHttpApi(int port) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.setExecutor(Executors.newFixedThreadPool(8, task -> {
            Thread thread = new Thread(task, getClass().getSimpleName());
            thread.setDaemon(true);
            return thread;
        }));
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            calls.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            peakInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            // a call stops counting as in flight just before its answer is written: once the client
            // has the answer, it may start its next call, and that one must not overlap this one here
            ANSWERING.put(exchange, inFlight::decrementAndGet); // run once: whoever removes it runs it
            try {
                if (delayMillis > 0) {
                    Thread.sleep(delayMillis);
                }
                gate.await(1, java.util.concurrent.TimeUnit.MINUTES);
                Fault fault = nextFault(path);
                if (fault != null) {
                    fault.headers().forEach(exchange.getResponseHeaders()::set);
                    send(exchange, fault.status(), fault.contentType(), fault.body());
                } else {
                    handle(exchange, path, new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                }
            } catch (Exception e) {
                send(exchange, 500, "application/json", "{\"msg\":\"fake failed: " + e + "\"}");
            } finally {
                Runnable answered = ANSWERING.remove(exchange);
                if (answered != null) {
                    answered.run();
                }
            }
        });
        server.start();
    }

    protected abstract void handle(HttpExchange exchange, String path, String body) throws Exception;

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The next {@code times} calls to a path starting with {@code pathPrefix} answer this instead. */
    public synchronized void failNext(String pathPrefix, int times, int status, String contentType, String body) {
        failNext(pathPrefix, times, status, contentType, body, Map.of());
    }

    /** The same, with response headers (a 429's Retry-After, say). */
    public synchronized void failNext(String pathPrefix, int times, int status, String contentType, String body,
            Map<String, String> headers) {
        for (int i = 0; i < times; i++) {
            faults.add(new Fault(pathPrefix, status, contentType, body, Map.copyOf(headers)));
        }
    }

    public synchronized void clearFaults() {
        faults.clear();
    }

    private synchronized Fault nextFault(String path) {
        for (Fault fault : faults) {
            if (path.startsWith(fault.pathPrefix())) {
                faults.remove(fault);
                return fault;
            }
        }
        return null;
    }

    public int calls(String path) {
        AtomicInteger count = calls.get(path);
        return count == null ? 0 : count.get();
    }

    public void resetCalls() {
        calls.clear();
        peakInFlight.set(inFlight.get());
    }

    /** The most calls (to any path) this stand-in was answering at once, since it started or resetCalls. */
    public int peakConcurrentCalls() {
        return peakInFlight.get();
    }

    public void delay(long millis) {
        this.delayMillis = millis;
    }

    /** Calls wait from now until {@link #release()}: a test decides when they answer, not the clock. */
    public void hold() {
        gate = new java.util.concurrent.CountDownLatch(1);
    }

    public void release() {
        gate.countDown();
    }

    protected static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        Runnable answered = ANSWERING.remove(exchange);
        if (answered != null) {
            answered.run();
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

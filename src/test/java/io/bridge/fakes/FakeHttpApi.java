package io.bridge.fakes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP server on a random loopback port, with injected faults and call counts per path, that
 * checks each request as the real API would and keeps the protocol violations it saw: a request the
 * real API would refuse (answered as the real API answers it), or one it would take but that does
 * something the bundle must not do. Every stand-in of the JVM is listed in {@link #all()}, so that
 * tests can assert none saw a violation ({@code io.bridge.support.StandInsCheck}).
 */
public abstract class FakeHttpApi implements AutoCloseable {

    /** One request a real API would refuse, or that misuses it: method and path as received, and what was wrong. */
    public record Violation(String standIn, String method, String path, String problem) {
        @Override
        public String toString() {
            return standIn + ": " + method + " " + path + ": " + problem;
        }
    }

    /** What a stand-in answers: a refusal found by {@link #check} or {@link #admit}, or an injected fault. */
    protected record Answer(int status, String contentType, String body) {
    }

    /** A request as the stand-in read it: method, path, query and form parameters decoded, headers, body (and its bytes). */
    protected record Call(String method, String path, Map<String, String> query, com.sun.net.httpserver.Headers headers,
            String body, byte[] bytes) {
        public String header(String name) {
            return headers.getFirst(name);
        }
    }

    /** Every stand-in made in this JVM that is open, or closed with violations nobody took yet. */
    private static final Set<FakeHttpApi> ALL = ConcurrentHashMap.newKeySet();

    protected static final ObjectMapper JSON = new ObjectMapper();
    /** What each call being answered does once its answer starts (HttpExchange's attributes are its context's, shared). */
    private static final Map<HttpExchange, Runnable> ANSWERING = new ConcurrentHashMap<>();

    static {
        // The JDK server writes a response's headers and body separately; without TCP_NODELAY a
        // small answer waits ~40 ms for the client's delayed ACK (Nagle), which no real API does.
        // JVM-wide (sun.net.httpserver.ServerConfig reads it once, so no one server can have it),
        // which is why the stand-ins are test code: it is set only in JVMs that run them (tests,
        // bench/cohort-export.sh's stand-in process, the demo's mvn spring-boot:run), never by the
        // product's jar or image. There, Jolokia's agent (the same JDK server) merely answers sooner.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    record Fault(String pathPrefix, int status, String contentType, String body, Map<String, String> headers) {
    }

    record Slow(String pathPrefix, long millis) {
    }

    private final HttpServer server;
    private final Deque<Fault> faults = new ArrayDeque<>();
    private final Deque<Slow> slow = new ArrayDeque<>();
    private final Map<String, List<Long>> arrivals = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    /** Calls being answered right now, and the most there ever were at once (any path). */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peakInFlight = new AtomicInteger();
    private final List<Violation> violations = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
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
            String method = exchange.getRequestMethod();
            calls.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            arrivals.computeIfAbsent(path, p -> new CopyOnWriteArrayList<>()).add(System.nanoTime());
            int atOnce = inFlight.incrementAndGet();
            peakInFlight.accumulateAndGet(atOnce, Math::max);
            // a call stops counting as in flight just before its answer is written: once the client
            // has the answer, it may start its next call, and that one must not overlap this one here
            ANSWERING.put(exchange, inFlight::decrementAndGet); // run once: whoever removes it runs it
            try {
                // rate limits count a call as it arrives, as the real API does, however long it then takes
                // and answer 429 at once, without the delay or the hold of calls that are let in
                Answer overLimit = admit(method, path, atOnce);
                long wait = overLimit == null ? Math.max(delayMillis, nextSlow(path)) : 0;
                if (wait > 0) {
                    Thread.sleep(wait); // a call slower than the caller's timeout is still applied, late
                }
                if (overLimit == null) {
                    gate.await(1, java.util.concurrent.TimeUnit.MINUTES);
                }
                byte[] bytes = exchange.getRequestBody().readAllBytes();
                String body = new String(bytes, StandardCharsets.UTF_8);
                String rawQuery = exchange.getRequestURI().getRawQuery();
                Map<String, String> query;
                try {
                    query = form(rawQuery);
                } catch (IllegalArgumentException notEncoded) {
                    query = null;
                }
                Call call = new Call(method, path, query == null ? Map.of() : query, exchange.getRequestHeaders(), body, bytes);
                // checked even when a fault is injected: a malformed request is a violation whatever the answer
                Answer refusal = query == null ? refuse(call, 400, "the query string is not URL-encoded: " + rawQuery) : check(call);
                Fault fault = overLimit == null ? nextFault(path) : null;
                if (overLimit != null) {
                    send(exchange, overLimit.status(), overLimit.contentType(), overLimit.body());
                } else if (fault != null) {
                    fault.headers().forEach(exchange.getResponseHeaders()::set);
                    send(exchange, fault.status(), fault.contentType(), fault.body());
                } else if (refusal != null) {
                    send(exchange, refusal.status(), refusal.contentType(), refusal.body());
                } else {
                    handle(exchange, call);
                }
            } catch (Exception e) {
                if (e instanceof java.io.IOException && !(e instanceof com.fasterxml.jackson.core.JacksonException)) {
                    // the caller closed the connection before the answer was written (a bundle killed
                    // mid-call, a timed-out request): nothing to answer, and no fault of the protocol
                    exchange.close();
                    return;
                }
                // the stand-in could not answer: a request it failed to check, or a bug of its own
                violation(method, path, "the stand-in failed on this request (" + e + "); the real API would not answer 500 to it");
                send(exchange, 500, "application/json", "{\"msg\":\"fake failed: " + e.toString().replace("\"", "'") + "\"}");
            } finally {
                Runnable answered = ANSWERING.remove(exchange);
                if (answered != null) {
                    answered.run();
                }
            }
        });
        server.start();
        ALL.add(this);
    }

    /**
     * Checks a request as the real API does before it answers: records each violation
     * ({@link #violation}) and returns the real API's refusal, or null when the request may be answered.
     */
    protected abstract Answer check(Call call) throws Exception;

    /** Records a violation and returns the real API's refusal of it, with {@code status} and its error body. */
    protected abstract Answer refuse(Call call, int status, String problem);

    /** A limit the call breaks as it arrives ({@code atOnce} calls in flight, this one included), or null. */
    protected Answer admit(String method, String path, int atOnce) {
        return null;
    }

    /** Answers a request that passed {@link #check} and {@link #admit} and no fault was injected for. */
    protected abstract void handle(HttpExchange exchange, Call call) throws Exception;

    /** Records a protocol violation. */
    protected void violation(String method, String path, String problem) {
        violations.add(new Violation(getClass().getSimpleName() + " " + baseUrl(), method, path, problem));
    }

    /** The protocol violations this stand-in saw, oldest first. */
    public List<Violation> violations() {
        return List.copyOf(violations);
    }

    /** Forgets the violations seen so far (a test that commits them on purpose, once it has checked them). */
    public void clearViolations() {
        violations.clear();
    }

    /** Every stand-in of this JVM that is open, or closed with violations nobody took yet. */
    public static List<FakeHttpApi> all() {
        return List.copyOf(ALL);
    }

    /**
     * Takes the violations every stand-in of this JVM saw since the last take (and forgets closed
     * stand-ins once their violations are taken).
     */
    public static List<Violation> takeAllViolations() {
        List<Violation> taken = new java.util.ArrayList<>();
        for (FakeHttpApi api : ALL) {
            List<Violation> seen = api.violations();
            api.violations.removeAll(seen);
            taken.addAll(seen);
            if (api.closed && api.violations.isEmpty()) {
                ALL.remove(api);
            }
        }
        return taken;
    }

    /** Decodes {@code a=1&b=2} (a query string or a form body); a name given twice keeps its last value. */
    protected static Map<String, String> form(String encoded) {
        Map<String, String> values = new java.util.LinkedHashMap<>();
        if (encoded == null || encoded.isEmpty()) {
            return values;
        }
        for (String pair : encoded.split("&")) {
            String[] kv = pair.split("=", 2);
            values.put(java.net.URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                    kv.length > 1 ? java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return values;
    }

    /** The media type of a Content-Type header, lower-case, without its parameters ("" when absent). */
    protected static String mediaType(String contentType) {
        return contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
    }

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

    /**
     * The next {@code times} calls to a path starting with {@code pathPrefix} take {@code millis} before
     * they are applied and answered, as a real API under load: a caller that gives up sooner does not
     * undo them.
     */
    public synchronized void slowNext(String pathPrefix, int times, long millis) {
        for (int i = 0; i < times; i++) {
            slow.add(new Slow(pathPrefix, millis));
        }
    }

    public synchronized void clearFaults() {
        faults.clear();
        slow.clear();
    }

    private synchronized long nextSlow(String path) {
        for (Slow next : slow) {
            if (path.startsWith(next.pathPrefix())) {
                slow.remove(next);
                return next.millis();
            }
        }
        return 0;
    }

    /** Calls this stand-in is answering right now (a slow call counts until it has been applied). */
    public int callsInFlight() {
        return inFlight.get();
    }

    /** When each call to a path arrived ({@link System#nanoTime()}), since start or resetCalls. */
    public List<Long> arrivals(String path) {
        return List.copyOf(arrivals.getOrDefault(path, List.of()));
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
        arrivals.clear();
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
        closed = true;
        server.stop(0);
    }
}

package io.bridge.http;

import io.bridge.StrictJson;
import io.bridge.mixpanel.MixpanelWebhookProperties;
import io.bridge.webhooks.IterableWebhookProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The last gate before a route, behind Spring Security (so credentials were checked on headers
 * alone, and no byte of an unauthenticated body was read):
 * <ul>
 * <li>until Camel has started, 503 with {@code Retry-After} (Iterable retries it), never a
 * misleading 401 or 404;</li>
 * <li>under {@code /webhooks/}, only {@code POST} to the two webhook paths exactly as Spring Security
 * authenticated them goes on (Camel's servlet matches paths loosely): anything else is a 404 or a
 * 405 before a byte of its body is read;</li>
 * <li>webhook deliveries being handled hold at most {@code max-bytes-in-flight} of bodies between
 * them (their parsed events take heap in proportion): past it, 503 with {@code Retry-After}, before
 * reading;</li>
 * <li>a body is read here, at most its limit plus one byte, whatever Content-Length says or
 * whether it is chunked: {@code /api/**} answers 413 past {@code bridge.api.max-body-bytes};
 * a webhook hands the route its first limit+1 bytes, so the route keeps their head and answers
 * 413 itself; a body still arriving {@code server.tomcat.connection-timeout} after it began is cut
 * off at its next piece with 408 (Tomcat's own timeout waits that long for each piece, so a sender
 * trickling a byte at a time would otherwise hold its share of the webhooks' budget for as long as
 * it likes);</li>
 * <li>the servlet layers never interpret a body before a route sees its bytes: a type other than
 * JSON is hidden from {@link HttpServletRequest#getContentType()} (Camel's binding would parse a
 * form into headers, Spring's multipart resolver would consume the parts), and
 * {@code Content-Encoding} from {@link HttpServletRequest#getHeader} (Camel's binding would inflate
 * gzip with no limit); the webhook route decodes and bounds the body itself and answers 415 for
 * a wrong type. The headers themselves reach the route unchanged (Camel maps request headers with
 * {@link HttpServletRequest#getHeaders}).</li>
 * </ul>
 */
class HttpEdgeFilter extends OncePerRequestFilter {

    /** The webhook endpoints, exactly as requested (not decoded, case-sensitive, no trailing slash). */
    static final java.util.Set<String> WEBHOOKS = java.util.Set.of("/webhooks/iterable", "/webhooks/mixpanel");

    private final ObjectProvider<CamelContext> camel;
    /** Camel, once found: looking it up in the bean factory took 4% of a delivery's CPU (JFR). */
    private volatile CamelContext started;
    /** How long a body may take to arrive, all of it (server.tomcat.connection-timeout). */
    private final long bodyTimeoutNanos;
    private final int maxApiBody;
    private final int maxWebhookBody;
    private final int maxMixpanelBody;
    /** KiB of webhook bodies being handled at once (bridge.webhooks.iterable.max-bytes-in-flight). */
    private final Semaphore webhookKibInFlight;

    HttpEdgeFilter(ObjectProvider<CamelContext> camel, HttpEdgeProperties api, IterableWebhookProperties webhooks,
            MixpanelWebhookProperties mixpanel, Duration bodyTimeout) {
        this.camel = camel;
        // Tomcat takes 0 or less as no timeout at all: then no deadline for a body either
        this.bodyTimeoutNanos = bodyTimeout.isNegative() || bodyTimeout.isZero() ? Long.MAX_VALUE : bodyTimeout.toNanos();
        this.maxApiBody = limit("bridge.api.max-body-bytes", api.maxBodyBytes());
        this.maxWebhookBody = limit("bridge.webhooks.iterable.max-payload-bytes", webhooks.maxPayloadBytes());
        this.maxMixpanelBody = limit("bridge.webhooks.mixpanel.max-payload-bytes", mixpanel.maxPayloadBytes());
        this.webhookKibInFlight = new Semaphore((int) Math.max(1, Math.min(Integer.MAX_VALUE, webhooks.maxBytesInFlight() / 1024)));
        LoggerFactory.getLogger(HttpEdgeFilter.class).info("Webhook deliveries: at most {} bytes each, {} bytes being handled at once",
                maxWebhookBody, webhooks.maxBytesInFlight());
    }

    /** 503 busy answers, logged at most once each 10 s. */
    private final CountedLog busy = new CountedLog();

    /**
     * Whether every header name and value passes Spring Security's firewall, which checks them only
     * when read: read here, before the route's servlet binding reads them all, a refused one is a
     * 400 rather than a failure inside the route.
     */
    private static boolean headersPass(HttpServletRequest request) {
        try {
            for (Enumeration<String> names = request.getHeaderNames(); names.hasMoreElements();) {
                for (Enumeration<String> values = request.getHeaders(names.nextElement()); values.hasMoreElements();) {
                    values.nextElement();
                }
            }
            return true;
        } catch (RequestRejectedException refused) {
            return false;
        }
    }

    /** Largest body limit: a body is held in memory whole, and limit + 1 bytes are read to tell "too large". */
    private static final int MAX_BODY_LIMIT = 1 << 30;

    /** A body limit of 1 .. {@value #MAX_BODY_LIMIT}, or the start fails naming the setting. */
    private static int limit(String setting, int bytes) {
        if (bytes < 1 || bytes > MAX_BODY_LIMIT) {
            throw new IllegalArgumentException(setting + " must be between 1 and " + MAX_BODY_LIMIT + ", got " + bytes);
        }
        return bytes;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        CamelContext context = started;
        if (context == null) {
            context = started = camel.getIfAvailable();
        }
        if (context == null || !context.isStarted()) {
            response.setHeader("Retry-After", "5");
            Problems.write(response, 503, "starting", "the bridge is starting or stopping: nothing was read; retry in a few seconds");
            return;
        }
        if (!headersPass(request)) {
            Problems.writeRefusedCharacters(response);
            return;
        }
        boolean webhook = request.getRequestURI().startsWith("/webhooks/");
        if (webhook && !WEBHOOKS.contains(request.getRequestURI())) {
            // Camel's servlet would take /webhooks/Iterable or /webhooks/iterable/ for /webhooks/iterable,
            // which Spring Security, matching exactly, does not authenticate: only the exact paths go on
            Problems.write(response, 404, "not_found", "no endpoint at this path: webhooks are POST /webhooks/iterable "
                    + "and POST /webhooks/mixpanel");
            return;
        }
        if (webhook && !"POST".equals(request.getMethod())) {
            response.setHeader("Allow", "POST");
            Problems.write(response, 405, "method_not_allowed", "a webhook takes POST only (see the Allow header)");
            return;
        }
        if (!hasBody(request)) {
            chain.doFilter(request, response);
            return;
        }
        if (!webhook) {
            // a body declared as something else is refused before it is read (one without a type is read as JSON)
            if (request.getContentType() != null && !StrictJson.isJsonInUtf8(request.getContentType())) {
                Problems.write(response, 415, "unsupported_media_type", "send the body as JSON with Content-Type: application/json "
                        + "(UTF-8, the only charset taken)");
                return;
            }
            byte[] body = readOr408(request, response, maxApiBody);
            if (body == null) {
                return;
            }
            if (body.length > maxApiBody) {
                response.setHeader("Connection", "close");
                Problems.write(response, 413, "payload_too_large", "the request body is larger than " + maxApiBody
                        + " bytes (bridge.api.max-body-bytes)");
                return;
            }
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
            } catch (CharacterCodingException notUtf8) {
                Problems.write(response, 400, "bad_request", "the body is not valid UTF-8: send the JSON encoded in UTF-8");
                return;
            }
            chain.doFilter(new ReadBody(request, body, false), response);
            return;
        }
        // a body and the events parsed from it take heap until the answer: all deliveries together
        // stay within max-bytes-in-flight, and the rest are told to come back (Iterable retries a 503)
        int limit = request.getRequestURI().equals("/webhooks/mixpanel") ? maxMixpanelBody : maxWebhookBody;
        long declared = request.getContentLengthLong();
        int kib = (int) (Math.min(declared > 0 ? declared : limit + 1L, limit + 1L) / 1024) + 1;
        boolean admitted;
        try {
            admitted = webhookKibInFlight.tryAcquire(kib, 2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            admitted = false;
        }
        if (!admitted) {
            long refused = busy.count();
            if (refused > 0) {
                LoggerFactory.getLogger(HttpEdgeFilter.class).warn("webhook deliveries refused with 503 busy since the last such line: "
                        + "{}; the deliveries being handled held bridge.webhooks.iterable.max-bytes-in-flight", refused);
            }
            response.setHeader("Retry-After", "1");
            Problems.write(response, 503, "busy", "the bridge is handling as many deliveries as its memory allows "
                    + "(bridge.webhooks.iterable.max-bytes-in-flight): nothing was read; retry in a second");
            return;
        }
        try { // Camel's servlet answers on this thread: the answer is written when the chain returns
            byte[] body = readOr408(request, response, limit);
            if (body != null) {
                chain.doFilter(new ReadBody(request, body, true), response);
            }
        } finally {
            webhookKibInFlight.release(kib);
        }
    }

    /**
     * At most max + 1 bytes of the body (more than max: too large). A body whose Content-Length is
     * within max is read into an array of that size (the container ends the body there); one
     * without (chunked) or above max is read in pieces and copied once.
     */
    private byte[] read(HttpServletRequest request, int max) throws IOException {
        long declared = request.getContentLengthLong();
        InputStream in = request.getInputStream();
        long started = System.nanoTime();
        if (declared > 0 && declared <= max) { // the container ends the body there: one array of its size
            byte[] body = new byte[(int) declared];
            int read = fill(in, body, started);
            return read == body.length ? body : Arrays.copyOf(body, read);
        }
        // chunked, or declared past max: pieces of 64 KiB, up to max + 1 bytes, copied once
        List<byte[]> pieces = new ArrayList<>();
        int total = 0;
        while (total <= max) {
            byte[] piece = new byte[Math.min(64 * 1024, max + 1 - total)];
            int read = fill(in, piece, started);
            pieces.add(piece);
            total += read;
            if (read < piece.length) {
                break;
            }
        }
        byte[] body = new byte[total];
        int at = 0;
        for (byte[] piece : pieces) {
            int n = Math.min(piece.length, total - at);
            System.arraycopy(piece, 0, body, at, n);
            at += n;
        }
        return body;
    }

    /**
     * Reads into {@code into} until it is full or the body ends, and says how much; {@link SlowBody}
     * when more is to come after the body's time is up.
     */
    private int fill(InputStream in, byte[] into, long started) throws IOException {
        int read = 0;
        while (read < into.length) {
            int n = in.read(into, read, into.length - read);
            if (n < 0) {
                break;
            }
            read += n;
            if (read < into.length && System.nanoTime() - started > bodyTimeoutNanos) {
                throw new SlowBody();
            }
        }
        return read;
    }

    /** A body that was still arriving when its time was up. */
    private static final class SlowBody extends IOException {
        SlowBody() {
            super(null, null);
        }
    }

    /** The body ({@link #read}), or null once a body that took too long has been answered 408. */
    private byte[] readOr408(HttpServletRequest request, HttpServletResponse response, int max) throws IOException {
        try {
            return read(request, max);
        } catch (SlowBody slow) {
            response.setHeader("Connection", "close");
            long millis = bodyTimeoutNanos / 1_000_000L;
            Problems.write(response, 408, "request_timeout", "the body did not arrive within " + (millis % 1000 == 0 ? millis / 1000
                    + " s" : millis + " ms") + " (server.tomcat.connection-timeout): nothing was kept; send the whole body at once");
            return null;
        }
    }

    private static boolean hasBody(HttpServletRequest request) {
        return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    }

    /** The request with its body read already (bounded) and its form/multipart nature hidden. */
    private static final class ReadBody extends HttpServletRequestWrapper {
        private final byte[] body;
        /** A webhook takes no query parameters: Camel would merge them into its headers (Content-Type, say). */
        private final boolean noQuery;

        ReadBody(HttpServletRequest request, byte[] body, boolean noQuery) {
            super(request);
            this.body = body;
            this.noQuery = noQuery;
        }

        @Override
        public String getQueryString() {
            return noQuery ? null : super.getQueryString();
        }

        @Override
        public String getParameter(String name) {
            return noQuery ? null : super.getParameter(name);
        }

        @Override
        public java.util.Map<String, String[]> getParameterMap() {
            return noQuery ? java.util.Map.of() : super.getParameterMap();
        }

        @Override
        public java.util.Enumeration<String> getParameterNames() {
            return noQuery ? java.util.Collections.emptyEnumeration() : super.getParameterNames();
        }

        @Override
        public String[] getParameterValues(String name) {
            return noQuery ? null : super.getParameterValues(name);
        }

        @Override
        public String getContentType() {
            String type = super.getContentType();
            return isJson(type) ? type : null;
        }

        @Override
        public String getHeader(String name) {
            return "Content-Encoding".equalsIgnoreCase(name) ? null : super.getHeader(name);
        }

        private static boolean isJson(String contentType) {
            if (contentType == null) {
                return false;
            }
            String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }

                // a reader that asks for the whole body (decode-body's readNBytes) gets one copy of
                // the array's exact size, not InputStream's 8 KiB pieces copied together again
                @Override
                public byte[] readAllBytes() {
                    return in.readAllBytes();
                }

                @Override
                public byte[] readNBytes(int len) {
                    if (len < 0) {
                        throw new IllegalArgumentException("len < 0");
                    }
                    byte[] bytes = new byte[Math.min(len, in.available())];
                    in.readNBytes(bytes, 0, bytes.length);
                    return bytes;
                }

                @Override
                public long transferTo(OutputStream out) throws IOException {
                    return in.transferTo(out);
                }

                @Override
                public int available() {
                    return in.available();
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    // the body is in memory already: all of it is available at once
                    try {
                        if (!isFinished()) {
                            listener.onDataAvailable();
                        }
                        listener.onAllDataRead();
                    } catch (IOException e) {
                        listener.onError(e);
                    }
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }
    }
}

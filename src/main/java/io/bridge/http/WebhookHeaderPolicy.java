package io.bridge.http;

import java.util.Locale;
import java.util.Set;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

/**
 * What of a webhook delivery's own headers and query parameters enters its route's message
 * (Camel's servlet, /webhooks/*): Content-Type and Content-Encoding, which say how to read the
 * body, and nothing else. Camel's servlet adds its own description of the request beside them
 * (CamelHttpMethod, CamelHttpPath, ...), never sent back. So a caller cannot set a header a route
 * reads, and nothing else of a request reaches an answer or a log line through the message.
 * Answers are filtered as {@link ResponseHeaderPolicy} filters them.
 */
@Component("webhookHeaderPolicy")
public class WebhookHeaderPolicy extends ResponseHeaderPolicy {

    /** Request headers a webhook route reads (lower case). */
    static final Set<String> READ = Set.of("content-type", "content-encoding");

    @Override
    public boolean applyFilterToExternalHeaders(String name, Object value, Exchange exchange) {
        return !READ.contains(name.toLowerCase(Locale.ROOT));
    }
}

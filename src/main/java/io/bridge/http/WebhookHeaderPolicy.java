package io.bridge.http;

import java.util.Locale;
import java.util.Set;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

/**
 * The headers a webhook delivery brings into its route (Camel's servlet, /webhooks/*): its
 * Content-Type and Content-Encoding, which say how to read the body; no other request header and
 * no query parameter becomes a message header. So a caller cannot set a header a route reads
 * (eventTable, eventSource, Camel's own), and nothing of a request reaches an answer or a log
 * line through the message. Answers are filtered as {@link ResponseHeaderPolicy} filters them.
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

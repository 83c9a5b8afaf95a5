package io.bridge.http;

import java.util.Locale;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpHeaderFilterStrategy;
import org.springframework.stereotype.Component;

/**
 * Which message headers a route may send back (platform-http's and Camel's servlet's): only the few an answer of this bridge
 * needs, whatever the route left in its message. A request's headers (Authorization, Cookie, or
 * anything a caller made up) become message headers on the way in, so without this list an
 * answer, a 500 included, would carry them back out. Requests are read as Camel's HTTP components
 * read them.
 */
@Component("responseHeaderPolicy")
public class ResponseHeaderPolicy extends HttpHeaderFilterStrategy {

    /** Response headers the routes set themselves (lower case). */
    static final Set<String> ANSWERED = Set.of("content-type", "retry-after", "www-authenticate", "location",
            "content-disposition", "allow", "cache-control", "age");

    @Override
    public boolean applyFilterToCamelHeaders(String name, Object value, Exchange exchange) {
        return !ANSWERED.contains(name.toLowerCase(Locale.ROOT)) || super.applyFilterToCamelHeaders(name, value, exchange);
    }
}

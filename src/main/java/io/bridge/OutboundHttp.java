package io.bridge;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

/** Readies an exchange for one call through Camel's http component: only the headers of this call go out. */
public final class OutboundHttp {

    private OutboundHttp() {
    }

    public static Message request(Exchange exchange, String method, String contentType, String query) {
        Message message = exchange.getMessage();
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_METHOD, method);
        if (contentType != null) {
            message.setHeader(Exchange.CONTENT_TYPE, contentType);
        }
        if (query != null) {
            message.setHeader(Exchange.HTTP_QUERY, query);
        }
        message.setHeader("Accept", "application/json");
        return message;
    }
}

package io.bridge.webhooks;

/** A webhook delivery without the configured credentials: answered with 401, never stored. */
public class WebhookUnauthorizedException extends RuntimeException {
    public WebhookUnauthorizedException(String message) {
        super(message, null, false, false);
    }
}

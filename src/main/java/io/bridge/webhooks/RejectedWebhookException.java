package io.bridge.webhooks;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A delivery that can never be stored as it is (bad JSON, missing fields, too large, wrong content
 * type). The route answers with {@link #getStatus()} and the JSON {@link #getErrorBody()}, and keeps
 * {@link #getPayload()} in {@code rejected_webhooks}.
 */
public class RejectedWebhookException extends RuntimeException {

    private final int status;
    private final String payload;
    private final String contentType;

    public RejectedWebhookException(int status, String message, String payload) {
        this(status, message, payload, null);
    }

    public RejectedWebhookException(int status, String message, String payload, String contentType) {
        super(message, null, false, false);
        this.status = status;
        this.payload = payload;
        this.contentType = contentType;
    }

    /** The same rejection, noting the Content-Type the sender used. */
    public RejectedWebhookException sentAs(String contentType) {
        return new RejectedWebhookException(status, getMessage(), payload, contentType);
    }

    public int getStatus() {
        return status;
    }

    /** The body as received (for 413: its first bytes only). */
    public String getPayload() {
        return payload;
    }

    /** The row kept in {@code rejected_webhooks}, as named SQL parameters. */
    public Map<String, Object> getRecord() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("status", status);
        row.put("reason", getMessage().length() > 1024 ? getMessage().substring(0, 1024) : getMessage());
        row.put("contentType", contentType == null || contentType.length() <= 256 ? contentType : contentType.substring(0, 256));
        row.put("payload", payload);
        return row;
    }

    public Map<String, Object> getErrorBody() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("error", switch (status) {
            case 413 -> "payload_too_large";
            case 415 -> "unsupported_media_type";
            default -> "invalid_webhook";
        });
        body.put("message", getMessage());
        return body;
    }
}

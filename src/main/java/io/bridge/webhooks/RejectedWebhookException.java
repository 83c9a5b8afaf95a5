package io.bridge.webhooks;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A delivery that can never be stored as it is (bad JSON, missing fields, too large, wrong content
 * type, data the database refuses). The route answers with {@link #getStatus()} and the JSON
 * {@link #getErrorBody()}, and keeps the payload in {@code rejected_webhooks}.
 *
 * <p>The message is neutralised ({@link SafeText}) when the exception is made, so the answer, the
 * log line and the reason column never carry a control character from the delivery. The payload is
 * kept in a form the column can hold ({@link KeptPayload}); the reason says when it is not the body
 * exactly as received.
 */
public class RejectedWebhookException extends RuntimeException {

    static final int REASON_CHARS = 1024;
    static final int CONTENT_TYPE_CHARS = 256;

    private final int status;
    private final KeptPayload payload;
    private final String contentType;

    /** A refusal keeping {@code payload}, text the bridge decoded from the delivery. */
    public RejectedWebhookException(int status, String message, String payload) {
        this(status, message, KeptPayload.of(payload), null);
    }

    /** A refusal keeping the delivery's bytes as they arrived. */
    public RejectedWebhookException(int status, String message, byte[] payload) {
        this(status, message, KeptPayload.of(payload), null);
    }

    RejectedWebhookException(int status, String message, KeptPayload payload) {
        this(status, message, payload, null);
    }

    private RejectedWebhookException(int status, String message, KeptPayload payload, String contentType) {
        super(SafeText.neutralise(message), null, false, false);
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

    /** The body as kept (for 413: its first bytes only; base64 when it is not storable text). */
    public String getPayload() {
        return payload.text();
    }

    /** The row kept in {@code rejected_webhooks}, as named SQL parameters; every value fits its column. */
    public Map<String, Object> getRecord() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("status", status);
        row.put("reason", reason());
        String type = SafeText.neutralise(contentType);
        row.put("contentType", type == null || type.length() <= CONTENT_TYPE_CHARS ? type : type.substring(0, CONTENT_TYPE_CHARS));
        row.put("payload", payload.text());
        return row;
    }

    /** The message, then what was done to keep the payload; cut to the column, the note always whole. */
    private String reason() {
        String note = payload.note() == null ? "" : " (" + payload.note() + ")";
        String message = getMessage();
        if (message.length() + note.length() > REASON_CHARS) {
            message = message.substring(0, Math.max(0, REASON_CHARS - note.length() - 3)) + "...";
        }
        return message + note;
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

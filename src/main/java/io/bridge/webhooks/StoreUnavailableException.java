package io.bridge.webhooks;

/** The events could not be committed now; the sender should retry (503). Nothing was acknowledged. */
public class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(SafeText.neutralise(message), cause);
    }
}

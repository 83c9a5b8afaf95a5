package io.bridge.mixpanel;

import java.util.Map;

/**
 * A cohort-sync webhook call the bridge will not take, with the HTTP status and the answer Mixpanel
 * expects ({@code {"action","status":"failure","error":{"message","code"}}}). A 4xx pauses
 * Mixpanel's sync and mails the project's admins the message, so it says what to fix.
 */
public class CohortPushRefused extends RuntimeException {

    private final int status;
    private final String action;

    public CohortPushRefused(int status, String action, String message) {
        super(message, null, false, false);
        this.status = status;
        this.action = action;
    }

    public int getStatus() {
        return status;
    }

    public Map<String, Object> getErrorBody() {
        return CohortPush.failure(action, status, getMessage());
    }
}

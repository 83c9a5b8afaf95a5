package io.bridge.forwarding;

/**
 * An event that is not forwarded and never retried: Mixpanel refused it ({@code by} mixpanel, its
 * field and message), or the bridge did not send it because Mixpanel would ({@code by} bridge).
 */
public record Rejection(OutboxEvent event, String by, String field, String reason) {
}

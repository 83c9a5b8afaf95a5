package io.bridge.forwarding;

import java.util.List;

/**
 * One import request being made: the claim, the events in the request in their order (Mixpanel's
 * failed_records name them by index), those the bridge itself rejected, and the first outbox id
 * left out when the request reached Mixpanel's size limit (null: none; those rows go back).
 */
public record Batch(String claimId, List<OutboxEvent> sent, List<Rejection> rejected, Long cutAt, int bytes) {
}

package io.bridge.forwarding;

import java.util.List;

/** The outbox rows one batch claimed ({@code claim_id}), oldest first. */
public record Claim(String id, List<OutboxEvent> events) {
}

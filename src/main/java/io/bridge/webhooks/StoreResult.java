package io.bridge.webhooks;

/** What one delivery's commit did: events newly stored, and redeliveries already stored before. */
public record StoreResult(int stored, int duplicates) {
}

package io.bridge.support;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * Awaitility as the tests use it: the condition is checked at once, then every 50 ms. Awaitility's
 * own default first waits a poll interval (100 ms) even when the condition already holds, which
 * BridgeHttpTest's after-each wait alone would add to every test of the suite.
 */
public final class Waiting {

    private static final Duration POLL = Duration.ofMillis(50);

    private Waiting() {
    }

    /** {@code await(what).atMost(...).until(...)}, checked at once and then every 50 ms. */
    public static ConditionFactory await(String what) {
        return Awaitility.await(what).pollDelay(Duration.ZERO).pollInterval(POLL);
    }
}

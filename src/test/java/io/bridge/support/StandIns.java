package io.bridge.support;

import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Points the bundle at stand-ins of Mixpanel (project 1, service account u/s) and Iterable (key k).
 * The stand-ins check every request as the real APIs do; {@link StandInsCheck}, registered for every
 * test (src/test/resources/META-INF/services), fails a test after which any stand-in of the JVM
 * holds a protocol violation.
 */
public final class StandIns {

    public static final String PROJECT = "1";
    public static final String USER = "test-service-account";
    public static final String SECRET = "not-a-real-mixpanel-secret-for-tests";
    public static final String API_KEY = "not-a-real-iterable-key-for-tests";
    /**
     * The Mixpanel stand-in's hourly limit in tests: the bundle's budget there (application-test.yaml,
     * raised because the budget is shared in the database). Mixpanel's 5 queries at once stay.
     * A test about the budget sets the real limits: {@code mixpanel().limits(60, 5)}.
     */
    public static final int QUERIES_PER_HOUR = 100000;

    private StandIns() {
    }

    public static FakeMixpanel mixpanel() {
        return new FakeMixpanel(PROJECT, USER, SECRET).limits(QUERIES_PER_HOUR, FakeMixpanel.MAX_CONCURRENT);
    }

    public static FakeIterable iterable() {
        return new FakeIterable(API_KEY);
    }

    public static void register(DynamicPropertyRegistry registry, FakeMixpanel mixpanel, FakeIterable iterable) {
        registry.add("bridge.mixpanel.base-url", mixpanel::baseUrl);
        registry.add("bridge.mixpanel.project-id", () -> PROJECT);
        registry.add("bridge.mixpanel.username", () -> USER);
        registry.add("bridge.mixpanel.secret", () -> SECRET);
        registry.add("bridge.iterable.base-url", iterable::baseUrl);
        registry.add("bridge.iterable.api-key", () -> API_KEY);
        registry.add("bridge.iterable.data-centers.US", iterable::baseUrl);
        registry.add("bridge.iterable.data-centers.EU", iterable::baseUrl);
    }
}

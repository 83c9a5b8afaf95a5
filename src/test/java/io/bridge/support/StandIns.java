package io.bridge.support;

import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import org.springframework.test.context.DynamicPropertyRegistry;

/** Points the bundle at stand-ins of Mixpanel (project 1, service account u/s) and Iterable (key k). */
public final class StandIns {

    public static final String PROJECT = "1";
    public static final String USER = "test-service-account";
    public static final String SECRET = "not-a-real-mixpanel-secret-for-tests";
    public static final String API_KEY = "not-a-real-iterable-key-for-tests";

    private StandIns() {
    }

    public static FakeMixpanel mixpanel() {
        return new FakeMixpanel(PROJECT, USER, SECRET);
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

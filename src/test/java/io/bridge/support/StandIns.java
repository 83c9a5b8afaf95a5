package io.bridge.support;

import io.bridge.fakes.FakeHttpApi;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import java.lang.reflect.Field;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Points the bundle at stand-ins of Mixpanel (project 1, service account u/s) and Iterable (key k).
 * The stand-ins check every request as the real APIs do; {@link StandInsCheck}, registered for every
 * test (src/test/resources/META-INF/services), fails a test after which any stand-in of the JVM
 * holds a protocol violation.
 *
 * <p>A test class keeps its stand-ins in static fields and never closes them: they live as long as
 * the JVM. The Spring context that points at them is cached and reused by later classes, and a
 * mutation tester runs the same class again in the same JVM; a stand-in closed after the first run
 * would fail every later one. {@link #resetAll()} empties them between tests instead.
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

    /** Every stand-in made here and still in use, so that {@link #resetAll()} can empty them between tests. */
    private static final Set<FakeHttpApi> MADE = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    /**
     * What each stand-in remembers between calls, beyond what its public methods reset: Mixpanel's
     * cohorts and paging sessions, Iterable's lists and forgotten users. Named, not guessed: when a
     * stand-in renames one, {@link #resetAll()} fails saying which (the stand-ins are not this
     * support's to change; a {@code reset()} of their own would be the better home).
     */
    private static final Map<Class<?>, List<String>> KEPT = Map.of(
            FakeMixpanel.class, List.of("cohorts", "sessions", "reads", "changes", "imported", "received", "refusals"),
            FakeIterable.class, List.of("lists", "forgotten"));

    private StandIns() {
    }

    public static FakeMixpanel mixpanel() {
        FakeMixpanel mixpanel = new FakeMixpanel(PROJECT, USER, SECRET).limits(QUERIES_PER_HOUR, FakeMixpanel.MAX_CONCURRENT);
        MADE.add(mixpanel);
        return mixpanel;
    }

    public static FakeIterable iterable() {
        FakeIterable iterable = new FakeIterable(API_KEY);
        MADE.add(iterable);
        return iterable;
    }

    /** The same settings as {@link #register}, as the environment of a bundle started in its own JVM. */
    public static Map<String, String> environment(FakeMixpanel mixpanel, FakeIterable iterable) {
        Map<String, String> env = new java.util.HashMap<>();
        env.put("BRIDGE_MIXPANEL_BASEURL", mixpanel.baseUrl());
        env.put("BRIDGE_MIXPANEL_INGESTIONURL", mixpanel.baseUrl());
        env.put("BRIDGE_MIXPANEL_PROJECTID", PROJECT);
        env.put("BRIDGE_MIXPANEL_USERNAME", USER);
        env.put("BRIDGE_MIXPANEL_SECRET", SECRET);
        env.put("BRIDGE_ITERABLE_BASEURL", iterable.baseUrl());
        env.put("ITERABLE_API_KEY", API_KEY);
        return env;
    }

    public static void register(DynamicPropertyRegistry registry, FakeMixpanel mixpanel, FakeIterable iterable) {
        registry.add("bridge.mixpanel.base-url", mixpanel::baseUrl);
        registry.add("bridge.mixpanel.ingestion-url", mixpanel::baseUrl);
        registry.add("bridge.mixpanel.project-id", () -> PROJECT);
        registry.add("bridge.mixpanel.username", () -> USER);
        registry.add("bridge.mixpanel.secret", () -> SECRET);
        registry.add("bridge.iterable.base-url", iterable::baseUrl);
        registry.add("bridge.iterable.api-key", () -> API_KEY);
        registry.add("bridge.iterable.data-centers.US", iterable::baseUrl);
        registry.add("bridge.iterable.data-centers.EU", iterable::baseUrl);
    }

    /**
     * Every stand-in as new: no cohorts, lists, faults, delays, held calls or call counts. Call it
     * only while no run is going ({@link BridgeHttpTest} does, before each test).
     */
    public static void resetAll() {
        for (FakeHttpApi fake : List.copyOf(MADE)) {
            fake.release();
            fake.delay(0);
            fake.clearFaults();
            fake.resetCalls();
            if (fake instanceof FakeMixpanel mixpanel) {
                mixpanel.pageSize(1000);
                mixpanel.resetImports();
            }
            if (fake instanceof FakeIterable iterable) {
                iterable.onChange(null);
            }
            KEPT.forEach((type, fields) -> {
                if (type.isInstance(fake)) {
                    fields.forEach(name -> clear(fake, type, name));
                }
            });
        }
    }

    /** Answers every call a test held ({@code hold()}), so that the runs waiting on them can end. */
    public static void releaseAll() {
        List.copyOf(MADE).forEach(FakeHttpApi::release);
    }

    private static void clear(Object fake, Class<?> type, String name) {
        try {
            Field field = type.getDeclaredField(name);
            field.setAccessible(true);
            Object kept = field.get(fake);
            if (kept instanceof Map<?, ?> map) {
                map.clear();
            } else if (kept instanceof Collection<?> collection) {
                collection.clear();
            } else {
                throw new IllegalStateException(type.getSimpleName() + "." + name + " is no longer a Map or Collection");
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type.getSimpleName() + " no longer has the field " + name
                    + ": update StandIns.KEPT (or give the stand-in a reset() of its own)", e);
        }
    }
}

package io.bridge.support;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Helpers for tests that fire many requests at once and wait for state, not for time. */
public final class Concurrently {

    private Concurrently() {
    }

    /** Runs {@code call} on {@code n} threads released together; returns every result (in no particular order). */
    public static <T> List<T> run(int n, Supplier<T> call) {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.get();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(60, TimeUnit.SECONDS));
            }
            return results;
        } catch (Exception e) {
            throw new AssertionError("a concurrent call failed", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Waits until {@code condition} holds, at most {@code seconds}: {@link Waiting#await} for a plain
     * condition. {@code Waiting.await(what).atMost(...).until(supplier, matcher)} also says what it last saw.
     */
    public static void await(String what, int seconds, BooleanSupplier condition) {
        Waiting.await(what).atMost(Duration.ofSeconds(seconds)).until(condition::getAsBoolean);
    }
}

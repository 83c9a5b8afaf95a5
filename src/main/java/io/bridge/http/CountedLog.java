package io.bridge.http;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * For a log line about something a sender can make happen thousands of times a second (a refusal
 * before authentication, a 503): at most one line each 10 s, saying how many happened since.
 */
public final class CountedLog {

    private static final long EVERY = TimeUnit.SECONDS.toNanos(10);
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong loggedAt = new AtomicLong(System.nanoTime() - EVERY - 1);

    /** Counts one; how many to report in a line now (this one included), or 0 while the last line is under 10 s old. */
    public long count() {
        count.incrementAndGet();
        long now = System.nanoTime();
        long last = loggedAt.get();
        return now - last > EVERY && loggedAt.compareAndSet(last, now) ? count.getAndSet(0) : 0;
    }
}

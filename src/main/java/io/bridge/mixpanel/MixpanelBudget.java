package io.bridge.mixpanel;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import io.bridge.exports.ExportRun;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The project's Mixpanel limits, shared by all runs: the hourly query budget
 * ({@code bridge.mixpanel.queries-per-hour}, every page one query) and the queries in flight at once
 * ({@code bridge.mixpanel.max-concurrent}). A run that would exceed the budget stops and says so,
 * and a query waits for a free slot, instead of hammering the API into 429s.
 */
@Component
public class MixpanelBudget {

    private final int perHour;
    /** Queries of the hour that only syncs take (at most all but one: the listing can always be had once an hour). */
    private final int reservedForSyncs;
    private final Deque<Instant> spent = new ArrayDeque<>();
    private final Clock clock = Clock.systemUTC();
    private final Semaphore slots;
    private final Duration slotWait;

    @Autowired
    public MixpanelBudget(MixpanelProperties props) {
        this(props, Duration.ofMinutes(5));
    }

    MixpanelBudget(MixpanelProperties props, Duration slotWait) {
        this.perHour = props.queriesPerHour();
        this.reservedForSyncs = Math.max(0, Math.min(props.reservedForSyncs(), perHour - 1));
        this.slots = new Semaphore(props.maxConcurrent(), true);
        this.slotWait = slotWait;
    }

    /** Holds one of the max-concurrent slots for the run's query in flight (kept across its retries). */
    public void enter(ExportRun run) {
        if (run.holdsMixpanelSlot()) {
            return;
        }
        boolean entered;
        try {
            entered = slots.tryAcquire(slotWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            entered = false;
        }
        if (!entered) {
            throw new BudgetExhaustedException("no Mixpanel query slot came free within " + slotWait
                    + " (bridge.mixpanel.max-concurrent queries were in flight the whole time); the next run converges");
        }
        run.holdsMixpanelSlot(true);
    }

    /** Gives the run's slot back, if it holds one. */
    public void leave(ExportRun run) {
        if (run.holdsMixpanelSlot()) {
            run.holdsMixpanelSlot(false);
            slots.release();
        }
    }

    /** Takes one query from the budget, or throws when the last hour used it all. */
    public synchronized void take() {
        Instant now = forget();
        if (spent.size() >= perHour) {
            throw new BudgetExhaustedException("Mixpanel query budget used up: " + perHour + " queries in the last hour "
                    + "(bridge.mixpanel.queries-per-hour; every page of a cohort is one query). The run stopped without "
                    + "changing the list beyond what it already sent; the next run converges once the budget allows.");
        }
        spent.addLast(now);
    }

    /**
     * Takes one query for the control plane (the listing of the project's cohorts) from the part of
     * the budget that is not reserved for syncs ({@code bridge.mixpanel.reserved-for-syncs}), or
     * throws when that part is spent: whoever refreshes a page can never starve the syncs. The
     * queries of syncs count against that part too: when syncs have used the budget down to their
     * reserve, the control plane gets none.
     */
    public synchronized void takeUnreserved() {
        Instant now = forget();
        int open = perHour - reservedForSyncs;
        if (spent.size() >= open) {
            Instant free = now;
            int toExpire = spent.size() - open; // this many oldest queries must leave the window first
            for (Instant at : spent) {
                if (toExpire-- == 0) {
                    free = at.plus(Duration.ofHours(1));
                    break;
                }
            }
            throw new BudgetExhaustedException(spent.size() + " of the " + perHour + " Mixpanel queries of the last hour are "
                    + "spent, and the last " + reservedForSyncs + " are reserved for syncs (bridge.mixpanel.queries-per-hour, "
                    + "bridge.mixpanel.reserved-for-syncs): the cohort listing can be read from Mixpanel again after "
                    + free.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        }
        spent.addLast(now);
    }

    /**
     * Before reading a cohort: throws when its pages cannot fit in what is left of the budget, so
     * that a run does not start what it cannot finish.
     */
    public synchronized void ensureFits(long cohortId, long members, int pageSize) {
        forget();
        long pages = Math.max(1, (members + pageSize - 1) / pageSize);
        int left = perHour - spent.size();
        if (pages > left) {
            throw new BudgetExhaustedException("cohort " + cohortId + " has " + members + " members: reading it takes "
                    + pages + " Mixpanel queries, but only " + left + " of " + perHour + " are left this hour "
                    + "(bridge.mixpanel.queries-per-hour). The run did not start; a later run will, once the budget allows.");
        }
    }

    private Instant forget() {
        Instant now = clock.instant();
        while (!spent.isEmpty() && spent.peekFirst().isBefore(now.minus(Duration.ofHours(1)))) {
            spent.pollFirst();
        }
        return now;
    }

    public static class BudgetExhaustedException extends RuntimeException {
        public BudgetExhaustedException(String message) {
            super(message);
        }
    }
}

package io.bridge.mixpanel;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import org.springframework.stereotype.Component;

/**
 * The project's Mixpanel query budget ({@code bridge.mixpanel.queries-per-hour}, every page one
 * query), shared by all runs: a run that would exceed it stops and says so instead of hammering
 * the API into 429s.
 */
@Component
public class MixpanelBudget {

    private final int perHour;
    private final Deque<Instant> spent = new ArrayDeque<>();
    private final Clock clock = Clock.systemUTC();

    public MixpanelBudget(MixpanelProperties props) {
        this.perHour = props.queriesPerHour();
    }

    /** Takes one query from the budget, or throws when the last hour used it all. */
    public synchronized void take() {
        Instant now = clock.instant();
        while (!spent.isEmpty() && spent.peekFirst().isBefore(now.minus(Duration.ofHours(1)))) {
            spent.pollFirst();
        }
        if (spent.size() >= perHour) {
            throw new BudgetExhaustedException("Mixpanel query budget used up: " + perHour + " queries in the last hour "
                    + "(bridge.mixpanel.queries-per-hour; every page of a cohort is one query). The run stopped without "
                    + "changing the list beyond what it already sent; the next run converges once the budget allows.");
        }
        spent.addLast(now);
    }

    public static class BudgetExhaustedException extends RuntimeException {
        public BudgetExhaustedException(String message) {
            super(message);
        }
    }
}

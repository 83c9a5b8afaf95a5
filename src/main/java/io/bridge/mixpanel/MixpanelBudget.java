package io.bridge.mixpanel;

import jakarta.annotation.PreDestroy;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.stereotype.Component;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The project's Mixpanel limits, shared by all runs on all replicas (they are Mixpanel's per
 * project, not per process): the hourly query budget ({@code bridge.mixpanel.queries-per-hour},
 * every page one query) and the queries in flight at once ({@code bridge.mixpanel.max-concurrent}).
 * A run that would exceed the budget stops and says so, and a query waits for a free slot, instead
 * of hammering the API into 429s.
 * <p>
 * Both live in the database, keyed by the project id (tables of V6__mixpanel_budget.sql): the
 * queries of the last hour in {@code mixpanel_queries}, the slots in flight in
 * {@code mixpanel_slots}, leased by their replica and renewed every third of
 * {@code bridge.mixpanel.slot-lease} while it lives, so that a replica that dies frees its slots.
 * Taking a query or a slot first locks the project's {@code mixpanel_budget} row with an UPDATE,
 * in a READ COMMITTED transaction: a second replica's UPDATE waits for the first one's commit
 * (PostgreSQL and HSQLDB MVCC alike), and its count, a later statement, then sees the first one's
 * row. So the count and the insert that follows are one step for all replicas.
 */
@Component
public class MixpanelBudget {

    private static final Logger log = LoggerFactory.getLogger(MixpanelBudget.class);
    private static final Duration HOUR = Duration.ofHours(1);

    /**
     * Who holds a max-concurrent slot across a query's retries (an export run): keeps the slot's
     * handle, null while it holds none.
     */
    public interface SlotHolder {
        String mixpanelSlot();

        void mixpanelSlot(String slot);
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final String project;
    private final int perHour;
    /** Queries of the hour that only syncs take (at most all but one: the listing can always be had once an hour). */
    private final int reservedForSyncs;
    private final int maxConcurrent;
    private final Duration slotWait;
    private final Duration slotLease;
    /** This replica: bridge.instance-id, else a name of its own. */
    private final String owner;
    private final boolean namedOwner;
    /** The slots this replica holds, renewed by {@link #renewer}. */
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    /** Queries waiting for a slot wait on it; a slot given back on this replica wakes them. */
    private final Object released = new Object();
    private final ScheduledExecutorService renewer;
    /**
     * The queries of this JVM take their turn here before they queue on the budget row: the
     * database then arbitrates between replicas (processes) only. HSQLDB 2.7.3 in MVCC mode was seen
     * to leave one of several sessions queued on a row lock waiting for ever (a query timeout does
     * not end that wait), and HSQLDB is embedded, one process: JVM-wide, no two sessions ever queue
     * there (several budgets in one JVM are tests standing for replicas). On other databases each
     * budget takes its own turn, and the database arbitrates between them as between replicas.
     */
    private static final ReentrantLock EMBEDDED_TURN = new ReentrantLock(true);
    private final ReentrantLock turn;
    private volatile Clock clock = Clock.systemUTC();

    @Autowired
    public MixpanelBudget(JdbcTemplate jdbc, MixpanelProperties props, @Value("${bridge.instance-id:}") String instanceId) {
        this(jdbc, props, instanceId, Duration.ofMinutes(5));
    }

    MixpanelBudget(JdbcTemplate jdbc, MixpanelProperties props, String instanceId, Duration slotWait) {
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(new DataSourceTransactionManager(jdbc.getDataSource()));
        // stated, not left to the server's default: under REPEATABLE READ or SERIALIZABLE, PostgreSQL
        // refuses the second replica's lock instead of letting it wait, and its count would not see the first's row
        this.tx.setIsolationLevel(TransactionDefinition.ISOLATION_READ_COMMITTED);
        this.tx.setTimeout(30);
        this.turn = embedded(jdbc) ? EMBEDDED_TURN : new ReentrantLock(true);
        this.project = props.projectId() == null ? "" : props.projectId();
        this.perHour = props.queriesPerHour();
        this.reservedForSyncs = Math.max(0, Math.min(props.reservedForSyncs(), perHour - 1));
        this.maxConcurrent = props.maxConcurrent();
        this.slotWait = slotWait;
        this.slotLease = props.slotLease();
        this.namedOwner = instanceId != null && !instanceId.isBlank();
        this.owner = namedOwner ? instanceId : "bridge-" + UUID.randomUUID();
        this.renewer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "mixpanel-slot-lease");
            thread.setDaemon(true);
            return thread;
        });
        long every = Math.max(1, slotLease.toMillis() / 3);
        renewer.scheduleWithFixedDelay(this::renewQuietly, every, every, TimeUnit.MILLISECONDS);
    }

    /** Holds one of the max-concurrent slots for the holder's query in flight (kept across its retries). */
    public void enter(SlotHolder holder) {
        if (holder.mixpanelSlot() != null) {
            return;
        }
        long deadline = System.nanoTime() + slotWait.toNanos();
        long pause = 20;
        for (;;) {
            String slot = tryClaim();
            if (slot != null) {
                holder.mixpanelSlot(slot);
                return;
            }
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0 || !waitForRelease(Math.min(pause, left))) {
                throw new BudgetExhaustedException("no Mixpanel query slot came free within " + slotWait
                        + " (bridge.mixpanel.max-concurrent queries of the project, on all replicas, were in flight the whole "
                        + "time); the next run converges");
            }
            pause = Math.min(pause * 2, 1000); // a slot another replica gives back is seen within a second
        }
    }

    /** Gives the holder's slot back, if it holds one. */
    public void leave(SlotHolder holder) {
        String slot = holder.mixpanelSlot();
        if (slot == null) {
            return;
        }
        holder.mixpanelSlot(null);
        held.remove(slot);
        try {
            jdbc.update("DELETE FROM mixpanel_slots WHERE holder = ?", slot);
        } catch (DataAccessException e) {
            log.warn("could not give a Mixpanel query slot back ({}); it is free again once its lease lapses "
                    + "(bridge.mixpanel.slot-lease)", e.getClass().getSimpleName());
        }
        synchronized (released) {
            released.notifyAll();
        }
    }

    /** Takes one query from the budget, or throws when the last hour used it all. */
    public void take() {
        locked(now -> {
            int spent = forget(now);
            if (spent >= perHour) {
                throw new BudgetExhaustedException("Mixpanel query budget used up: " + perHour + " queries in the last hour "
                        + "(bridge.mixpanel.queries-per-hour; every page of a cohort is one query). The run stopped without "
                        + "changing the list beyond what it already sent; the next run converges once the budget allows.");
            }
            spend(now);
            return null;
        });
    }

    /**
     * Takes one query for the control plane (the listing of the project's cohorts) from the part of
     * the budget that is not reserved for syncs ({@code bridge.mixpanel.reserved-for-syncs}), or
     * throws when that part is spent: whoever refreshes a page can never starve the syncs. The
     * queries of syncs count against that part too: when syncs have used the budget down to their
     * reserve, the control plane gets none.
     */
    public void takeUnreserved() {
        locked(now -> {
            int spent = forget(now);
            int open = perHour - reservedForSyncs;
            if (spent >= open) {
                // this many oldest queries must leave the window first
                List<Timestamp> next = jdbc.queryForList("SELECT spent_at FROM mixpanel_queries WHERE project_id = ? "
                        + "ORDER BY spent_at OFFSET ? ROWS FETCH FIRST 1 ROWS ONLY", Timestamp.class, project, spent - open);
                Instant free = next.isEmpty() ? now : next.get(0).toInstant().plus(HOUR);
                throw new BudgetExhaustedException(spent + " of the " + perHour + " Mixpanel queries of the last hour are "
                        + "spent, and the last " + reservedForSyncs + " are reserved for syncs (bridge.mixpanel.queries-per-hour, "
                        + "bridge.mixpanel.reserved-for-syncs): the cohort listing can be read from Mixpanel again after "
                        + free.truncatedTo(ChronoUnit.SECONDS));
            }
            spend(now);
            return null;
        });
    }

    /**
     * Before reading a cohort: throws when its pages cannot fit in what is left of the budget, so
     * that a run does not start what it cannot finish.
     */
    public void ensureFits(long cohortId, long members, int pageSize) {
        Instant now = clock.instant();
        long pages = Math.max(1, (members + pageSize - 1) / pageSize);
        Integer spent = jdbc.queryForObject("SELECT COUNT(*) FROM mixpanel_queries WHERE project_id = ? AND spent_at >= ?",
                Integer.class, project, Timestamp.from(now.minus(HOUR)));
        int left = perHour - (spent == null ? 0 : spent);
        if (pages > left) {
            throw new BudgetExhaustedException("cohort " + cohortId + " has " + members + " members: reading it takes "
                    + pages + " Mixpanel queries, but only " + Math.max(0, left) + " of " + perHour + " are left this hour "
                    + "(bridge.mixpanel.queries-per-hour). The run did not start; a later run will, once the budget allows.");
        }
    }

    /**
     * At start-up: slots this replica held before it restarted (same bridge.instance-id) are free;
     * those of other replicas are left alone (they lapse if their replica died).
     */
    @EventListener(ApplicationReadyEvent.class)
    public void releaseDead() {
        if (namedOwner) {
            jdbc.update("DELETE FROM mixpanel_slots WHERE project_id = ? AND slot_owner = ?", project, owner);
        }
    }

    /** A stopping replica stops renewing; the slots its runs still hold are given back. */
    @PreDestroy
    public void stop() {
        renewer.shutdownNow();
        for (String slot : held) {
            held.remove(slot);
            try {
                jdbc.update("DELETE FROM mixpanel_slots WHERE holder = ?", slot);
            } catch (DataAccessException e) {
                log.warn("could not give a Mixpanel query slot back on stopping ({}); it lapses within bridge.mixpanel.slot-lease",
                        e.getClass().getSimpleName());
            }
        }
    }

    /** Renews the leases of the slots this replica holds (every third of bridge.mixpanel.slot-lease). */
    void renew() {
        if (!held.isEmpty()) {
            jdbc.update("UPDATE mixpanel_slots SET lease_until = ? WHERE project_id = ? AND slot_owner = ?",
                    Timestamp.from(clock.instant().plus(slotLease)), project, owner);
        }
    }

    /** Tests move the clock: queries leave the hour, leases lapse. */
    void clock(Clock clock) {
        this.clock = clock;
    }

    private void renewQuietly() {
        try {
            renew();
        } catch (RuntimeException e) {
            log.warn("could not renew this replica's Mixpanel query slots ({}); retrying within {}", e.getClass().getSimpleName(),
                    slotLease.dividedBy(3));
        }
    }

    /** A slot, or null while max-concurrent are in flight; frees the slots of replicas that died. */
    private String tryClaim() {
        String slot = UUID.randomUUID().toString();
        Boolean claimed = locked(now -> {
            int lapsed = jdbc.update("DELETE FROM mixpanel_slots WHERE project_id = ? AND lease_until < ?", project,
                    Timestamp.from(now));
            if (lapsed > 0) {
                log.warn("{} Mixpanel query slots were freed: their replica stopped renewing them within bridge.mixpanel.slot-lease",
                        lapsed);
            }
            Integer busy = jdbc.queryForObject("SELECT COUNT(*) FROM mixpanel_slots WHERE project_id = ?", Integer.class, project);
            if (busy != null && busy >= maxConcurrent) {
                return false;
            }
            held.add(slot); // before the commit: the renewer must not miss it
            jdbc.update("INSERT INTO mixpanel_slots (holder, project_id, slot_owner, lease_until) VALUES (?, ?, ?, ?)", slot,
                    project, owner, Timestamp.from(now.plus(slotLease)));
            return true;
        }, () -> held.remove(slot));
        return Boolean.TRUE.equals(claimed) ? slot : null;
    }

    /** Waits until a slot of this replica is given back, or the time is up; false when interrupted. */
    private boolean waitForRelease(long millis) {
        synchronized (released) {
            try {
                released.wait(millis);
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Forgets the queries older than an hour; the number of the last hour's. */
    private int forget(Instant now) {
        jdbc.update("DELETE FROM mixpanel_queries WHERE project_id = ? AND spent_at < ?", project, Timestamp.from(now.minus(HOUR)));
        Integer spent = jdbc.queryForObject("SELECT COUNT(*) FROM mixpanel_queries WHERE project_id = ?", Integer.class, project);
        return spent == null ? 0 : spent;
    }

    private void spend(Instant now) {
        jdbc.update("INSERT INTO mixpanel_queries (project_id, spent_at) VALUES (?, ?)", project, Timestamp.from(now));
    }

    private <T> T locked(Function<Instant, T> work) {
        return locked(work, () -> { });
    }

    /**
     * Runs {@code work} in a transaction that first locks the project's budget row (made on first
     * use); {@code undo} runs when the transaction fails or rolls back.
     */
    private <T> T locked(Function<Instant, T> work, Runnable undo) {
        turn.lock();
        try {
            return lockedInTurn(work, undo);
        } finally {
            turn.unlock();
        }
    }

    @SuppressWarnings("unchecked")
    private <T> T lockedInTurn(Function<Instant, T> work, Runnable undo) {
        for (int attempt = 1; ; attempt++) {
            Object[] result = new Object[1];
            Boolean found;
            try {
                found = tx.execute(status -> {
                    if (jdbc.update("UPDATE mixpanel_budget SET locked_at = ? WHERE project_id = ?", Timestamp.from(clock.instant()),
                            project) == 0) {
                        return false;
                    }
                    result[0] = work.apply(clock.instant()); // read once the lock is held
                    return true;
                });
            } catch (RuntimeException e) {
                undo.run();
                throw e;
            }
            if (Boolean.TRUE.equals(found)) {
                return (T) result[0];
            }
            try { // first use of the budget of this project: its row, made on its own (a failed INSERT would end a transaction)
                jdbc.update("INSERT INTO mixpanel_budget (project_id, locked_at) VALUES (?, ?)", project, Timestamp.from(clock.instant()));
            } catch (DuplicateKeyException anotherReplicaMadeIt) {
                if (attempt == 3) { // made and deleted again and again: cannot happen, the row is never deleted by the bridge
                    throw anotherReplicaMadeIt;
                }
            }
        }
    }

    public static class BudgetExhaustedException extends RuntimeException {
        public BudgetExhaustedException(String message) {
            super(message);
        }
    }

    private static boolean embedded(JdbcTemplate jdbc) {
        Boolean hsqldb = jdbc.execute((java.sql.Connection c) -> c.getMetaData().getDatabaseProductName().toLowerCase().contains("hsql"));
        return Boolean.TRUE.equals(hsqldb);
    }
}

package io.bridge.forwarding;

import io.bridge.mixpanel.MixpanelImport;
import io.bridge.mixpanel.MixpanelImport.FailedRecord;
import io.bridge.mixpanel.MixpanelImport.ImportAnswer;
import io.bridge.mixpanel.MixpanelProperties;
import io.bridge.webhooks.DedupKey;
import io.bridge.webhooks.StoredEventsListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.InputStream;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The state of forwarding on this replica and the steps of routes/mixpanel-forwarding.camel.yaml
 * that a route cannot say plainly: whether a batch may go now (on, not paused, not backing off),
 * the claim, and what Mixpanel's answer means for the claimed rows.
 *
 * <ul>
 * <li>2xx: every event of the request is imported; 400 with failed_records (strict mode): those are
 *     rejected with Mixpanel's message, the rest imported. Either way the claim is settled.</li>
 * <li>413: the rows go back and batches are half as large from now on (one event alone: rejected).</li>
 * <li>401/403: the rows go back and forwarding pauses, with one log line; it tries once more after
 *     {@code bridge.forwarding.auth-retry-interval}, and at once after a restart.</li>
 * <li>429, 5xx, any other answer, a timeout or no connection: the rows go back and this replica
 *     waits (from {@code retry-delay} doubling to {@code max-retry-delay}, with jitter).</li>
 * </ul>
 */
@Component("forwarder")
public class Forwarder implements StoredEventsListener {

    private static final Logger log = LoggerFactory.getLogger(Forwarder.class);
    /** Exchange property: false once the worker's loop should end (nothing to claim, or it must wait). */
    public static final String MORE = "forwardingMore";

    private final ForwardingProperties props;
    private final MixpanelProperties mixpanel;
    private final Outbox outbox;
    private final MixpanelImport mixpanelImport;
    private final boolean on;
    private final String offReason;
    private final List<String> missingSettings;
    private final Counter forwarded;
    private final Counter rejected;
    private final AtomicInteger batchLimit;
    private final java.util.concurrent.atomic.AtomicLong polls = new java.util.concurrent.atomic.AtomicLong();

    private volatile boolean stopping;
    private volatile boolean paused;
    private volatile Instant pausedAt;
    private volatile Instant notBefore = Instant.EPOCH;
    private int failuresInARow;
    private volatile String lastError;
    private volatile Instant lastErrorAt;
    private volatile Instant lastSuccessAt;
    /** Every worker should look at the outbox (start-up, a replay). */
    private volatile boolean everyone;
    /** A batch was full: more are waiting. */
    private volatile boolean backlog;
    /** Events committed since the last tick that started workers, and since when (System.nanoTime). */
    private final java.util.concurrent.atomic.AtomicLong fresh = new java.util.concurrent.atomic.AtomicLong();
    private volatile long freshSince;
    private volatile long lastPoll = System.nanoTime();
    private volatile long lagCheckedAt;
    private volatile double lag;

    public Forwarder(ForwardingProperties props, MixpanelProperties mixpanel, Outbox outbox, MixpanelImport mixpanelImport,
            MeterRegistry meters) {
        this.props = props;
        this.mixpanel = mixpanel;
        this.outbox = outbox;
        this.mixpanelImport = mixpanelImport;
        this.missingSettings = mixpanel.missingSettings();
        if (Boolean.FALSE.equals(props.enabled())) {
            offReason = "bridge.forwarding.enabled is false";
        } else if (!missingSettings.isEmpty()) {
            offReason = "the Mixpanel service account is not configured: set " + String.join(", ", missingSettings);
        } else {
            offReason = null;
        }
        this.on = offReason == null;
        this.batchLimit = new AtomicInteger(Math.max(1, Math.min(props.batchEvents(), MixpanelImport.MAX_EVENTS)));
        this.forwarded = Counter.builder("bridge.forwarded.events").description("Stored events forwarded to Mixpanel, by outcome")
                .tag("outcome", "imported").register(meters);
        this.rejected = Counter.builder("bridge.forwarded.events").description("Stored events forwarded to Mixpanel, by outcome")
                .tag("outcome", "rejected").register(meters);
        Gauge.builder("bridge.forwarding.lag", this, Forwarder::lagSeconds).baseUnit("seconds")
                .description("Age of the oldest event waiting to be forwarded to Mixpanel (0: none waits)").register(meters);
    }

    public boolean isOn() {
        return on;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void started() {
        if (on) {
            log.info("Mixpanel forwarding on: every stored event goes to {}/import (project {}), {} batches at once",
                    mixpanel.ingestionUrl(), mixpanel.projectId(), props.workers());
            wake(); // what an earlier run left
        } else {
            log.warn("Mixpanel forwarding off: {}. Stored events are not sent to Mixpanel (intake is unaffected).", offReason);
        }
    }

    @EventListener(ContextClosedEvent.class)
    public void stopping() {
        stopping = true;
    }

    // --- the intake's transaction ---------------------------------------------------------------

    @Override
    public void storing(Statements statements, List<StoredEvent> events) throws SQLException {
        if (on) {
            outbox.queue(statements, events);
        }
    }

    @Override
    public void stored(int events) {
        if (fresh.getAndAdd(events) == 0) {
            freshSince = System.nanoTime();
        }
    }

    // --- the route's steps ----------------------------------------------------------------------

    /** Every worker looks at the outbox at the next tick (start-up, a replay). */
    public void wake() {
        everyone = true;
    }

    /**
     * Each tick of the route's timer: the workers to run now (body of the route's split), or none
     * (no database access at all), and none while forwarding is off, paused or backing off.
     * <ul>
     * <li>every worker after a wake-up (start-up, a replay) or when the last batch was full (a backlog);</li>
     * <li>as many as the events committed since the last tick fill batches (plus one), once they fill
     *     a batch or the first of them waited bridge.forwarding.linger: under load, few large
     *     requests rather than one per commit (what a request costs is mostly per request);</li>
     * <li>one every poll-interval (events of other replicas, lapsed claims, the end of a back-off).</li>
     * </ul>
     */
    public List<Integer> due() {
        long now = System.nanoTime();
        boolean polling = now - lastPoll >= props.pollInterval().toNanos();
        if (polling) {
            lastPoll = now;
            polls.incrementAndGet();
        }
        int batch = batchLimit.get();
        long committed = fresh.get();
        int n = 0;
        if (everyone || backlog) {
            n = props.workers();
        } else if (committed >= batch || (committed > 0 && now - freshSince >= props.linger().toNanos())) {
            n = (int) Math.min(props.workers(), committed / batch + 1);
        } else if (polling) {
            n = 1;
        }
        if (n == 0 || !mayTry()) {
            return List.of();
        }
        everyone = false;
        backlog = false;
        fresh.set(0);
        List<Integer> workers = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            workers.add(i);
        }
        return workers;
    }

    /** How often the timer looked for work since start. */
    long polls() {
        return polls.get();
    }

    /** The next batch of this worker (body), or null with {@value #MORE} false when there is none or it must wait. */
    public Claim claim(Exchange exchange) {
        exchange.getMessage().removeHeaders("*");
        if (!mayTry()) {
            exchange.setProperty(MORE, false);
            return null;
        }
        if (paused && !probe()) {
            exchange.setProperty(MORE, false);
            return null;
        }
        int limit = batchLimit.get();
        Claim claim = outbox.claim(limit, props.lease());
        if (claim == null) {
            exchange.setProperty(MORE, false);
            return null;
        }
        exchange.setProperty(MORE, true);
        if (claim.events().size() >= limit) {
            backlog = true; // the next tick starts every worker
        }
        return claim;
    }

    /** A batch with nothing to send (every event rejected by the bridge): settled without a call. */
    public void settleUnsent(@ExchangeProperty(MixpanelEvents.BATCH) Batch batch) {
        if (batch.cutAt() != null) {
            outbox.release(batch.claimId(), batch.cutAt());
        }
        outbox.settle(batch.claimId(), batch.rejected());
        rejected.increment(batch.rejected().size());
    }

    /** Mixpanel's answer to the batch's import request. */
    public void answer(@Header(Exchange.HTTP_RESPONSE_CODE) int status, @Body InputStream body,
            @ExchangeProperty(MixpanelEvents.BATCH) Batch batch, Exchange exchange) {
        ImportAnswer answer = mixpanelImport.answer(status, body);
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setBody(null);
        if (answer.settled()) {
            settle(batch, answer);
            return;
        }
        outbox.release(batch.claimId(), null);
        exchange.setProperty(MORE, false);
        String said = answer.error() == null ? "" : ": " + answer.error();
        if (status == 413) {
            if (batch.sent().size() <= 1) {
                List<Rejection> tooLarge = new ArrayList<>(batch.rejected());
                batch.sent().forEach(e -> tooLarge.add(new Rejection(e, "mixpanel", null, "413: the event alone is too large for Mixpanel")));
                outbox.settle(batch.claimId(), tooLarge);
                rejected.increment(tooLarge.size());
                return;
            }
            int half = Math.max(1, batch.sent().size() / 2);
            batchLimit.accumulateAndGet(half, Math::min);
            error("Mixpanel answered 413 (request too large) to " + batch.sent().size() + " events of " + batch.bytes()
                    + " bytes: batches now hold at most " + half + " events");
            exchange.setProperty(MORE, true); // at once, smaller
            return;
        }
        if (status == 401 || status == 403) {
            boolean wasPaused = paused;
            paused = true;
            pausedAt = Instant.now();
            error("Mixpanel refused the service account (" + status + said + ")");
            if (!wasPaused) {
                log.warn("Mixpanel forwarding paused: Mixpanel answered {} to the service account of project {}{}. Fix "
                        + "BRIDGE_MIXPANEL_USERNAME / BRIDGE_MIXPANEL_SECRET / BRIDGE_MIXPANEL_PROJECTID and restart; it tries "
                        + "again by itself every {}. Events keep being stored.", status, mixpanel.projectId(), said,
                        props.authRetryInterval());
            }
            return;
        }
        backOff("Mixpanel answered " + status + said);
    }

    /** The batch failed before Mixpanel answered (no connection, a timeout) or while settling it: its rows go back. */
    public void failed(Exchange exchange) {
        Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        exchange.setProperty(MORE, false);
        Batch batch = exchange.getProperty(MixpanelEvents.BATCH, Batch.class);
        Claim claim = exchange.getMessage().getBody() instanceof Claim c ? c : null;
        String claimId = batch != null ? batch.claimId() : claim != null ? claim.id() : null;
        if (claimId != null) {
            try {
                outbox.release(claimId, null);
            } catch (RuntimeException notReleased) {
                // the database is down too: the claim's lease lapses and the rows are claimed again
            }
        }
        backOff("a batch failed: " + (e == null ? "unknown error" : e.getClass().getSimpleName() + ": " + firstLine(e.getMessage())));
    }

    private void settle(Batch batch, ImportAnswer answer) {
        List<Rejection> refused = new ArrayList<>(batch.rejected());
        Map<String, OutboxEvent> byInsertId = new HashMap<>();
        batch.sent().forEach(e -> byInsertId.put(DedupKey.insertId(e.dedupKey()), e));
        for (FailedRecord f : answer.failedRecords()) {
            OutboxEvent event = f.index() >= 0 && f.index() < batch.sent().size() ? batch.sent().get(f.index()) : byInsertId.get(f.insertId());
            if (event != null) {
                refused.add(new Rejection(event, "mixpanel", f.field(), f.message()));
            }
        }
        if (batch.cutAt() != null) {
            outbox.release(batch.claimId(), batch.cutAt());
        }
        outbox.settle(batch.claimId(), refused);
        int mixpanelRefused = refused.size() - batch.rejected().size();
        forwarded.increment(batch.sent().size() - mixpanelRefused);
        rejected.increment(refused.size());
        lastSuccessAt = Instant.now();
        if (paused) {
            paused = false;
            log.info("Mixpanel forwarding resumed: Mixpanel accepted the service account again");
        }
        synchronized (this) {
            failuresInARow = 0;
        }
    }

    private void backOff(String why) {
        Instant now = Instant.now();
        Duration wait;
        synchronized (this) {
            if (now.isBefore(notBefore)) { // another worker of this replica failed meanwhile: one back-off for both
                return;
            }
            failuresInARow++;
            long base = props.retryDelay().toMillis() << Math.min(failuresInARow - 1, 20);
            long capped = Math.min(base, props.maxRetryDelay().toMillis());
            wait = Duration.ofMillis(capped + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
            notBefore = now.plus(wait);
        }
        error(why);
        log.warn("Mixpanel forwarding retries in {} ms (failure {} in a row): {}", wait.toMillis(), failuresInARow, why);
    }

    private void error(String message) {
        lastError = message;
        lastErrorAt = Instant.now();
    }

    /** While paused: true for one batch per auth-retry-interval (all workers together). */
    private synchronized boolean probe() {
        Instant now = Instant.now();
        if (pausedAt != null && now.isBefore(pausedAt.plus(props.authRetryInterval()))) {
            return false;
        }
        pausedAt = now;
        return true;
    }

    private boolean mayTry() {
        if (!on || stopping) {
            return false;
        }
        Instant now = Instant.now();
        if (paused) {
            return pausedAt == null || !now.isBefore(pausedAt.plus(props.authRetryInterval()));
        }
        return !now.isBefore(notBefore);
    }

    /** As after a restart: not paused, no back-off, full batches, no last error (tests start from it). */
    void reset() {
        synchronized (this) {
            failuresInARow = 0;
            notBefore = Instant.EPOCH;
        }
        paused = false;
        pausedAt = null;
        lastError = null;
        lastErrorAt = null;
        batchLimit.set(Math.max(1, Math.min(props.batchEvents(), MixpanelImport.MAX_EVENTS)));
    }

    // --- the status ------------------------------------------------------------------------------

    /** Age in seconds of the oldest event waiting (0 when none); read at most once a second. */
    double lagSeconds() {
        if (!on) {
            return 0;
        }
        long now = System.currentTimeMillis();
        if (now - lagCheckedAt >= 1000) {
            try {
                Instant oldest = outbox.oldestQueuedAt();
                lag = oldest == null ? 0 : Math.max(0, (now - oldest.toEpochMilli()) / 1000.0);
            } catch (RuntimeException e) {
                lag = Double.NaN;
            }
            lagCheckedAt = now;
        }
        return lag;
    }

    /** GET /api/forwarding. */
    public Map<String, Object> status() {
        Map<String, Object> status = new java.util.LinkedHashMap<>();
        status.put("enabled", on);
        Instant now = Instant.now();
        String state = !on ? "off" : paused ? "paused" : now.isBefore(notBefore) ? "retrying" : "forwarding";
        status.put("state", state);
        status.put("reason", !on ? offReason : paused ? "Mixpanel refused the service account: " + lastError
                : state.equals("retrying") ? lastError : null);
        status.put("missingSettings", missingSettings);
        status.put("ingestionUrl", mixpanel.ingestionUrl());
        status.put("distinctId", props.distinctId());
        status.put("paused", paused);
        status.put("nextAttemptAt", on && now.isBefore(notBefore) ? notBefore.toString() : null);
        Instant oldest = outbox.oldestQueuedAt();
        status.put("pending", outbox.pending());
        status.put("oldestPendingAt", oldest == null ? null : oldest.toString());
        status.put("lagSeconds", oldest == null ? 0.0 : Math.max(0, Duration.between(oldest, now).toMillis()) / 1000.0);
        status.put("forwarded", (long) forwarded.count());
        status.put("rejected", outbox.rejected());
        status.put("lastSuccessAt", lastSuccessAt == null ? null : lastSuccessAt.toString());
        Map<String, Object> error = null;
        if (lastError != null) {
            error = new java.util.LinkedHashMap<>();
            error.put("at", lastErrorAt.toString());
            error.put("message", lastError);
        }
        status.put("lastError", error);
        status.put("batchEvents", batchLimit.get());
        status.put("recentRejections", outbox.recentRejections(10));
        return status;
    }

    /** POST /api/forwarding/replay: queues the stored events of [from, to) again; how many. */
    public int replay(Instant from, Instant to) {
        int queued = outbox.replay(from, to);
        wake();
        return queued;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no message";
        }
        String line = message.lines().findFirst().orElse("").strip();
        return line.length() <= 200 ? line : line.substring(0, 200) + "...";
    }
}

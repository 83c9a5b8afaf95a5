package io.bridge.exports;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bridge.exports.*}: which cohorts go to Iterable and how often.
 *
 * @param dynamicCron         Quartz cron of dynamic syncs (default: every 15 minutes)
 * @param batchSize           most subscribers per Iterable call, 1 to {@value #MAX_BATCH_SIZE}
 * @param fullRefreshInterval how often a dynamic sync re-sends every member, to heal lists edited by hand
 * @param retries             retries of a 429 / 5xx / timeout before a run fails
 * @param retryDelay          first retry delay; doubles each retry, with jitter
 * @param maxRetryAfter       longest wait a 429's Retry-After may ask for
 * @param reportsKept         runs of each cohort whose report.csv is kept
 * @param runLease            a run's claim on its cohort lapses when not renewed for this long (a dead replica's run)
 * @param cohorts             exports declared here: {@code [{cohort-id: 1234, sync: dynamic}]} (one-time, dynamic or push)
 */
@ConfigurationProperties("bridge.exports")
public record ExportProperties(
        @DefaultValue("0 0/15 * * * ?") String dynamicCron,
        @DefaultValue("1000") int batchSize,
        @DefaultValue("1d") Duration fullRefreshInterval,
        @DefaultValue("5") int retries,
        @DefaultValue("1s") Duration retryDelay,
        @DefaultValue("5m") Duration maxRetryAfter,
        @DefaultValue("20") int reportsKept,
        @DefaultValue("2m") Duration runLease,
        @DefaultValue List<Declared> cohorts) {

    /** Iterable's most subscribers per subscribe or unsubscribe call (no published maximum: peers send 1,000). */
    public static final int MAX_BATCH_SIZE = 1000;

    public ExportProperties {
        if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
            throw new IllegalArgumentException("bridge.exports.batch-size must be 1 to " + MAX_BATCH_SIZE
                    + " (subscribers per Iterable call; Iterable refuses larger batches), got " + batchSize);
        }
    }

    /** An export declared here; {@code sync: push} waits for Mixpanel's cohort-sync webhook instead of reading Mixpanel. */
    public record Declared(long cohortId, @DefaultValue("dynamic") String sync) {
        public Declared {
            if (!ExportRuns.SYNC_TYPES.contains(sync) && !ExportRuns.PUSH.equals(sync)) {
                throw new IllegalArgumentException("bridge.exports.cohorts: cohort " + cohortId + " has sync '" + sync
                        + "'; it must be one-time, dynamic (the bridge reads Mixpanel) or push (Mixpanel's webhook sends it)");
            }
        }
    }
}

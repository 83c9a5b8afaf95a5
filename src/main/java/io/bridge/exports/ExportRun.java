package io.bridge.exports;

import io.bridge.mixpanel.MixpanelBudget;
import java.util.ArrayList;
import java.util.List;

/**
 * The state of one cohort export run while its route runs; travels as exchange property
 * {@code run}. Counters end up in {@code sync_runs}.
 */
public class ExportRun implements MixpanelBudget.SlotHolder {

    public enum Phase { SUBSCRIBE, UNSUBSCRIBE }

    long id;
    long cohortId;
    String syncType;
    String trigger;
    boolean fullRefresh;
    boolean skipped;
    String cohortName;
    Long listId;
    String listName;
    int cohortMembers;
    int withEmail;
    int skippedNoEmail;
    int added;
    int removed;
    int failed;
    int mixpanelCalls;
    int iterableCalls;
    String iterableBaseUrl;
    RunReport report;
    long claimRenewedNanos = System.nanoTime();

    // when each phase ended, for the run's log line
    final long startedNanos = System.nanoTime();
    final java.util.Map<String, Long> phaseEnds = new java.util.LinkedHashMap<>();

    /** Notes that a phase (read, subscribe, unsubscribe, cleanup) ended now. */
    public void phaseEnded(String name) {
        phaseEnds.put(name, System.nanoTime());
    }

    /** "read 12.1 s, subscribe 30.2 s, ..." */
    public String phaseTimes() {
        StringBuilder times = new StringBuilder();
        long from = startedNanos;
        for (java.util.Map.Entry<String, Long> phase : phaseEnds.entrySet()) {
            times.append(times.length() == 0 ? "" : ", ").append(phase.getKey()).append(' ')
                    .append(String.format(java.util.Locale.ROOT, "%.1f s", (phase.getValue() - from) / 1e9));
            from = phase.getValue();
        }
        return times.toString();
    }

    // Mixpanel paging
    String mixpanelSlot; // the max-concurrent slot of the query in flight, kept across its retries
    String sessionId;
    int page;
    boolean morePages = true;

    // Iterable: the snapshot was empty when the run found the list (a first sync: nobody can have
    // left, and nobody read is in it yet), the new members of the page just read, the joiners
    // waiting for a subscribe batch, the batch in flight, and where the next leavers' batch starts
    boolean snapshotEmpty;
    int batchSize = 1000;
    final SeenEmails seen = new SeenEmails();
    final List<String[]> pageMembers = new ArrayList<>(); // {email_key, email, distinct_id}
    final List<String[]> joiners = new ArrayList<>();
    Phase phase = Phase.SUBSCRIBE;
    final List<String[]> batch = new ArrayList<>();
    java.util.Set<String> batchKnownInList = java.util.Set.of(); // keys of the batch the list held for sure before its call
    String lastKey = "";

    /** The API of the Iterable data centre this run writes to. */
    public String getIterableBaseUrl() {
        return iterableBaseUrl;
    }

    /** A line of the run's report.csv. */
    public void report(String distinctId, String email, String outcome, String reason) {
        if (report != null) {
            report.line(distinctId, email, outcome, reason);
        }
    }

    public long getId() {
        return id;
    }

    public long getCohortId() {
        return cohortId;
    }

    public boolean isSkipped() {
        return skipped;
    }

    public boolean isMorePages() {
        return morePages;
    }

    public Long getListId() {
        return listId;
    }

    /** True while a batch of leavers waits to be unsubscribed. */
    public boolean isBatchPending() {
        return !batch.isEmpty();
    }

    public String getListName() {
        return listName;
    }

    public void cohortName(String name) {
        this.cohortName = name;
        this.listName = "mixpanel_" + name + "_" + cohortId;
    }

    @Override
    public String mixpanelSlot() {
        return mixpanelSlot;
    }

    @Override
    public void mixpanelSlot(String slot) {
        this.mixpanelSlot = slot;
    }

    public String sessionId() {
        return sessionId;
    }

    public int page() {
        return page;
    }

    public void mixpanelCall() {
        mixpanelCalls++;
    }

    public void iterableCall() {
        iterableCalls++;
    }

    /** One page of members read: the next page (if any) uses this session. */
    /** Adds a lower-case email to those read; false when an earlier member of this run had it. */
    public boolean firstWithEmail(String emailKey) {
        return seen.add(emailKey);
    }

    public void pageRead(String session, int members, List<String[]> newEmails, int withoutEmail, boolean more) {
        sessionId = session;
        page++;
        cohortMembers += members;
        withEmail += newEmails.size();
        pageMembers.clear();
        pageMembers.addAll(newEmails);
        skippedNoEmail += withoutEmail;
        morePages = more && session != null;
    }

    public void useList(long id) {
        this.listId = id;
    }

    public boolean fullRefresh() {
        return fullRefresh;
    }

    public Phase phase() {
        return phase;
    }

    public List<String[]> batch() {
        return batch;
    }

    /** Starts unsubscribing: subscribing is over, leavers are read from the start. */
    public void startUnsubscribing() {
        phaseEnded("read and subscribe");
        this.phase = Phase.UNSUBSCRIBE;
        this.lastKey = "";
        this.batch.clear();
    }

    /** The keys of the batch in flight that the snapshot held as settled members before the call. */
    public java.util.Set<String> batchKnownInList() {
        return batchKnownInList;
    }

    public void batchKnownInList(java.util.Set<String> keys) {
        this.batchKnownInList = keys;
    }

    public String lastKey() {
        return lastKey;
    }

    /** The next leavers to unsubscribe. */
    public void nextBatch(List<String[]> rows) {
        batch.clear();
        batch.addAll(rows);
        if (!rows.isEmpty()) {
            lastKey = rows.get(rows.size() - 1)[0];
        }
    }

    public boolean snapshotEmpty() {
        return snapshotEmpty;
    }

    public void snapshotEmpty(boolean empty) {
        this.snapshotEmpty = empty;
    }

    /** The members of the page just read that are new to this run (each email once per run). */
    public List<String[]> pageMembers() {
        return pageMembers;
    }

    /** True when the page just read brought members that may have to join the list. */
    public boolean isPageHasMembers() {
        return !pageMembers.isEmpty();
    }

    /** Queues members that are not in the list yet (every member on a full refresh). */
    public void join(List<String[]> members) {
        joiners.addAll(members);
        pageMembers.clear();
    }

    /** True when a full subscribe batch is waiting. */
    public boolean isBatchFull() {
        return joiners.size() >= batchSize;
    }

    /** True while any joiner waits for a subscribe batch. */
    public boolean isJoinersWaiting() {
        return !joiners.isEmpty();
    }

    /** Moves the next batch of joiners into the batch in flight. */
    public List<String[]> takeJoiners() {
        List<String[]> next = joiners.subList(0, Math.min(batchSize, joiners.size()));
        batch.clear();
        batch.addAll(next);
        next.clear();
        return batch;
    }

    public void batchDone(int added, int removed, int failed) {
        this.added += added;
        this.removed += removed;
        this.failed += failed;
    }
}

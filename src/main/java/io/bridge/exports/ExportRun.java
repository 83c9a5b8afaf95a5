package io.bridge.exports;

import io.bridge.iterable.ListSync;
import io.bridge.mixpanel.CohortMember;
import io.bridge.mixpanel.CohortPage;
import io.bridge.mixpanel.CohortQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The state of one cohort export run while its route runs; travels as exchange property
 * {@code run}. Counters end up in {@code sync_runs}. To the Mixpanel adapter it is the reader of a
 * cohort ({@link CohortQuery}), to the Iterable adapter the keeper of a list ({@link ListSync}).
 */
public class ExportRun implements CohortQuery, ListSync {

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

    // push: the pages this run applies (pushAction null: a pull run, reading Mixpanel's Query API)
    String pushAction; // members | add_members | remove_members
    String pushSession;
    final java.util.Set<Integer> pushPagesRead = new java.util.HashSet<>();
    final java.util.ArrayDeque<Integer> pushQueue = new java.util.ArrayDeque<>(); // taken, not read yet, in page order
    int pushTotal; // the session's total_pages
    String pushAbandoned; // why a members session ended before all its pages came: nobody leaves, the run fails

    /** True when the run applies pages Mixpanel pushed, false when it reads the cohort from Mixpanel. */
    public boolean isPushed() {
        return pushAction != null;
    }

    /** True unless the run removes members (remove_members): its members are leavers, not joiners. */
    public boolean isJoining() {
        return !"remove_members".equals(pushAction);
    }

    /** True when the run unsubscribes anyone: who left the cohort (pull, members), or who was removed (remove_members). */
    boolean findsLeavers() {
        return !"add_members".equals(pushAction) && pushAbandoned == null;
    }

    /** True when the leavers are the members this run read (remove_members), not the list's members it did not read. */
    boolean leaversAreRead() {
        return "remove_members".equals(pushAction);
    }

    // Mixpanel paging
    String mixpanelSlot; // the max-concurrent slot of the query in flight, kept across its retries
    String sessionId;
    int page;
    boolean morePages = true;

    // Iterable: the snapshot was empty when the run found the list (a first sync: nobody can have
    // left, and nobody read is in it yet), the joiners waiting for a subscribe batch, the batch in
    // flight (and which of its members the snapshot held as settled before the call), and where the
    // next leavers' batch starts
    boolean snapshotEmpty;
    boolean pendingMarks; // the list has members of unknown standing (list_pending) as the run began
    int batchSize = 1000;
    final SeenEmails seen = new SeenEmails();
    final List<CohortMember> joiners = new ArrayList<>();
    Phase phase = Phase.SUBSCRIBE;
    final List<CohortMember> batch = new ArrayList<>();
    Set<String> batchKnownInList = Set.of();
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

    @Override
    public long cohortId() {
        return cohortId;
    }

    @Override
    public String sessionId() {
        return sessionId;
    }

    @Override
    public int page() {
        return page;
    }

    @Override
    public void mixpanelCall() {
        mixpanelCalls++;
    }

    @Override
    public String listName() {
        return listName;
    }

    @Override
    public Long listId() {
        return listId;
    }

    @Override
    public String listDescription() {
        return "Mixpanel cohort " + cohortId + ", kept in sync by the Mixpanel-Iterable bridge";
    }

    @Override
    public void iterableCall() {
        iterableCalls++;
    }

    /** A page of members read: the next page (if any) uses its session. */
    public List<CohortMember> pageRead(CohortPage page) {
        sessionId = page.sessionId();
        this.page++;
        cohortMembers += page.members().size();
        morePages = page.more();
        return page.members();
    }

    /** False when an earlier member of this run had the same email (each is sent once). */
    public boolean firstWithEmail(CohortMember member) {
        return seen.add(member.emailKey());
    }

    public void noEmail(CohortMember member) {
        skippedNoEmail++;
        report(member.distinctId(), "", "skipped-no-email", "set $email on the user profile");
    }

    public void duplicateEmail(CohortMember member) {
        report(member.distinctId(), member.email(), "skipped-duplicate-email", "an earlier member has the same email");
    }

    /** The members of a page that have an email no earlier member of this run had. */
    public void withEmail(List<CohortMember> members) {
        withEmail += members.size();
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

    public List<CohortMember> batch() {
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
    public Set<String> batchKnownInList() {
        return batchKnownInList;
    }

    public void batchKnownInList(Set<String> keys) {
        this.batchKnownInList = keys;
    }

    public String lastKey() {
        return lastKey;
    }

    /** The next leavers to unsubscribe, read from the snapshot in email_key order. */
    public void nextBatch(List<CohortMember> leavers, Set<String> knownInList) {
        batch.clear();
        batch.addAll(leavers);
        batchKnownInList = knownInList;
        if (!leavers.isEmpty()) {
            lastKey = leavers.get(leavers.size() - 1).emailKey();
        }
    }

    public boolean snapshotEmpty() {
        return snapshotEmpty;
    }

    public void snapshotEmpty(boolean empty) {
        this.snapshotEmpty = empty;
    }

    /** The list has members of unknown standing (list_pending): their marks are settled with their batches. */
    public boolean pendingMarks() {
        return pendingMarks;
    }

    public void pendingMarks(boolean any) {
        this.pendingMarks = any;
    }

    /** Queues members that are not in the list yet (every member on a full refresh). */
    public void join(List<CohortMember> members) {
        joiners.addAll(members);
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
    public List<CohortMember> takeJoiners() {
        List<CohortMember> next = joiners.subList(0, Math.min(batchSize, joiners.size()));
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

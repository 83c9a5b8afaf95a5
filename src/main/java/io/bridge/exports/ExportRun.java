package io.bridge.exports;

import java.util.ArrayList;
import java.util.List;

/**
 * The state of one cohort export run while its route runs; travels as exchange property
 * {@code run}. Counters end up in {@code sync_runs}.
 */
public class ExportRun {

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

    // Mixpanel paging
    String sessionId;
    int page;
    boolean morePages = true;

    // Iterable batches: the emails of the batch in flight, and where the next batch starts
    Phase phase;
    final List<String[]> batch = new ArrayList<>(); // {email_key, email}
    String lastKey = "";

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
    public void pageRead(String session, int members, int newEmails, int withoutEmail, boolean more) {
        sessionId = session;
        page++;
        cohortMembers += members;
        withEmail += newEmails;
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

    /** Starts a phase: the first batch is read from the start. */
    public void phase(Phase phase) {
        this.phase = phase;
        this.lastKey = "";
        this.batch.clear();
    }

    public String lastKey() {
        return lastKey;
    }

    public void nextBatch(List<String[]> rows) {
        batch.clear();
        batch.addAll(rows);
        if (!rows.isEmpty()) {
            lastKey = rows.get(rows.size() - 1)[0];
        }
    }

    public void batchDone(int added, int removed, int failed) {
        this.added += added;
        this.removed += removed;
        this.failed += failed;
    }
}

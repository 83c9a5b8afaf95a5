package io.bridge.mixpanel;

/**
 * What {@link MixpanelCohorts} needs to know of whoever reads a cohort: which cohort, where its
 * paging stands, and where to count the queries; the query slot it holds while a call is in flight.
 */
public interface CohortQuery extends MixpanelBudget.SlotHolder {

    long cohortId();

    /** The session of the pages read so far (null before the first page). */
    String sessionId();

    /** The number of pages read so far: the next page's number. */
    int page();

    /** Counts one query made for this reader. */
    void mixpanelCall();
}

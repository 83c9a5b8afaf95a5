package io.bridge.mixpanel;

import java.util.List;

/**
 * One page of a cohort's members ({@code engage}): the session the next page must name, the
 * members in Mixpanel's order, and whether another page follows.
 */
public record CohortPage(String sessionId, List<CohortMember> members, boolean more) {
}

package io.bridge.mixpanel;

import java.util.List;

/**
 * One call of Mixpanel's cohort-sync webhook: a page of a cohort's members (the whole cohort, paged,
 * for {@code members}; a change for {@code add_members} and {@code remove_members}).
 *
 * @param action     members | add_members | remove_members
 * @param projectId  mixpanel_project_id (null when Mixpanel sent none)
 * @param cohortId   mixpanel_cohort_id
 * @param cohortName mixpanel_cohort_name
 * @param sessionId  mixpanel_session_id: the calls of one sync share it
 * @param page       page_info.page_count, from 1
 * @param totalPages page_info.total_pages
 * @param members    the page's members (distinct id, email; the other exported properties are not kept)
 */
public record CohortPush(String action, String projectId, long cohortId, String cohortName, String sessionId, int page,
        int totalPages, List<CohortMember> members) {

    public static final List<String> ACTIONS = List.of("members", "add_members", "remove_members");

    /** The answer Mixpanel expects when the call had its effect (or had it before: a page sent again). */
    public static java.util.Map<String, Object> success(String action) {
        java.util.Map<String, Object> answer = new java.util.LinkedHashMap<>();
        answer.put("action", action);
        answer.put("status", "success");
        return answer;
    }

    /** The answer Mixpanel expects on a failure; it shows {@code message} to the project's admins. */
    public static java.util.Map<String, Object> failure(String action, int code, String message) {
        java.util.Map<String, Object> answer = new java.util.LinkedHashMap<>();
        answer.put("action", action);
        answer.put("status", "failure");
        java.util.Map<String, Object> error = new java.util.LinkedHashMap<>();
        error.put("message", message);
        error.put("code", code);
        answer.put("error", error);
        return answer;
    }
}

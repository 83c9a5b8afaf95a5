package io.bridge.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Calls of Mixpanel's cohort-sync webhook, as Mixpanel's docs show them, for the tests of /webhooks/mixpanel. */
public final class MixpanelPushes {

    /** The credentials application-test.yaml gives the webhook (bridge.webhooks.mixpanel). */
    public static final String USER = "test-mixpanel";
    public static final String PASSWORD = "test-mixpanel-password";
    public static final String TEST_AUTHORIZATION = "Basic " + java.util.Base64.getEncoder()
            .encodeToString((USER + ":" + PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8));

    private static final ObjectMapper JSON = new ObjectMapper();

    private MixpanelPushes() {
    }

    /** A call as Mixpanel makes it; members are "email" or "email|distinct id", "" for a member without an email. */
    public static String payload(String action, long cohortId, String name, String session, int page, int total, String... members) {
        ObjectNode body = JSON.createObjectNode().put("action", action);
        ObjectNode parameters = body.putObject("parameters");
        parameters.put("mixpanel_project_id", StandIns.PROJECT).put("mixpanel_cohort_id", String.valueOf(cohortId))
                .put("mixpanel_cohort_name", name).put("mixpanel_cohort_description", "").put("mixpanel_session_id", session);
        parameters.putObject("page_info").put("total_pages", total).put("page_count", page);
        ArrayNode list = parameters.putArray("members");
        int i = 0;
        for (String member : members) {
            String[] parts = member.split("\\|", 2);
            ObjectNode m = list.addObject();
            if (!parts[0].isEmpty()) {
                m.put("email", parts[0]);
            }
            m.put("mixpanel_distinct_id", parts.length > 1 ? parts[1] : "d-" + session + "-" + page + "-" + i++);
            m.put("first_name", "F").put("last_name", "L");
        }
        return body.toString();
    }

}

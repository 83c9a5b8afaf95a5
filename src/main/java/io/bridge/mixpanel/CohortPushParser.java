package io.bridge.mixpanel;

import io.bridge.StrictJson;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.springframework.stereotype.Component;

/**
 * Reads a call of Mixpanel's cohort-sync webhook into a {@link CohortPush}, or refuses it with a 4xx
 * ({@link CohortPushRefused}) that names what is wrong: the body must be JSON
 * {@code {"action":..,"parameters":{"mixpanel_cohort_id","mixpanel_cohort_name","mixpanel_session_id",
 * "page_info":{"page_count","total_pages"},"members":[{"email","mixpanel_distinct_id",..}]}}}. A
 * member's other exported properties are read past and not kept. Ids may come as strings or numbers.
 */
@Component("cohortPushParser")
public class CohortPushParser {

    private static final JsonMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    /** Longest email Iterable or the list snapshot takes (RFC 5321: 320 characters). */
    static final int MAX_EMAIL = 320;
    static final int MAX_ID = 256;
    static final int MAX_NAME = 255;
    static final int MAX_SESSION = 160; // push_pages.session_id holds 200: room for a content key (#<32 hex>)
    static final int MAX_PAGES = 100_000;

    private final MixpanelWebhookProperties props;
    private final MixpanelProperties mixpanel;

    public CohortPushParser(MixpanelWebhookProperties props, MixpanelProperties mixpanel) {
        this.props = props;
        this.mixpanel = mixpanel;
    }

    /**
     * The body's bytes (route step read-push-body), at most max-payload-bytes + 1: more is refused
     * by {@link #parse}. HttpEdgeFilter has read the body already; a reader that asks for all of it
     * gets one array of its size. Camel's conversion to byte[] would copy it through a buffer into a
     * growing array and copy that again.
     */
    public byte[] read(@Body InputStream body) throws IOException {
        return body == null ? new byte[0] : body.readNBytes(props.maxPayloadBytes() + 1);
    }

    public CohortPush parse(@Body byte[] body, @Header("Content-Type") String contentType, @Header("Content-Encoding") String encoding) {
        if (body == null || body.length == 0) {
            throw new CohortPushRefused(400, null, "the body is empty: send the cohort-sync JSON");
        }
        if (body.length > props.maxPayloadBytes()) {
            throw new CohortPushRefused(413, null, "the body is larger than " + props.maxPayloadBytes()
                    + " bytes (bridge.webhooks.mixpanel.max-payload-bytes)");
        }
        if (encoding != null && !encoding.isBlank() && !encoding.trim().equalsIgnoreCase("identity")) {
            throw new CohortPushRefused(415, null, "Content-Encoding " + printable(encoding, 40) + " is not accepted: send the JSON as is");
        }
        if (contentType == null || !contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT).equals("application/json")) {
            throw new CohortPushRefused(415, null, "Content-Type must be application/json");
        }
        if (!StrictJson.isJsonInUtf8(contentType)) {
            throw new CohortPushRefused(415, null, "the body must be JSON in UTF-8: Content-Type application/json with no charset "
                    + "or charset=utf-8");
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            String reason = StrictJson.reason(e);
            throw new CohortPushRefused(400, null, "the body is not valid JSON" + (e.getLocation() == null || e.getLocation().getLineNr() < 0
                    ? " (or nests, or holds a number or string, beyond what a cohort-sync call can)"
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")")
                    + (reason.isEmpty() ? "" : ": " + reason));
        } catch (IOException e) {
            throw new CohortPushRefused(400, null, "the body could not be read as JSON");
        }
        if (root == null || !root.isObject()) {
            throw new CohortPushRefused(400, null, "the body must be a JSON object {\"action\":..,\"parameters\":{..}}");
        }
        JsonNode actionNode = root.get("action");
        if (actionNode == null || !actionNode.isTextual() || !CohortPush.ACTIONS.contains(actionNode.asText())) {
            throw new CohortPushRefused(400, null, "action must be one of " + CohortPush.ACTIONS);
        }
        String action = actionNode.asText();
        JsonNode parameters = root.get("parameters");
        if (parameters == null || !parameters.isObject()) {
            throw new CohortPushRefused(400, action, "parameters must be a JSON object");
        }
        boolean projectSet = mixpanel.projectId() != null && !mixpanel.projectId().isBlank();
        String projectId = id(parameters, "mixpanel_project_id", action, projectSet);
        if (projectSet && !projectId.equals(mixpanel.projectId())) {
            throw new CohortPushRefused(403, action, "this bridge serves Mixpanel project " + mixpanel.projectId()
                    + ", not " + printable(projectId, 40) + " (bridge.mixpanel.project-id)");
        }
        String cohort = id(parameters, "mixpanel_cohort_id", action, true);
        long cohortId;
        try {
            cohortId = Long.parseLong(cohort);
        } catch (NumberFormatException e) {
            cohortId = -1;
        }
        if (cohortId <= 0) {
            throw new CohortPushRefused(400, action, "parameters.mixpanel_cohort_id must be a positive whole number");
        }
        String name = text(parameters, "mixpanel_cohort_name", action, MAX_NAME);
        if (name == null || name.isBlank()) {
            throw new CohortPushRefused(400, action, "parameters.mixpanel_cohort_name must be a non-empty string (the list is named after it)");
        }
        String session = text(parameters, "mixpanel_session_id", action, MAX_SESSION);
        if (session == null || session.isBlank()) {
            throw new CohortPushRefused(400, action, "parameters.mixpanel_session_id must be a non-empty string");
        }
        int page = 1;
        int total = 1;
        JsonNode pageInfo = parameters.get("page_info");
        if (pageInfo != null && !pageInfo.isNull()) {
            if (!pageInfo.isObject()) {
                throw new CohortPushRefused(400, action, "parameters.page_info must be {\"page_count\":n,\"total_pages\":m}");
            }
            page = count(pageInfo, "page_count", action);
            total = count(pageInfo, "total_pages", action);
            if (page > total) {
                throw new CohortPushRefused(400, action, "parameters.page_info.page_count (" + page + ") is beyond total_pages (" + total + ")");
            }
        } else if (action.equals("members")) {
            throw new CohortPushRefused(400, action, "parameters.page_info is required for members: {\"page_count\":n,\"total_pages\":m}");
        }
        JsonNode members = parameters.get("members");
        if (members == null || !members.isArray()) {
            throw new CohortPushRefused(400, action, "parameters.members must be a JSON array of members");
        }
        if (members.size() > props.maxMembersPerPage()) {
            throw new CohortPushRefused(413, action, "a page holds " + members.size() + " members, at most "
                    + props.maxMembersPerPage() + " are accepted (bridge.webhooks.mixpanel.max-members-per-page)");
        }
        List<CohortMember> read = new ArrayList<>(members.size());
        for (int i = 0; i < members.size(); i++) {
            JsonNode member = members.get(i);
            String where = "parameters.members[" + i + "]";
            if (!member.isObject()) {
                throw new CohortPushRefused(400, action, where + " must be a JSON object");
            }
            String email = text(member, "email", action, where, MAX_EMAIL);
            String distinctId = id(member, "mixpanel_distinct_id", action, where);
            read.add(new CohortMember(distinctId == null ? "" : distinctId, email));
        }
        if (pageInfo == null || pageInfo.isNull()) {
            // a diff without page_info: each call its own page, known again by its content if Mixpanel retries it
            session = session + "#" + contentKey(members.toString());
        }
        return new CohortPush(action, projectId, cohortId, name.trim(), session, page, total, read);
    }

    private static String contentKey(String content) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static int count(JsonNode pageInfo, String field, String action) {
        JsonNode node = pageInfo.get(field);
        if (node == null || !node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < 1 || node.asInt() > MAX_PAGES) {
            throw new CohortPushRefused(400, action, "parameters.page_info." + field + " must be a whole number from 1 to " + MAX_PAGES);
        }
        return node.asInt();
    }

    private static String id(JsonNode parent, String field, String action, boolean required) {
        String value = id(parent, field, action, "parameters");
        if (required && value == null) {
            throw new CohortPushRefused(400, action, "parameters." + field + " is required");
        }
        return value;
    }

    /** An id Mixpanel may send as a string or a number; null when absent. */
    private static String id(JsonNode parent, String field, String action, String where) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual() && !node.isIntegralNumber()) {
            throw new CohortPushRefused(400, action, where + "." + field + " must be a string or a whole number");
        }
        String value = node.asText();
        if (value.length() > MAX_ID || controlCharacter(value)) {
            throw new CohortPushRefused(400, action, where + "." + field + " must be at most " + MAX_ID
                    + " characters without control characters");
        }
        return value;
    }

    private static String text(JsonNode parent, String field, String action, int max) {
        return text(parent, field, action, "parameters", max);
    }

    private static String text(JsonNode parent, String field, String action, String where, int max) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new CohortPushRefused(400, action, where + "." + field + " must be a string");
        }
        String value = node.asText();
        if (value.length() > max || controlCharacter(value)) {
            throw new CohortPushRefused(400, action, where + "." + field + " must be at most " + max
                    + " characters without control characters");
        }
        return value;
    }

    private static boolean controlCharacter(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !validPair(s, i)) {
                return true;
            }
        }
        return false;
    }

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /** A value from the request, fit to be quoted in an answer or a log line: printable, bounded. */
    static String printable(String value, int max) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && out.length() < max; i++) {
            char c = value.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return "'" + out + (value.length() > max ? "...'" : "'");
    }
}

package io.bridge.fakes;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stand-in for Mixpanel's Query API, for tests, benchmarks and the demo profile (never enabled
 * otherwise), as ../shared/reference/mixpanel-api.md describes the real one: service-account Basic
 * auth and project_id on every call, cohorts/list, and engage paged by session_id + page (a session
 * keeps the members as they were when it began).
 */
public class FakeMixpanel extends FakeHttpApi {

    public record Member(String distinctId, String email) {
    }

    record Cohort(String name, List<Member> members) {
    }

    private final String projectId;
    private final String authorization;
    private final Map<Long, Cohort> cohorts = new ConcurrentHashMap<>();
    private final Map<String, List<Member>> sessions = new ConcurrentHashMap<>();
    private final Map<Long, Integer> reads = new ConcurrentHashMap<>();
    private volatile int pageSize = 1000;
    private final Map<Long, java.util.function.UnaryOperator<List<Member>>> changes = new ConcurrentHashMap<>();

    public FakeMixpanel(String projectId, String username, String secret) {
        this(0, projectId, username, secret);
    }

    public FakeMixpanel(int port, String projectId, String username, String secret) {
        super(port);
        this.projectId = projectId;
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((username + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    public void cohort(long id, String name, List<Member> members) {
        cohorts.put(id, new Cohort(name, List.copyOf(members)));
    }

    /** The cohort's members as they stand (as the last read found them, or as set). */
    public List<Member> members(long cohortId) {
        Cohort cohort = cohorts.get(cohortId);
        return cohort == null ? List.of() : cohort.members();
    }

    /** From the second read on, each new read of the cohort (a new session) first applies this change. */
    public void changeOnEachRun(long cohortId, java.util.function.UnaryOperator<List<Member>> change) {
        changes.put(cohortId, change);
    }

    public void pageSize(int size) {
        this.pageSize = size;
    }

    @Override
    protected void handle(HttpExchange exchange, String path, String body) throws Exception {
        if (!authorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            send(exchange, 401, "application/json", "{\"error\":\"Invalid service account credentials\",\"status\":\"error\"}");
            return;
        }
        Map<String, String> query = form(exchange.getRequestURI().getRawQuery());
        if (!projectId.equals(query.get("project_id"))) {
            send(exchange, 400, "application/json", "{\"error\":\"project_id is required\",\"status\":\"error\"}");
            return;
        }
        if (path.equals("/api/query/cohorts/list")) {
            ArrayNode list = JSON.createArrayNode();
            cohorts.forEach((id, c) -> list.addObject().put("id", id).put("name", c.name()).put("count", c.members().size())
                    .put("project_id", Long.parseLong(projectId)).put("is_visible", 1));
            send(exchange, 200, "application/json", list.toString());
        } else if (path.equals("/api/query/engage")) {
            engage(exchange, form(body));
        } else {
            send(exchange, 404, "application/json", "{\"error\":\"not found\"}");
        }
    }

    private void engage(HttpExchange exchange, Map<String, String> form) throws Exception {
        long cohortId = JSON.readTree(form.get("filter_by_cohort")).path("id").asLong();
        int page = Integer.parseInt(form.getOrDefault("page", "0"));
        String session = form.get("session_id");
        List<Member> members;
        if (page == 0 && session == null) {
            Cohort cohort = cohorts.get(cohortId);
            if (cohort != null && changes.containsKey(cohortId) && reads.merge(cohortId, 1, Integer::sum) > 1) {
                cohort = new Cohort(cohort.name(), List.copyOf(changes.get(cohortId).apply(cohort.members())));
                cohorts.put(cohortId, cohort);
            }
            members = cohort == null ? List.of() : cohort.members();
            session = UUID.randomUUID().toString();
            sessions.put(session, members);
        } else {
            members = session == null ? null : sessions.get(session);
            if (members == null) {
                send(exchange, 400, "application/json", "{\"error\":\"page > 0 requires a valid session_id\",\"status\":\"error\"}");
                return;
            }
        }
        ObjectNode answer = JSON.createObjectNode().put("page", page).put("page_size", pageSize).put("session_id", session)
                .put("status", "ok");
        if (page == 0) {
            answer.put("total", members.size());
        }
        ArrayNode results = answer.putArray("results");
        for (int i = page * pageSize; i < Math.min(members.size(), (page + 1) * pageSize); i++) {
            Member m = members.get(i);
            ObjectNode properties = results.addObject().put("$distinct_id", m.distinctId()).putObject("$properties");
            if (m.email() != null) {
                properties.put("$email", m.email());
            }
            properties.put("$first_name", "F" + i);
        }
        send(exchange, 200, "application/json", answer.toString());
    }

    static Map<String, String> form(String encoded) {
        Map<String, String> values = new HashMap<>();
        if (encoded == null || encoded.isEmpty()) {
            return values;
        }
        for (String pair : encoded.split("&")) {
            String[] kv = pair.split("=", 2);
            values.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return values;
    }

    public static List<Member> members(String... emails) {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < emails.length; i++) {
            members.add(new Member("d-" + i + "-" + emails[i], emails[i]));
        }
        return members;
    }
}

package io.bridge.fakes;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stand-in for Mixpanel's Query API, for tests, benchmarks and the demo profile (never enabled
 * otherwise), as ../shared/reference/mixpanel-api.md describes the real one: service-account Basic
 * auth and project_id on every call, cohorts/list, and engage paged by session_id + page (a session
 * keeps the members as they were when it began).
 *
 * <p>It checks what Mixpanel checks and answers a malformed request as Mixpanel does, with its error
 * body {@code {"request":"<path>?<query>","error":".."}}; each such request is a {@linkplain
 * #violations() violation}. The rules:
 * <ul>
 * <li>HTTP Basic auth (none, or not Basic: 401, a violation; wrong credentials: 401, and a project
 *     that is not the service account's: 403, neither a violation: that is how credentials are
 *     tried) and {@code project_id} on every call, in the query string (missing or not a number: 400);</li>
 * <li>{@code POST /api/query/cohorts/list} and {@code POST /api/query/engage} only (another path:
 *     404; another method: 405, <i>unconfirmed</i>), parameters in an
 *     {@code application/x-www-form-urlencoded} body (Mixpanel reads no other: 400 here, where
 *     Mixpanel would answer as if nothing were asked, for engage every profile of the project);</li>
 * <li>engage: {@code filter_by_cohort} a JSON object with the single key {@code id}, a whole number;
 *     {@code output_properties} a JSON array of strings; {@code include_all_users} true or false;
 *     {@code page} a whole number from 0, and above 0 only with the {@code session_id} of a session
 *     this stand-in started (else 400). Taken but recorded as violations: no {@code filter_by_cohort}
 *     (400 here: Mixpanel would answer every profile), no {@code output_properties} (Mixpanel sends
 *     every property of every profile: this stand-in adds some), no {@code include_all_users=false}
 *     (Mixpanel may include distinct_ids without a profile), parameters engage does not know;</li>
 * <li>{@code POST /import?strict=1&project_id=N} (Import Events, the Ingestion API): a JSON array
 *     ({@code application/json}) or NDJSON ({@code application/x-ndjson}), gzip or not, at most 2,000
 *     events and 10 MB uncompressed ({@link #importLimits} lowers them for a test: then 413/400
 *     without a violation). Each event: {@code event} a non-empty string, {@code properties.time}
 *     a number (seconds or milliseconds) after 1971-01-01 and at most an hour ahead,
 *     {@code properties.distinct_id} a string that is no placeholder, {@code properties.$insert_id}
 *     1-36 characters of letters, digits and '-', fewer than 255 properties. Strict mode answers 400
 *     with {@code failed_records} for the events that break a rule, and imports the others; events
 *     are deduplicated on (event, distinct_id, time, $insert_id) as Mixpanel does. Breaking a rule
 *     the bridge can check itself (no strict=1, no $insert_id, a placeholder distinct_id, more than
 *     2,000 events) is also a violation; a time out of range is the data's, not a violation.
 *     {@link #refuseEvents} makes it refuse chosen events (a 400 partial success).</li>
 * <li>60 queries per hour and 5 at once per project ({@link #limits}; every page is a query): 429
 *     {@code "Query rate limit exceeded for project_id: N..."}, a violation, since the bundle keeps a
 *     budget to stay under them. Tests whose bundle has a larger budget raise them to match.</li>
 * </ul>
 */
public class FakeMixpanel extends FakeHttpApi {

    /** Mixpanel's Query API limits per project. */
    public static final int QUERIES_PER_HOUR = 60;
    public static final int MAX_CONCURRENT = 5;

    public record Member(String distinctId, String email) {
    }

    record Cohort(String name, List<Member> members) {
    }

    private static final ObjectReader STRICT = JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Set<String> QUERY_PARAMETERS = Set.of("project_id", "workspace_id");
    private static final Set<String> ENGAGE_PARAMETERS = Set.of("distinct_id", "distinct_ids", "data_group_id", "where",
            "output_properties", "session_id", "page", "behaviors", "as_of_timestamp", "filter_by_cohort", "include_all_users");
    private static final long HOUR_NANOS = 3_600_000_000_000L;

    private final String projectId;
    private final String authorization;
    private final Map<Long, Cohort> cohorts = new ConcurrentHashMap<>();
    private final Map<String, List<Member>> sessions = new ConcurrentHashMap<>();
    private final Map<Long, Integer> reads = new ConcurrentHashMap<>();
    private volatile int pageSize = 1000;
    private final Map<Long, java.util.function.UnaryOperator<List<Member>>> changes = new ConcurrentHashMap<>();
    private volatile int queriesPerHour = QUERIES_PER_HOUR;
    private volatile int maxConcurrent = MAX_CONCURRENT;
    /** When each query of the last hour arrived (System.nanoTime). */
    private final Deque<Long> hour = new ArrayDeque<>();

    /** Import Events: at most this many events and uncompressed bytes per request (Mixpanel's). */
    public static final int IMPORT_MAX_EVENTS = 2000;
    public static final int IMPORT_MAX_BYTES = 10_000_000;
    private static final java.util.regex.Pattern INSERT_ID = java.util.regex.Pattern.compile("[A-Za-z0-9-]{1,36}");
    private static final Set<String> PLACEHOLDER_IDS = Set.of("anon", "anonymous", "null", "none", "nil", "undefined", "unknown",
            "0", "-1", "00000000-0000-0000-0000-000000000000", "n/a", "na", "<nil>", "true", "false", "[]", "{}");
    private static final long YEAR_1971_MS = 31_536_000_000L;

    /** The events imported, once each, by (event, distinct_id, time, $insert_id), in the order they came. */
    private final Map<String, ObjectNode> imported = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    /** How often each $insert_id arrived in an accepted event (retries and replays arrive again). */
    private final Map<String, Integer> received = new ConcurrentHashMap<>();
    /** Events to refuse as failed_records: the test's rule and the message. */
    private final List<Map.Entry<java.util.function.Predicate<ObjectNode>, String>> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger importRequests = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean keepEvents = true;
    private static final ObjectNode COUNTED = JSON.createObjectNode();
    private volatile int importMaxEvents = IMPORT_MAX_EVENTS;
    private volatile int importMaxBytes = IMPORT_MAX_BYTES;

    public FakeMixpanel(String projectId, String username, String secret) {
        this(0, projectId, username, secret);
    }

    public FakeMixpanel(int port, String projectId, String username, String secret) {
        super(port);
        this.projectId = projectId;
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((username + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    /** Sets the project's limits (Mixpanel's: {@value #QUERIES_PER_HOUR} an hour, {@value #MAX_CONCURRENT} at once). */
    public FakeMixpanel limits(int queriesPerHour, int maxConcurrent) {
        this.queriesPerHour = queriesPerHour;
        this.maxConcurrent = maxConcurrent;
        return this;
    }

    /** Starts a new hour: the queries made so far no longer count. */
    public synchronized void resetHour() {
        hour.clear();
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

    /** Lowers Import's limits for a test (events, uncompressed bytes per request); Mixpanel's are 2,000 and 10 MB. */
    public FakeMixpanel importLimits(int maxEvents, int maxBytes) {
        this.importMaxEvents = maxEvents;
        this.importMaxBytes = maxBytes;
        return this;
    }

    /** false: imports are counted and deduplicated but the events not kept (a benchmark's millions; imported() then holds empty objects). */
    public FakeMixpanel keepEvents(boolean keep) {
        this.keepEvents = keep;
        return this;
    }

    /** How many events are imported, once each as Mixpanel counts them. */
    public int importedCount() {
        return imported.size();
    }

    /** Refuses the events that match as strict mode does (failed_records with this message), importing the others. */
    public void refuseEvents(java.util.function.Predicate<ObjectNode> which, String message) {
        refusals.add(Map.entry(which, message));
    }

    /** The events imported, once each as Mixpanel counts them, in the order they came. */
    public List<ObjectNode> imported() {
        synchronized (imported) {
            return List.copyOf(imported.values());
        }
    }

    /** How many times an event with this $insert_id came in an import request that Mixpanel took. */
    public int receivedTimes(String insertId) {
        return received.getOrDefault(insertId, 0);
    }

    /** Events that came in accepted requests, duplicates included. */
    public int receivedEvents() {
        return received.values().stream().mapToInt(Integer::intValue).sum();
    }

    public int importRequests() {
        return importRequests.get();
    }

    /** Forgets imported events, refusals and lowered limits. */
    public void resetImports() {
        imported.clear();
        received.clear();
        refusals.clear();
        importRequests.set(0);
        importMaxEvents = IMPORT_MAX_EVENTS;
        importMaxBytes = IMPORT_MAX_BYTES;
    }

    private static Answer error(Call call, int status, String error) {
        StringBuilder request = new StringBuilder(call.path());
        String sep = "?";
        for (Map.Entry<String, String> q : call.query().entrySet()) {
            request.append(sep).append(q.getKey()).append('=').append(q.getValue());
            sep = "&";
        }
        ObjectNode body = JSON.createObjectNode().put("request", request.toString()).put("error", error);
        return new Answer(status, "application/json", body.toString());
    }

    @Override
    protected Answer refuse(Call call, int status, String problem) {
        violation(call.method(), call.path(), status + ": " + problem);
        return error(call, status, problem);
    }

    @Override
    protected Answer admit(String method, String path, int atOnce) {
        if (path.equals("/import")) {
            return null; // the Ingestion API's limits are not the Query API's
        }
        if (atOnce > maxConcurrent) {
            violation(method, path, "429: " + atOnce + " queries at once; Mixpanel allows " + maxConcurrent + " per project");
            return new Answer(429, "application/json", JSON.createObjectNode().put("request", path)
                    .put("error", "Query rate limit exceeded for project_id: " + projectId + ". Too many concurrent queries ("
                            + maxConcurrent + " allowed).").toString());
        }
        synchronized (this) {
            long now = System.nanoTime();
            while (!hour.isEmpty() && now - hour.peekFirst() > HOUR_NANOS) {
                hour.removeFirst();
            }
            if (hour.size() >= queriesPerHour) {
                violation(method, path, "429: query " + (hour.size() + 1) + " within an hour; Mixpanel allows " + queriesPerHour
                        + " per project");
                return new Answer(429, "application/json", JSON.createObjectNode().put("request", path)
                        .put("error", "Query rate limit exceeded for project_id: " + projectId + ". " + queriesPerHour
                                + " queries per hour allowed.").toString());
            }
            hour.addLast(now);
        }
        return null;
    }

    @Override
    protected Answer check(Call call) throws Exception {
        String auth = call.header("Authorization");
        if (auth == null || !auth.startsWith("Basic ")) {
            return refuse(call, 401, "no HTTP Basic authorization (a service account's username:secret)");
        }
        if (!authorization.equals(auth)) {
            return error(call, 401, "Invalid service account credentials"); // how credentials are tried: not a violation
        }
        String project = call.query().get("project_id");
        if (project == null || !project.matches("\\d{1,18}")) {
            return refuse(call, 400, "project_id must be given in the query string, as a number; got " + project);
        }
        if (!projectId.equals(project)) {
            return error(call, 403, "service account is not a member of project " + project); // not a violation
        }
        Set<String> unknownQuery = new TreeSet<>(call.query().keySet());
        unknownQuery.removeAll(QUERY_PARAMETERS);
        if (call.path().equals("/import")) {
            return checkImport(call);
        }
        if (!call.path().equals("/api/query/cohorts/list") && !call.path().equals("/api/query/engage")) {
            return refuse(call, 404, "no such query endpoint: " + call.path());
        }
        if (!call.method().equals("POST")) {
            return refuse(call, 405, call.path() + " takes POST, not " + call.method()); // unconfirmed: Mixpanel's status for it
        }
        String type = mediaType(call.header("Content-Type"));
        if (!call.body().isEmpty() && !type.equals("application/x-www-form-urlencoded")) {
            return refuse(call, 400, "parameters must come as application/x-www-form-urlencoded, got Content-Type " + type
                    + " (Mixpanel would read none of them)");
        }
        Map<String, String> form;
        try {
            form = form(call.body());
        } catch (IllegalArgumentException notEncoded) {
            return refuse(call, 400, "the body is not URL-encoded: " + notEncoded.getMessage());
        }
        if (call.path().equals("/api/query/cohorts/list")) {
            unknownQuery.addAll(form.keySet());
            if (!unknownQuery.isEmpty()) {
                violation(call.method(), call.path(), "parameters cohorts/list does not take (ignored): " + unknownQuery);
            }
            return null;
        }
        return checkEngage(call, form, unknownQuery);
    }

    private Answer checkEngage(Call call, Map<String, String> form, Set<String> unknown) {
        form.keySet().stream().filter(name -> !ENGAGE_PARAMETERS.contains(name)).forEach(unknown::add);
        if (!unknown.isEmpty()) {
            violation(call.method(), call.path(), "parameters engage does not take (ignored): " + unknown);
        }
        String filter = form.get("filter_by_cohort");
        if (filter == null) {
            // Mixpanel would answer every profile of the project
            return refuse(call, 400, "no filter_by_cohort: Mixpanel would answer every profile of the project");
        }
        JsonNode cohort = json(filter);
        if (cohort == null || !cohort.isObject() || cohort.size() != 1 || !cohort.path("id").isIntegralNumber()) {
            return refuse(call, 400, "filter_by_cohort must be a JSON object with the single key id, a whole number; got " + filter);
        }
        String output = form.get("output_properties");
        if (output == null) {
            violation(call.method(), call.path(), "no output_properties: Mixpanel sends every property of every profile");
        } else {
            JsonNode properties = json(output);
            boolean strings = properties != null && properties.isArray();
            for (JsonNode p : strings ? properties : JSON.createArrayNode()) {
                strings &= p.isTextual();
            }
            if (!strings) {
                return refuse(call, 400, "output_properties must be a JSON array of property names; got " + output);
            }
        }
        String all = form.get("include_all_users");
        if (all != null && !all.equals("true") && !all.equals("false")) {
            return refuse(call, 400, "include_all_users must be true or false; got " + all);
        }
        if (!"false".equals(all)) {
            violation(call.method(), call.path(), "include_all_users is not false: Mixpanel may include distinct_ids without a profile");
        }
        String page = form.get("page");
        if (page != null && !page.matches("\\d{1,9}")) {
            return refuse(call, 400, "page must be a whole number from 0; got " + page);
        }
        String session = form.get("session_id");
        if (page != null && Integer.parseInt(page) > 0 && session == null) {
            return refuse(call, 400, "page " + page + " requires the session_id of the first page's answer");
        }
        if (session != null && !sessions.containsKey(session)) {
            return refuse(call, 400, "session_id " + session + " is not a session of this project");
        }
        return null;
    }

    /** The events of an import request once it passed {@link #checkImport} (parsed again by {@link #handle}). */
    private Answer checkImport(Call call) throws Exception {
        importRequests.incrementAndGet();
        if (!call.method().equals("POST")) {
            return refuse(call, 405, "/import takes POST, not " + call.method());
        }
        Set<String> unknown = new TreeSet<>(call.query().keySet());
        unknown.removeAll(Set.of("project_id", "strict"));
        if (!unknown.isEmpty()) {
            violation(call.method(), call.path(), "parameters /import does not take (ignored): " + unknown);
        }
        if (!"1".equals(call.query().get("strict"))) {
            violation(call.method(), call.path(), "no strict=1: Mixpanel would drop invalid events without saying which");
        }
        String type = mediaType(call.header("Content-Type"));
        if (!type.equals("application/json") && !type.equals("application/x-ndjson")) {
            return refuse(call, 400, "Content-Type must be application/json or application/x-ndjson, got " + type);
        }
        byte[] raw;
        try {
            raw = importBody(call);
        } catch (java.io.IOException e) {
            return refuse(call, 400, "the body is not valid gzip (Content-Encoding: gzip)");
        }
        if (raw.length > importMaxBytes) {
            if (raw.length > IMPORT_MAX_BYTES) {
                violation(call.method(), call.path(), "413: " + raw.length + " bytes uncompressed; Mixpanel takes at most 10 MB");
            }
            return error(call, 413, "request body too large: " + raw.length + " bytes, at most " + importMaxBytes);
        }
        List<JsonNode> events = importEvents(raw, type);
        if (events == null) {
            return refuse(call, 400, "the body is not a JSON array of events (or NDJSON)");
        }
        if (events.size() > importMaxEvents) {
            if (events.size() > IMPORT_MAX_EVENTS) {
                violation(call.method(), call.path(), events.size() + " events in one request; Mixpanel takes at most 2000");
            }
            return error(call, 400, "too many events: " + events.size() + ", at most " + importMaxEvents);
        }
        if (events.isEmpty()) {
            return refuse(call, 400, "no events in the request");
        }
        return null;
    }

    private static byte[] importBody(Call call) throws java.io.IOException {
        String encoding = call.header("Content-Encoding");
        if (encoding != null && encoding.trim().equalsIgnoreCase("gzip")) {
            try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(call.bytes()))) {
                return in.readAllBytes();
            }
        }
        return call.bytes();
    }

    private static List<JsonNode> importEvents(byte[] raw, String type) {
        List<JsonNode> events = new ArrayList<>();
        try {
            if (type.equals("application/x-ndjson")) {
                for (String line : new String(raw, StandardCharsets.UTF_8).split("\n")) {
                    if (!line.isBlank()) {
                        events.add(STRICT.readTree(line));
                    }
                }
                return events;
            }
            JsonNode array = STRICT.readTree(raw);
            if (array == null || !array.isArray()) {
                return null;
            }
            array.forEach(events::add);
            return events;
        } catch (java.io.IOException notJson) {
            return null;
        }
    }

    /** Imports the events that keep Mixpanel's rules; answers 200, or 400 with failed_records for the others. */
    private void importEvents(HttpExchange exchange, Call call) throws Exception {
        List<JsonNode> events = importEvents(importBody(call), mediaType(call.header("Content-Type")));
        ArrayNode failed = JSON.createArrayNode();
        int ok = 0;
        long now = System.currentTimeMillis();
        for (int i = 0; i < events.size(); i++) {
            JsonNode event = events.get(i);
            JsonNode properties = event.path("properties");
            String insertId = properties.path("$insert_id").isTextual() ? properties.path("$insert_id").asText() : null;
            String[] problem = eventProblem(event, properties, insertId, now, call);
            if (problem == null && event instanceof ObjectNode o) {
                for (Map.Entry<java.util.function.Predicate<ObjectNode>, String> refusal : refusals) {
                    if (refusal.getKey().test(o)) {
                        problem = new String[] {"properties", refusal.getValue()};
                        break;
                    }
                }
            }
            if (problem != null) {
                ObjectNode f = failed.addObject().put("index", i).put("field", problem[0]).put("message", problem[1]);
                if (insertId != null) {
                    f.put("$insert_id", insertId);
                }
                continue;
            }
            ok++;
            received.merge(insertId, 1, Integer::sum);
            String key = event.path("event").asText() + "\u0000" + properties.path("distinct_id").asText() + "\u0000"
                    + properties.path("time").asText() + "\u0000" + insertId;
            imported.putIfAbsent(key, keepEvents ? (ObjectNode) event : COUNTED);
        }
        ObjectNode answer = JSON.createObjectNode().put("code", failed.isEmpty() ? 200 : 400).put("num_records_imported", ok)
                .put("status", failed.isEmpty() ? "OK" : "Bad Request");
        if (!failed.isEmpty()) {
            answer.set("failed_records", failed);
        }
        send(exchange, failed.isEmpty() ? 200 : 400, "application/json", answer.toString());
    }

    /** The field and the message of the rule the event breaks, or null; a rule the bridge can check itself is also a violation. */
    private String[] eventProblem(JsonNode event, JsonNode properties, String insertId, long now, Call call) {
        String[] problem = null;
        boolean bridgesFault = true;
        if (!event.isObject() || !event.path("event").isTextual() || event.path("event").asText().isEmpty()) {
            problem = new String[] {"event", "'event' must be a non-empty string"};
        } else if (!properties.isObject()) {
            problem = new String[] {"properties", "'properties' must be an object"};
        } else if (properties.size() >= 255) {
            problem = new String[] {"properties", "too many properties: " + properties.size() + ", at most 255"};
            bridgesFault = false;
        } else if (!properties.path("time").isNumber()) {
            problem = new String[] {"properties.time", "'properties.time' must be a number"};
        } else if (insertId == null || !INSERT_ID.matcher(insertId).matches()) {
            problem = new String[] {"properties.$insert_id", "'$insert_id' must be 1-36 characters of letters, digits or '-'"};
        } else if (!properties.path("distinct_id").isTextual()) {
            problem = new String[] {"properties.distinct_id", "'distinct_id' must be a string"};
        } else if (PLACEHOLDER_IDS.contains(properties.path("distinct_id").asText().strip().toLowerCase(java.util.Locale.ROOT))) {
            problem = new String[] {"properties.distinct_id", "'distinct_id' is an invalid placeholder value: "
                    + properties.path("distinct_id").asText()};
        } else {
            long time = properties.path("time").asLong();
            long ms = time < 100_000_000_000L ? time * 1000 : time;
            if (ms < YEAR_1971_MS || ms > now + 3_600_000L) {
                problem = new String[] {"properties.time", "'properties.time' " + time + " is before 1971-01-01 or more than "
                        + "1 hour in the future"};
                bridgesFault = false;
            }
        }
        if (problem != null && bridgesFault) {
            violation(call.method(), call.path(), "an event Mixpanel refuses: " + problem[1]);
        }
        return problem;
    }

    private static JsonNode json(String text) {
        try {
            return STRICT.readTree(text);
        } catch (Exception notJson) {
            return null;
        }
    }

    @Override
    protected void handle(HttpExchange exchange, Call call) throws Exception {
        if (call.path().equals("/import")) {
            importEvents(exchange, call);
        } else if (call.path().equals("/api/query/cohorts/list")) {
            ArrayNode list = JSON.createArrayNode();
            cohorts.forEach((id, c) -> list.addObject().put("id", id).put("name", c.name()).put("count", c.members().size())
                    .put("description", "").put("created", "2019-03-19 23:49:51")
                    .put("project_id", Long.parseLong(projectId)).put("is_visible", 1));
            send(exchange, 200, "application/json", list.toString());
        } else {
            engage(exchange, form(call.body()));
        }
    }

    private void engage(HttpExchange exchange, Map<String, String> form) throws Exception {
        long cohortId = JSON.readTree(form.get("filter_by_cohort")).path("id").asLong();
        int page = Integer.parseInt(form.getOrDefault("page", "0"));
        String session = form.get("session_id");
        List<Member> members;
        if (session == null) {
            Cohort cohort = cohorts.get(cohortId);
            if (cohort != null && changes.containsKey(cohortId) && reads.merge(cohortId, 1, Integer::sum) > 1) {
                cohort = new Cohort(cohort.name(), List.copyOf(changes.get(cohortId).apply(cohort.members())));
                cohorts.put(cohortId, cohort);
            }
            members = cohort == null ? List.of() : cohort.members();
            session = UUID.randomUUID().toString();
            sessions.put(session, members);
        } else {
            members = sessions.get(session);
        }
        Set<String> wanted = form.containsKey("output_properties")
                ? new TreeSet<>(JSON.convertValue(JSON.readTree(form.get("output_properties")), List.class)) : null;
        ObjectNode answer = JSON.createObjectNode().put("page", page).put("page_size", pageSize).put("session_id", session)
                .put("status", "ok");
        if (page == 0) {
            answer.put("total", members.size());
        }
        ArrayNode results = answer.putArray("results");
        for (int i = page * pageSize; i < Math.min(members.size(), (page + 1) * pageSize); i++) {
            Member m = members.get(i);
            Map<String, String> profile = new LinkedHashMap<>();
            if (m.email() != null) {
                profile.put("$email", m.email());
            }
            profile.put("$first_name", "F" + i);
            profile.put("$city", "Lisbon"); // what nobody asked for comes only when nothing was asked for
            profile.put("$last_seen", "2026-01-01T00:00:00");
            ObjectNode properties = results.addObject().put("$distinct_id", m.distinctId()).putObject("$properties");
            profile.forEach((name, value) -> {
                if (wanted == null || wanted.contains(name)) {
                    properties.put(name, value);
                }
            });
        }
        send(exchange, 200, "application/json", answer.toString());
    }

    public static List<Member> members(String... emails) {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < emails.length; i++) {
            members.add(new Member("d-" + i + "-" + emails[i], emails[i]));
        }
        return members;
    }
}

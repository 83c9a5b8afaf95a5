package io.bridge.mixpanel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bridge.ApiProblem;
import io.bridge.exports.ExportRun;
import io.bridge.OutboundHttp;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.springframework.stereotype.Component;

/**
 * Mixpanel's Query API for cohort export: the cohort's name ({@code cohorts/list}) and its members
 * page by page ({@code engage} with {@code filter_by_cohort}, {@code session_id} and {@code page}).
 * The route makes the calls through Camel's http component; this bean writes the requests and
 * reads the answers.
 */
@Component("mixpanelCohorts")
public class MixpanelCohorts {

    /** Mixpanel's engage page size. */
    static final int PAGE_SIZE = 1000;
    static final String OUTPUT_PROPERTIES = "[\"$email\",\"$first_name\",\"$last_name\"]";

    /** Exchange properties of the listing: the cohorts when the cache answers, their age (s), the cohort asked about. */
    public static final String LISTING = "cohortListing";
    public static final String LISTING_AGE = "cohortListingAge";
    public static final String WANTED = "wantedCohortId";

    private final ObjectMapper mapper = new ObjectMapper();
    private final MixpanelProperties props;
    private final MixpanelBudget budget;
    /** The last listing Mixpanel gave this replica (each replica keeps its own; the syncs' reserve is MixpanelBudget's). */
    private volatile Listing listing;
    private Clock clock = Clock.systemUTC(); // tests move it to age the listing

    public MixpanelCohorts(MixpanelProperties props, MixpanelBudget budget) {
        this.props = props;
        this.budget = budget;
    }

    public void cohortsListRequest(Exchange exchange, @ExchangeProperty("run") CohortQuery query) {
        call(exchange, query, "/cohorts/list");
        exchange.getMessage().setBody("");
    }

    /**
     * The cohort's name, from Mixpanel's cohorts/list; fails when the cohort does not exist, or when
     * reading it takes more queries than the hour has left.
     */
    public String acceptCohortsList(@Body InputStream body, @ExchangeProperty("run") CohortQuery query) throws IOException {
        JsonNode cohorts = readAnswer(body, query);
        for (JsonNode cohort : cohorts) {
            if (cohort.path("id").asLong() == query.cohortId()) {
                budget.ensureFits(query.cohortId(), cohort.path("count").asLong(0), PAGE_SIZE);
                return cohort.path("name").asText();
            }
        }
        throw new IllegalArgumentException("cohort " + query.cohortId() + " does not exist in Mixpanel project "
                + props.projectId() + ": check the cohort id, or whether the cohort was deleted");
    }

    /**
     * The control plane's listing of the project's cohorts, when it can be answered without a query
     * (exchange property {@value #LISTING}, else null; {@value #LISTING_AGE}: its age in seconds):
     * the cached listing is younger than {@code bridge.mixpanel.cohorts-cache-ttl}, or the budget
     * left is the syncs' reserve (then the last listing, however old). A listing that lacks the
     * cohort a request is about (exchange property {@value #WANTED}) is read again. Otherwise this
     * takes one query from the part of the budget that is not reserved for syncs.
     */
    public void cachedListing(Exchange exchange) {
        if (props.projectId() == null || props.projectId().isBlank() || props.secret() == null || props.secret().isBlank()) {
            throw new ApiProblem(409, "mixpanel_not_configured", "Mixpanel is not configured: set BRIDGE_MIXPANEL_PROJECTID, "
                    + "BRIDGE_MIXPANEL_USERNAME and BRIDGE_MIXPANEL_SECRET (a service account of the project)");
        }
        Listing last = listing;
        Instant now = clock.instant();
        Long wanted = exchange.getProperty(WANTED, Long.class);
        boolean usable = last != null && (wanted == null || last.has(wanted));
        exchange.removeProperty(LISTING);
        if (usable && Duration.between(last.fetchedAt(), now).compareTo(props.cohortsCacheTtl()) < 0) {
            answer(exchange, last, now);
            return;
        }
        try {
            budget.takeUnreserved();
        } catch (MixpanelBudget.BudgetExhaustedException e) {
            if (usable) {
                answer(exchange, last, now);
                return;
            }
            throw new ApiProblem(429, "mixpanel_budget", e.getMessage());
        }
    }

    /** The cohorts/list request of a listing {@link #cachedListing} could not answer (its query is taken). */
    public void listingRequest(Exchange exchange) {
        authorize(OutboundHttp.request(exchange, "POST", "application/x-www-form-urlencoded", "project_id=" + encode(props.projectId())));
        exchange.getMessage().setBody("");
    }

    /**
     * Mixpanel's cohorts/list answer: {id, name, count, description} per cohort, kept as the cached
     * listing; a refusal is a 502 that quotes Mixpanel.
     */
    public List<Map<String, Object>> acceptListing(@Header(Exchange.HTTP_RESPONSE_CODE) int status, @Body InputStream body,
            Exchange exchange) throws IOException {
        JsonNode answer = mapper.readTree(body);
        if (status != 200) {
            String message = answer != null && answer.hasNonNull("error") ? answer.get("error").asText() : "no message";
            throw new ApiProblem(502, "mixpanel_error", "Mixpanel answered " + status + " to cohorts/list: " + message
                    + (status == 401 ? " (check BRIDGE_MIXPANEL_USERNAME and BRIDGE_MIXPANEL_SECRET)" : ""));
        }
        List<Map<String, Object>> cohorts = new ArrayList<>();
        for (JsonNode cohort : answer) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("id", cohort.path("id").asLong());
            c.put("name", cohort.path("name").asText());
            c.put("size", cohort.path("count").asLong());
            c.put("description", cohort.path("description").asText(""));
            cohorts.add(c);
        }
        Listing fetched = new Listing(cohorts, clock.instant());
        listing = fetched;
        exchange.setProperty(LISTING_AGE, 0L);
        return fetched.copy();
    }

    private static void answer(Exchange exchange, Listing listing, Instant now) {
        exchange.setProperty(LISTING, listing.copy());
        exchange.setProperty(LISTING_AGE, Math.max(0, Duration.between(listing.fetchedAt(), now).toSeconds()));
    }

    /** The project's cohorts as Mixpanel listed them at {@code fetchedAt}; callers get copies (they add to them). */
    private record Listing(List<Map<String, Object>> cohorts, Instant fetchedAt) {
        boolean has(long cohortId) {
            return cohorts.stream().anyMatch(c -> ((Number) c.get("id")).longValue() == cohortId);
        }

        List<Map<String, Object>> copy() {
            List<Map<String, Object>> copy = new ArrayList<>(cohorts.size());
            cohorts.forEach(c -> copy.add(new LinkedHashMap<>(c)));
            return copy;
        }
    }

    /** The next page of members; the first page has no session_id. */
    public void pageRequest(Exchange exchange, @ExchangeProperty("run") CohortQuery query) {
        call(exchange, query, "/engage");
        StringBuilder form = new StringBuilder()
                .append("filter_by_cohort=").append(encode("{\"id\":" + query.cohortId() + "}"))
                .append("&output_properties=").append(encode(OUTPUT_PROPERTIES))
                .append("&include_all_users=false");
        String session = query.sessionId();
        if (session != null) {
            form.append("&session_id=").append(encode(session)).append("&page=").append(query.page());
        }
        exchange.getMessage().setBody(form.toString());
    }

    /** Reads a page of members: each member's distinct id and email, and whether more pages follow. */
    public CohortPage acceptPage(@Body InputStream body, @ExchangeProperty("run") CohortQuery query) throws IOException {
        JsonNode page = readAnswer(body, query);
        JsonNode results = page.path("results");
        int pageSize = page.path("page_size").asInt(PAGE_SIZE);
        List<CohortMember> members = new ArrayList<>(results.size());
        for (JsonNode member : results) {
            members.add(new CohortMember(member.path("$distinct_id").asText(null), member.path("$properties").path("$email").asText(null)));
        }
        String session = page.path("session_id").asText(null);
        return new CohortPage(session, members, results.size() >= pageSize && results.size() > 0 && session != null);
    }

    /** Reads a query's answer; the query is over, so its max-concurrent slot is given back either way. */
    private JsonNode readAnswer(InputStream body, CohortQuery query) throws IOException {
        try {
            return mapper.readTree(body);
        } finally {
            budget.leave(query);
        }
    }

    /** Readies a Query API call ({@code path} under /api/query) of a sync: a query of the hour, and a slot while it runs. */
    private void call(Exchange exchange, CohortQuery query, String path) {
        budget.take();
        budget.enter(query);
        query.mixpanelCall();
        authorize(OutboundHttp.request(exchange, "POST", "application/x-www-form-urlencoded", "project_id=" + encode(props.projectId())))
                .setHeader(Exchange.HTTP_PATH, path);
    }

    private org.apache.camel.Message authorize(org.apache.camel.Message request) {
        request.setHeader("Authorization", props.authorization());
        return request;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}

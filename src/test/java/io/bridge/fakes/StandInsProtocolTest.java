package io.bridge.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each rule of the strict stand-ins: a request the real API refuses is refused as it refuses it and
 * recorded as a violation; a request it takes but the bundle must not make is taken and recorded; a
 * well-formed one is answered and records nothing.
 */
class StandInsProtocolTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY = "iterable-key";
    static final String BASIC = "Basic " + Base64.getEncoder().encodeToString("sa:secret".getBytes(StandardCharsets.UTF_8));
    static final String FORM = "application/x-www-form-urlencoded";
    static final String ENGAGE_FORM = "filter_by_cohort=%7B%22id%22%3A7%7D&output_properties=%5B%22%24email%22%5D&include_all_users=false";

    final HttpClient http = HttpClient.newHttpClient();
    final FakeIterable iterable = new FakeIterable(KEY);
    final FakeMixpanel mixpanel = new FakeMixpanel("1", "sa", "secret");

    @AfterEach
    void close() {
        // the violations here are on purpose and checked by each test: StandInsCheck must not see them
        iterable.clearViolations();
        mixpanel.clearViolations();
        iterable.close();
        mixpanel.close();
    }

    HttpResponse<String> call(FakeHttpApi api, String method, String path, String contentType, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.baseUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> iterable(String method, String path, String body) {
        return call(iterable, method, path, body == null ? null : "application/json", body, "Api-Key", KEY);
    }

    HttpResponse<String> engage(String form) {
        return call(mixpanel, "POST", "/api/query/engage?project_id=1", FORM, form, "Authorization", BASIC);
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    /** Iterable's error body: 400/401/404 with {"msg", "code", "params"}. */
    static void assertIterableError(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(json(response).path("code").asText()).as(response.body()).isEqualTo(code);
        assertThat(json(response).has("msg")).isTrue();
        assertThat(json(response).has("params")).isTrue();
    }

    /** Mixpanel's error body: {"request", "error"}. */
    static void assertMixpanelError(HttpResponse<String> response, int status, String error) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(json(response).path("request").asText()).startsWith("/api/query/");
        assertThat(json(response).path("error").asText()).contains(error);
    }

    long newList() {
        return json(iterable("POST", "/api/lists", "{\"name\":\"l\"}")).path("listId").asLong();
    }

    static String subscribers(int n) {
        List<String> subscribers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            subscribers.add("{\"email\":\"u" + i + "@x.com\"}");
        }
        return "[" + String.join(",", subscribers) + "]";
    }

    // ---- Iterable

    @Test
    void iterableWantsItsKeyInTheApiKeyHeader() {
        assertIterableError(call(iterable, "GET", "/api/lists", null, null), 401, "BadApiKey");
        assertThat(iterable.violations()).singleElement().asString().contains("GET /api/lists").contains("no Api-Key header");

        iterable.clearViolations();
        assertIterableError(call(iterable, "GET", "/api/lists", null, null, "Api-Key", "wrong"), 401, "BadApiKey");
        assertThat(iterable.violations()).as("a wrong key is how a key is tried, not a violation").isEmpty();
    }

    @Test
    void iterableTakesEachCallOnlyWithItsMethod() {
        long list = newList();
        assertIterableError(iterable("PUT", "/api/lists/subscribe", "{\"listId\":" + list + ",\"subscribers\":[]}"), 404, "NotFound");
        assertIterableError(iterable("GET", "/api/lists/subscribe", null), 404, "NotFound");
        assertIterableError(iterable("POST", "/api/lists/replace", "{}"), 404, "NotFound");
        assertThat(iterable.violations()).extracting(FakeHttpApi.Violation::method).containsExactly("PUT", "GET", "POST");
        assertThat(iterable.violations().get(0).problem()).contains("takes POST, not PUT");
    }

    @Test
    void iterableReadsOnlyAJsonObjectSentAsJson() {
        long list = newList();
        String body = "{\"listId\":" + list + ",\"subscribers\":[{\"email\":\"a@x.com\"}]}";
        assertIterableError(call(iterable, "POST", "/api/lists/subscribe", "text/plain", body, "Api-Key", KEY), 400, "BadJsonBody");
        assertIterableError(iterable("POST", "/api/lists/subscribe", "{\"listId\":" + list + ","), 400, "BadJsonBody");
        assertIterableError(iterable("POST", "/api/lists/subscribe", body + " {}"), 400, "BadJsonBody");
        assertIterableError(iterable("POST", "/api/lists/subscribe", "[" + body + "]"), 400, "BadJsonBody");
        assertThat(iterable.violations()).hasSize(4).allMatch(v -> v.problem().startsWith("400 BadJsonBody"));
        assertThat(iterable.members("l")).as("nothing taken").isEmpty();
    }

    @Test
    void iterableRequiresAListIdAndSubscribersWithAnEmail() {
        long list = newList();
        assertIterableError(iterable("POST", "/api/lists/subscribe", "{\"subscribers\":[]}"), 400, "BadParams");
        assertIterableError(iterable("POST", "/api/lists/subscribe", "{\"listId\":\"" + list + "\",\"subscribers\":[]}"), 400, "BadParams");
        assertIterableError(iterable("POST", "/api/lists/subscribe", "{\"listId\":" + list + "}"), 400, "BadParams");
        assertIterableError(iterable("POST", "/api/lists/unsubscribe", "{\"listId\":" + list + ",\"subscribers\":[{}]}"),
                400, "BadParams");
        assertIterableError(iterable("POST", "/api/lists/unsubscribe", "{\"listId\":" + list + ",\"subscribers\":[\"a@x.com\"]}"),
                400, "BadParams");
        assertIterableError(iterable("POST", "/api/lists/unsubscribe", "{\"listId\":" + list
                + ",\"subscribers\":[],\"channelUnsubscribe\":\"false\"}"), 400, "BadParams");
        assertIterableError(iterable("POST", "/api/lists", "{\"description\":\"no name\"}"), 400, "BadParams");
        assertIterableError(iterable("GET", "/api/lists/getUsers", null), 400, "BadParams");
        assertThat(iterable.violations()).hasSize(8).allMatch(v -> v.problem().startsWith("400 BadParams"));
    }

    @Test
    void iterableTakesAtMostAThousandSubscribersPerCall() {
        long list = newList();
        assertIterableError(iterable("POST", "/api/lists/subscribe", "{\"listId\":" + list + ",\"subscribers\":" + subscribers(1001) + "}"),
                400, "BatchTooLarge");
        assertThat(iterable.violations()).singleElement().asString().contains("1001 subscribers in one call; at most 1000");
        assertThat(iterable.members("l")).isEmpty();

        iterable.clearViolations();
        HttpResponse<String> thousand = iterable("POST", "/api/lists/subscribe", "{\"listId\":" + list + ",\"subscribers\":"
                + subscribers(1000) + ",\"updateExistingUsersOnly\":false}");
        assertThat(json(thousand).path("successCount").asInt()).isEqualTo(1000);
        assertThat(iterable.violations()).isEmpty();
    }

    @Test
    void iterableTakesButRecordsUnknownFieldsAndAChannelUnsubscribe() {
        long list = newList();
        iterable("POST", "/api/lists/subscribe", "{\"listId\":" + list + ",\"subscribers\":[{\"email\":\"a@x.com\"}]}");
        assertThat(iterable.violations()).isEmpty();

        HttpResponse<String> answer = iterable("POST", "/api/lists/unsubscribe", "{\"listId\":" + list
                + ",\"subscribers\":[{\"email\":\"a@x.com\"}],\"channelUnSubscribe\":false}");
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(iterable.violations()).singleElement().asString().contains("[channelUnSubscribe]");

        iterable.clearViolations();
        iterable("POST", "/api/lists/unsubscribe", "{\"listId\":" + list + ",\"subscribers\":[{\"email\":\"b@x.com\"}],\"channelUnsubscribe\":true}");
        assertThat(iterable.channelUnsubscribes()).isEqualTo(1);
        assertThat(iterable.violations()).singleElement().asString().contains("global unsubscribe");
    }

    @Test
    void iterableKeepsEmailsAsSentAndComparesThemAsItStoresThemLowerCased() {
        long list = newList();
        iterable("POST", "/api/lists/subscribe", "{\"listId\":" + list + ",\"subscribers\":[{\"email\":\"Ann@X.com\"},{\"email\":\"bob@x.com\"}]}");
        assertThat(iterable.members("l")).containsExactlyInAnyOrder("Ann@X.com", "bob@x.com");
        assertThat(iterable("GET", "/api/lists/getUsers?listId=" + list, null).body()).as("Iterable's own copy is lower-case")
                .isEqualTo("ann@x.com\nbob@x.com\n");

        JsonNode answer = json(iterable("POST", "/api/lists/unsubscribe", "{\"listId\":" + list
                + ",\"subscribers\":[{\"email\":\"ann@x.com\"},{\"email\":\"BOB@X.COM\"}],\"channelUnsubscribe\":false}"));
        assertThat(answer.path("successCount").asInt()).isEqualTo(2);
        assertThat(iterable.members("l")).isEmpty();
        assertThat(iterable.violations()).isEmpty();
    }

    // ---- Mixpanel

    @Test
    void mixpanelWantsBasicAuthAndTheProjectInTheQueryString() {
        assertMixpanelError(call(mixpanel, "POST", "/api/query/cohorts/list?project_id=1", FORM, ""), 401, "Basic");
        assertMixpanelError(call(mixpanel, "POST", "/api/query/cohorts/list", FORM, "project_id=1", "Authorization", BASIC), 400,
                "project_id");
        assertMixpanelError(call(mixpanel, "POST", "/api/query/cohorts/list?project_id=one", FORM, "", "Authorization", BASIC), 400,
                "project_id");
        assertThat(mixpanel.violations()).hasSize(3);

        mixpanel.clearViolations();
        String wrong = "Basic " + Base64.getEncoder().encodeToString("sa:nope".getBytes(StandardCharsets.UTF_8));
        assertMixpanelError(call(mixpanel, "POST", "/api/query/cohorts/list?project_id=1", FORM, "", "Authorization", wrong), 401,
                "credentials");
        assertMixpanelError(call(mixpanel, "POST", "/api/query/cohorts/list?project_id=2", FORM, "", "Authorization", BASIC), 403,
                "project 2");
        assertThat(mixpanel.violations()).as("credentials being tried are not violations").isEmpty();
    }

    @Test
    void mixpanelTakesPostWithAFormOnly() {
        assertMixpanelError(call(mixpanel, "GET", "/api/query/engage?project_id=1&" + ENGAGE_FORM, null, null, "Authorization", BASIC),
                405, "takes POST");
        assertMixpanelError(call(mixpanel, "POST", "/api/query/engage?project_id=1", "application/json",
                "{\"filter_by_cohort\":{\"id\":7}}", "Authorization", BASIC), 400, "x-www-form-urlencoded");
        assertMixpanelError(call(mixpanel, "POST", "/api/query/segmentation?project_id=1", FORM, "", "Authorization", BASIC), 404,
                "segmentation");
        assertThat(mixpanel.violations()).hasSize(3);
    }

    @Test
    void mixpanelEngageChecksItsParameters() {
        mixpanel.cohort(7, "c", FakeMixpanel.members("a@x.com"));
        assertThat(engage(ENGAGE_FORM).statusCode()).isEqualTo(200);
        assertThat(mixpanel.violations()).isEmpty();

        assertMixpanelError(engage("output_properties=%5B%5D&include_all_users=false"), 400, "filter_by_cohort");
        assertMixpanelError(engage(ENGAGE_FORM.replace("%7B%22id%22%3A7%7D", "7")), 400, "filter_by_cohort");
        assertMixpanelError(engage(ENGAGE_FORM.replace("%7B%22id%22%3A7%7D", "%7B%22id%22%3A%227%22%7D")), 400, "filter_by_cohort");
        assertMixpanelError(engage(ENGAGE_FORM.replace("%5B%22%24email%22%5D", "%24email")), 400, "output_properties");
        assertMixpanelError(engage(ENGAGE_FORM.replace("include_all_users=false", "include_all_users=no")), 400, "include_all_users");
        assertMixpanelError(engage(ENGAGE_FORM + "&page=1"), 400, "requires the session_id");
        assertMixpanelError(engage(ENGAGE_FORM + "&page=-1"), 400, "page");
        assertMixpanelError(engage(ENGAGE_FORM + "&session_id=made-up&page=1"), 400, "session_id");
        assertThat(mixpanel.violations()).hasSize(8).allMatch(v -> v.problem().startsWith("400"));
    }

    @Test
    void mixpanelAnswersEverythingButRecordsItWhenOutputPropertiesOrIncludeAllUsersIsMissing() {
        mixpanel.cohort(7, "c", FakeMixpanel.members("a@x.com"));
        JsonNode all = json(engage("filter_by_cohort=%7B%22id%22%3A7%7D"));
        assertThat(all.at("/results/0/$properties").has("$city")).as("every property").isTrue();
        assertThat(mixpanel.violations()).extracting(FakeHttpApi.Violation::problem)
                .anyMatch(p -> p.contains("no output_properties")).anyMatch(p -> p.contains("include_all_users"));

        mixpanel.clearViolations();
        JsonNode asked = json(engage(ENGAGE_FORM + "&where=x"));
        assertThat(asked.at("/results/0/$properties").toString()).isEqualTo("{\"$email\":\"a@x.com\"}");
        assertThat(mixpanel.violations()).as("where is engage's, but not the bundle's: taken").isEmpty();
        engage(ENGAGE_FORM + "&filter_by_cohrot=1");
        assertThat(mixpanel.violations()).singleElement().asString().contains("[filter_by_cohrot]");
    }

    @Test
    void mixpanelAllowsSixtyQueriesAnHourByDefault() {
        FakeMixpanel real = new FakeMixpanel("1", "sa", "secret");
        try {
            for (int i = 0; i < FakeMixpanel.QUERIES_PER_HOUR; i++) {
                assertThat(call(real, "POST", "/api/query/cohorts/list?project_id=1", FORM, "", "Authorization", BASIC).statusCode())
                        .isEqualTo(200);
            }
            HttpResponse<String> over = call(real, "POST", "/api/query/cohorts/list?project_id=1", FORM, "", "Authorization", BASIC);
            assertThat(over.statusCode()).isEqualTo(429);
            assertThat(json(over).path("error").asText()).startsWith("Query rate limit exceeded for project_id: 1.");
            assertThat(real.violations()).singleElement().asString().contains("query 61 within an hour");

            real.resetHour();
            assertThat(call(real, "POST", "/api/query/cohorts/list?project_id=1", FORM, "", "Authorization", BASIC).statusCode())
                    .isEqualTo(200);
        } finally {
            real.clearViolations();
            real.close();
        }
    }

    @Test
    void mixpanelAllowsFiveQueriesAtOnce() throws Exception {
        mixpanel.hold();
        List<CompletableFuture<HttpResponse<String>>> five = new ArrayList<>();
        for (int i = 0; i < FakeMixpanel.MAX_CONCURRENT; i++) {
            five.add(CompletableFuture.supplyAsync(() -> call(mixpanel, "POST", "/api/query/cohorts/list?project_id=1", FORM, "",
                    "Authorization", BASIC)));
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (mixpanel.peakConcurrentCalls() < FakeMixpanel.MAX_CONCURRENT && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        HttpResponse<String> sixth = call(mixpanel, "POST", "/api/query/cohorts/list?project_id=1", FORM, "", "Authorization", BASIC);
        mixpanel.release();

        assertThat(sixth.statusCode()).as("answered at once, while the five wait").isEqualTo(429);
        assertThat(json(sixth).path("error").asText()).contains("Query rate limit exceeded for project_id: 1");
        for (CompletableFuture<HttpResponse<String>> query : five) {
            assertThat(query.get().statusCode()).isEqualTo(200);
        }
        assertThat(mixpanel.violations()).singleElement().asString().contains("6 queries at once");
    }

    @Test
    void everyStandInsViolationsAreTakenOnce() {
        call(iterable, "GET", "/api/lists", null, null);
        assertThat(FakeHttpApi.takeAllViolations()).singleElement().asString().contains("FakeIterable").contains("no Api-Key header");
        assertThat(FakeHttpApi.takeAllViolations()).isEmpty();
        assertThat(iterable.violations()).isEmpty();
    }
}

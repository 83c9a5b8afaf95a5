package io.bridge.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * A stand-in for Iterable's list API, for tests, benchmarks and the demo profile (never enabled
 * otherwise), as ../shared/reference/iterable-api.md describes the real one: Api-Key auth, lists by
 * name, subscribe/unsubscribe with the bulk response (invalid emails fail, unsubscribing someone
 * absent is notFound), and the record of every channel unsubscribe it was asked for.
 */
public class FakeIterable extends FakeHttpApi {

    record FakeList(long id, String name, Set<String> emails) {
    }

    private static final java.util.regex.Pattern EMAIL = java.util.regex.Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");

    private final String apiKey;
    private final Map<Long, FakeList> lists = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong(1000);
    private final Set<String> forgotten = ConcurrentHashMap.newKeySet();
    private volatile int channelUnsubscribes;
    private volatile java.util.function.BiConsumer<String, Integer> onChange;

    /** Told the list's name and size after every subscribe or unsubscribe call. */
    public void onChange(java.util.function.BiConsumer<String, Integer> listener) {
        this.onChange = listener;
    }

    public FakeIterable(String apiKey) {
        this(0, apiKey);
    }

    public FakeIterable(int port, String apiKey) {
        super(port);
        this.apiKey = apiKey;
    }

    /** Emails of the list with this name, lower-case, or null when there is no such list. */
    public Set<String> members(String listName) {
        return lists.values().stream().filter(l -> l.name().equals(listName)).findFirst()
                .map(l -> (Set<String>) new TreeSet<>(l.emails())).orElse(null);
    }

    public Set<String> listNames() {
        return lists.values().stream().map(FakeList::name).collect(Collectors.toSet());
    }

    /** Removes a member by hand, as someone might in Iterable's UI. */
    public void removeByHand(String listName, String email) {
        lists.values().stream().filter(l -> l.name().equals(listName)).forEach(l -> l.emails().remove(email));
    }

    public void forget(String email) {
        forgotten.add(email.toLowerCase(Locale.ROOT));
    }

    public int channelUnsubscribes() {
        return channelUnsubscribes;
    }

    public int writeCalls() {
        return calls("/api/lists/subscribe") + calls("/api/lists/unsubscribe");
    }

    @Override
    protected void handle(HttpExchange exchange, String path, String body) throws Exception {
        if (!apiKey.equals(exchange.getRequestHeaders().getFirst("Api-Key"))) {
            send(exchange, 401, "application/json", "{\"msg\":\"Invalid API key\",\"code\":\"BadApiKey\",\"params\":null}");
            return;
        }
        String method = exchange.getRequestMethod();
        if (path.equals("/api/lists") && method.equals("GET")) {
            ObjectNode answer = JSON.createObjectNode();
            ArrayNode array = answer.putArray("lists");
            lists.values().forEach(l -> array.addObject().put("id", l.id()).put("name", l.name()).put("listType", "Standard"));
            send(exchange, 200, "application/json", answer.toString());
        } else if (path.equals("/api/lists") && method.equals("POST")) {
            String name = JSON.readTree(body).path("name").asText("");
            if (name.isEmpty()) {
                send(exchange, 400, "application/json", "{\"msg\":\"name is required\",\"code\":\"BadParams\",\"params\":null}");
                return;
            }
            long id = ids.incrementAndGet();
            lists.put(id, new FakeList(id, name, ConcurrentHashMap.newKeySet()));
            send(exchange, 200, "application/json", "{\"listId\":" + id + "}");
        } else if (path.equals("/api/lists/getUsers") && method.equals("GET")) {
            String listId = FakeMixpanel.form(exchange.getRequestURI().getRawQuery()).getOrDefault("listId", "0");
            FakeList list = lists.get(Long.parseLong(listId));
            send(exchange, list == null ? 404 : 200, "text/plain",
                    list == null ? "" : String.join("\n", new TreeSet<>(list.emails())) + "\n");
        } else if (path.equals("/api/lists/subscribe") || path.equals("/api/lists/unsubscribe")) {
            bulk(exchange, path.endsWith("/subscribe"), JSON.readTree(body));
        } else {
            send(exchange, 404, "application/json", "{\"msg\":\"not found\",\"code\":\"NotFound\",\"params\":null}");
        }
    }

    private void bulk(HttpExchange exchange, boolean subscribe, JsonNode request) throws Exception {
        FakeList list = lists.get(request.path("listId").asLong());
        if (list == null) {
            send(exchange, 400, "application/json", "{\"msg\":\"list does not exist\",\"code\":\"BadParams\",\"params\":null}");
            return;
        }
        if (!subscribe && request.path("channelUnsubscribe").asBoolean(false)) {
            channelUnsubscribes++;
        }
        ObjectNode answer = JSON.createObjectNode();
        ObjectNode failed = answer.putObject("failedUpdates");
        ArrayNode invalid = failed.putArray("invalidEmails");
        ArrayNode notFound = failed.putArray("notFoundEmails");
        ArrayNode forgottenEmails = failed.putArray("forgottenEmails");
        failed.putArray("conflictEmails");
        failed.putArray("invalidDataEmails");
        int success = 0;
        for (JsonNode subscriber : request.path("subscribers")) {
            String email = subscriber.path("email").asText();
            String key = email.toLowerCase(Locale.ROOT);
            if (!EMAIL.matcher(email).matches()) {
                invalid.add(email);
            } else if (forgotten.contains(key)) {
                forgottenEmails.add(email);
            } else if (subscribe) {
                list.emails().add(key);
                success++;
            } else if (list.emails().remove(key)) {
                success++;
            } else {
                notFound.add(email);
            }
        }
        answer.put("successCount", success).put("failCount", invalid.size());
        if (onChange != null) {
            onChange.accept(list.name(), list.emails().size());
        }
        send(exchange, 200, "application/json", answer.toString());
    }
}

package io.bridge.fakes;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A stand-in for Iterable's list API, for tests, benchmarks and the demo profile (never enabled
 * otherwise), as ../shared/reference/iterable-api.md describes the real one: Api-Key auth, lists by
 * name, subscribe/unsubscribe with the bulk response (invalid emails fail, unsubscribing someone
 * absent is notFound), and the record of every channel unsubscribe it was asked for.
 *
 * <p>It checks what Iterable checks and answers a malformed request as Iterable does, with its error
 * body {@code {"msg":..,"code":..,"params":null}}; each such request is a {@linkplain #violations()
 * violation}. The rules:
 * <ul>
 * <li>the key in the {@code Api-Key} header (none: 401 BadApiKey, a violation; a wrong one: 401
 *     BadApiKey, which is how a key is tried, not a violation);</li>
 * <li>only Iterable's list calls, each with its own method: {@code GET|POST /api/lists},
 *     {@code DELETE /api/lists/{id}}, {@code POST /api/lists/subscribe|unsubscribe},
 *     {@code GET /api/lists/getUsers?listId=}, {@code GET /api/lists/{id}/size}; anything else is a
 *     404 NotFound (what Iterable answers a method a path does not take is <i>unconfirmed</i>);</li>
 * <li>POST bodies are {@code application/json} holding one JSON object (else 400 BadJsonBody);
 *     {@code name} of a new list, {@code listId} (a whole number) and {@code subscribers} (objects
 *     with an {@code email} or {@code userId}) of a bulk call are required, flags are booleans
 *     (else 400 BadParams);</li>
 * <li>at most {@value #MAX_SUBSCRIBERS} subscribers per call (else 400 BatchTooLarge): Iterable
 *     publishes no maximum, but its peers send at most 1,000 and the bundle promises as much;</li>
 * <li>taken as Iterable takes them but recorded as violations: fields Iterable does not know
 *     (it ignores them: a misspelt flag would silently do nothing) and {@code channelUnsubscribe: true},
 *     a global unsubscribe the bundle must never ask for.</li>
 * </ul>
 * Emails are kept as sent, so tests see how the bundle cased them; a list compares them as Iterable
 * does, which stores every email lower-cased (support article "Email Validation in Iterable":
 * {@code myUser@example.com} is saved as {@code myuser@example.com}), so {@code getUsers} answers them
 * lower-case.
 */
public class FakeIterable extends FakeHttpApi {

    /** The most subscribers one subscribe or unsubscribe call may carry. */
    public static final int MAX_SUBSCRIBERS = 1000;

    /** A list: its members by email lower-cased (Iterable's key), each as last sent. */
    record FakeList(long id, String name, Map<String, String> emails) {
    }

    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
    private static final Pattern LIST_PATH = Pattern.compile("/api/lists/(\\d+)(/size)?");
    private static final ObjectReader STRICT = JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Set<String> CREATE_FIELDS = Set.of("name", "description");
    private static final Set<String> SUBSCRIBE_FIELDS = Set.of("listId", "subscribers", "updateExistingUsersOnly");
    private static final Set<String> UNSUBSCRIBE_FIELDS = Set.of("listId", "subscribers", "campaignId", "channelUnsubscribe");
    private static final Set<String> SUBSCRIBER_FIELDS = Set.of("email", "userId", "dataFields", "preferUserId", "mergeNestedObjects");
    private static final Set<String> UNSUBSCRIBER_FIELDS = Set.of("email", "userId");

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

    /** Emails of the list with this name, as the bundle last sent each, or null when there is no such list. */
    public Set<String> members(String listName) {
        return lists.values().stream().filter(l -> l.name().equals(listName)).findFirst()
                .map(l -> (Set<String>) new TreeSet<>(l.emails().values())).orElse(null);
    }

    public Set<String> listNames() {
        return lists.values().stream().map(FakeList::name).collect(Collectors.toSet());
    }

    /** Removes a member by hand, as someone might in Iterable's UI. */
    public void removeByHand(String listName, String email) {
        lists.values().stream().filter(l -> l.name().equals(listName)).forEach(l -> l.emails().remove(key(email)));
    }

    public void forget(String email) {
        forgotten.add(key(email));
    }

    public int channelUnsubscribes() {
        return channelUnsubscribes;
    }

    public int writeCalls() {
        return calls("/api/lists/subscribe") + calls("/api/lists/unsubscribe");
    }

    /** Iterable's key of an email: lower-cased. */
    private static String key(String email) {
        return email.toLowerCase(Locale.ROOT);
    }

    private static Answer error(int status, String code, String msg) {
        ObjectNode body = JSON.createObjectNode().put("msg", msg).put("code", code).putNull("params");
        return new Answer(status, "application/json", body.toString());
    }

    @Override
    protected Answer refuse(Call call, int status, String problem) {
        return refuse(call, status, status == 401 ? "BadApiKey" : status == 404 ? "NotFound" : "BadParams", problem);
    }

    private Answer refuse(Call call, int status, String code, String problem) {
        violation(call.method(), call.path(), status + " " + code + ": " + problem);
        return error(status, code, problem);
    }

    /** The methods a path takes, or null when Iterable has no such call. */
    private static Set<String> methods(String path) {
        return switch (path) {
            case "/api/lists" -> Set.of("GET", "POST");
            case "/api/lists/subscribe", "/api/lists/unsubscribe" -> Set.of("POST");
            case "/api/lists/getUsers" -> Set.of("GET");
            default -> {
                Matcher m = LIST_PATH.matcher(path);
                yield !m.matches() ? null : m.group(2) == null ? Set.of("DELETE") : Set.of("GET");
            }
        };
    }

    @Override
    protected Answer check(Call call) {
        String key = call.header("Api-Key");
        if (key == null) {
            return refuse(call, 401, "BadApiKey", "no Api-Key header (Iterable takes the key in the Api-Key header)");
        }
        if (!apiKey.equals(key)) {
            return error(401, "BadApiKey", "Invalid API key"); // how a key is tried: not a violation
        }
        Set<String> methods = methods(call.path());
        if (methods == null) {
            return refuse(call, 404, "NotFound", "Iterable has no " + call.path());
        }
        if (!methods.contains(call.method())) {
            // unconfirmed: what Iterable answers a method a path does not take; a 404 NotFound here
            return refuse(call, 404, "NotFound", call.path() + " takes " + String.join(" or ", new TreeSet<>(methods))
                    + ", not " + call.method());
        }
        if (call.path().equals("/api/lists/getUsers")) {
            String listId = call.query().get("listId");
            if (listId == null || !listId.matches("\\d{1,18}")) {
                return refuse(call, 400, "BadParams", "listId must be a list id, got " + listId);
            }
        }
        if (!call.method().equals("POST")) {
            return null;
        }
        if (!mediaType(call.header("Content-Type")).equals("application/json")) {
            return refuse(call, 400, "BadJsonBody", "Content-Type must be application/json, got " + call.header("Content-Type"));
        }
        JsonNode body;
        try {
            body = STRICT.readTree(call.body());
        } catch (com.fasterxml.jackson.core.JsonProcessingException notJson) {
            return refuse(call, 400, "BadJsonBody", "the body is not JSON: " + notJson.getOriginalMessage());
        }
        if (body == null || !body.isObject()) {
            return refuse(call, 400, "BadJsonBody", "the body must be a JSON object, got " + (body == null ? "nothing" : body.getNodeType()));
        }
        if (call.path().equals("/api/lists")) {
            unknownFields(call, body, CREATE_FIELDS, "a new list");
            if (!body.path("name").isTextual() || body.path("name").asText().isBlank()) {
                return refuse(call, 400, "BadParams", "name is required (a string), got " + body.get("name"));
            }
            if (body.has("description") && !body.get("description").isTextual()) {
                return refuse(call, 400, "BadParams", "description must be a string, got " + body.get("description"));
            }
            return null;
        }
        return checkBulk(call, body, call.path().endsWith("/subscribe"));
    }

    private Answer checkBulk(Call call, JsonNode body, boolean subscribe) {
        unknownFields(call, body, subscribe ? SUBSCRIBE_FIELDS : UNSUBSCRIBE_FIELDS, "a bulk " + (subscribe ? "subscribe" : "unsubscribe"));
        if (!body.path("listId").isIntegralNumber()) {
            return refuse(call, 400, "BadParams", "listId is required (a whole number), got " + body.get("listId"));
        }
        JsonNode subscribers = body.get("subscribers");
        if (subscribers == null || !subscribers.isArray()) {
            return refuse(call, 400, "BadParams", "subscribers is required (an array), got " + subscribers);
        }
        if (subscribers.size() > MAX_SUBSCRIBERS) {
            return refuse(call, 400, "BatchTooLarge", subscribers.size() + " subscribers in one call; at most " + MAX_SUBSCRIBERS);
        }
        String flag = subscribe ? "updateExistingUsersOnly" : "channelUnsubscribe";
        if (body.has(flag) && !body.get(flag).isBoolean()) {
            return refuse(call, 400, "BadParams", flag + " must be true or false, got " + body.get(flag));
        }
        if (!subscribe && body.has("campaignId") && !body.get("campaignId").isIntegralNumber()) {
            return refuse(call, 400, "BadParams", "campaignId must be a whole number, got " + body.get("campaignId"));
        }
        for (int i = 0; i < subscribers.size(); i++) {
            JsonNode subscriber = subscribers.get(i);
            if (!subscriber.isObject()) {
                return refuse(call, 400, "BadParams", "subscribers[" + i + "] must be an object, got " + subscriber);
            }
            unknownFields(call, subscriber, subscribe ? SUBSCRIBER_FIELDS : UNSUBSCRIBER_FIELDS, "subscribers[" + i + "]");
            boolean email = subscriber.path("email").isTextual();
            if (!email && !subscriber.path("userId").isTextual()) {
                return refuse(call, 400, "BadParams", "subscribers[" + i + "] needs an email or a userId (a string), got " + subscriber);
            }
            if (subscriber.has("email") && !email) {
                return refuse(call, 400, "BadParams", "subscribers[" + i + "].email must be a string, got " + subscriber.get("email"));
            }
        }
        if (!subscribe && body.path("channelUnsubscribe").asBoolean(false)) {
            // Iterable takes it, and unsubscribes the users from the whole email channel
            violation(call.method(), call.path(), "channelUnsubscribe: true is a global unsubscribe from the channel, "
                    + "never wanted when only list membership changes");
        }
        return null;
    }

    /** Fields Iterable does not know: it ignores them, but a misspelt one would silently do nothing. */
    private void unknownFields(Call call, JsonNode object, Set<String> known, String what) {
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> names = object.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!known.contains(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            violation(call.method(), call.path(), "fields Iterable does not know in " + what + " (ignored): " + unknown);
        }
    }

    @Override
    protected void handle(HttpExchange exchange, Call call) throws Exception {
        String path = call.path();
        String method = call.method();
        Matcher listPath = LIST_PATH.matcher(path);
        if (path.equals("/api/lists") && method.equals("GET")) {
            ObjectNode answer = JSON.createObjectNode();
            ArrayNode array = answer.putArray("lists");
            lists.values().forEach(l -> array.addObject().put("id", l.id()).put("name", l.name()).put("listType", "Standard"));
            send(exchange, 200, "application/json", answer.toString());
        } else if (path.equals("/api/lists") && method.equals("POST")) {
            String name = JSON.readTree(call.body()).path("name").asText();
            long id = ids.incrementAndGet();
            lists.put(id, new FakeList(id, name, new ConcurrentHashMap<>()));
            send(exchange, 200, "application/json", "{\"listId\":" + id + "}");
        } else if (path.equals("/api/lists/getUsers")) {
            FakeList list = lists.get(Long.parseLong(call.query().get("listId")));
            send(exchange, list == null ? 404 : 200, "text/plain",
                    list == null ? "" : String.join("\n", new TreeSet<>(list.emails().keySet())) + "\n");
        } else if (listPath.matches()) {
            long id = Long.parseLong(listPath.group(1));
            FakeList list = listPath.group(2) == null ? lists.remove(id) : lists.get(id);
            if (list == null) {
                reply(exchange, error(404, "NotFound", "list " + id + " does not exist"));
            } else if (listPath.group(2) == null) {
                reply(exchange, error(200, "Success", "deleted list " + id));
            } else {
                send(exchange, 200, "text/plain", String.valueOf(list.emails().size()));
            }
        } else {
            bulk(exchange, path.endsWith("/subscribe"), JSON.readTree(call.body()));
        }
    }

    private static void reply(HttpExchange exchange, Answer answer) throws java.io.IOException {
        send(exchange, answer.status(), answer.contentType(), answer.body());
    }

    private void bulk(HttpExchange exchange, boolean subscribe, JsonNode request) throws Exception {
        FakeList list = lists.get(request.path("listId").asLong());
        if (list == null) {
            // a list deleted meanwhile (in Iterable's UI, say): a state of the world, not a malformed request
            reply(exchange, error(400, "BadParams", "list " + request.path("listId") + " does not exist"));
            return;
        }
        if (!subscribe && request.path("channelUnsubscribe").asBoolean(false)) {
            channelUnsubscribes++;
        }
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        ObjectNode failed = answer.putObject("failedUpdates");
        ArrayNode invalid = failed.putArray("invalidEmails");
        ArrayNode notFound = failed.putArray("notFoundEmails");
        ArrayNode forgottenEmails = failed.putArray("forgottenEmails");
        failed.putArray("conflictEmails");
        failed.putArray("invalidDataEmails");
        int success = 0;
        for (JsonNode subscriber : request.path("subscribers")) {
            String email = subscriber.path("email").asText(subscriber.path("userId").asText());
            String key = key(email);
            if (!EMAIL.matcher(email).matches()) {
                invalid.add(email);
            } else if (forgotten.contains(key)) {
                forgottenEmails.add(email);
            } else if (subscribe) {
                list.emails().put(key, email);
                success++;
            } else if (list.emails().remove(key) != null) {
                success++;
            } else {
                notFound.add(email);
            }
        }
        answer.put("successCount", success).put("failCount", invalid.size() + forgottenEmails.size() + notFound.size());
        answer.putArray("createdFields");
        answer.putArray("filteredOutFields");
        if (onChange != null) {
            onChange.accept(list.name(), list.emails().size());
        }
        send(exchange, 200, "application/json", answer.toString());
    }
}

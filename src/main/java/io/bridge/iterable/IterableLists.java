package io.bridge.iterable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bridge.OutboundHttp;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.springframework.stereotype.Component;

/**
 * Iterable's static lists: find a list by name, create it, subscribe and unsubscribe users by email
 * (never a channel unsubscribe), and read what Iterable refused. The route makes the calls through
 * Camel's http component, at the data centre of the connection; this bean writes the requests with
 * the connection's key and reads the answers.
 */
@Component("iterableLists")
public class IterableLists {

    /** Failure kinds in Iterable's bulk answer that leave the user out of the list. */
    private static final List<String> FAILURES = List.of("invalidEmails", "conflictEmails", "invalidDataEmails");

    private final ObjectMapper mapper = new ObjectMapper();
    private final IterableConnection connection;

    public IterableLists(IterableConnection connection) {
        this.connection = connection;
    }

    public void listsRequest(Exchange exchange, @ExchangeProperty("run") ListSync sync) {
        call(exchange, sync, "GET", "/lists");
        exchange.getMessage().setBody(null);
    }

    /** The id of the list named as the sync's list, or null when Iterable has none of that name. */
    public Long acceptLists(@Body InputStream body, @ExchangeProperty("run") ListSync sync) throws IOException {
        for (JsonNode list : mapper.readTree(body).path("lists")) {
            if (sync.listName().equals(list.path("name").asText())) {
                return list.path("id").asLong();
            }
        }
        return null;
    }

    public void createListRequest(Exchange exchange, @ExchangeProperty("run") ListSync sync) {
        call(exchange, sync, "POST", "/lists");
        ObjectNode body = mapper.createObjectNode().put("name", sync.listName()).put("description", sync.listDescription());
        exchange.getMessage().setBody(body.toString());
    }

    /** The id of the list Iterable created. */
    public long acceptCreatedList(@Body InputStream body) throws IOException {
        JsonNode created = mapper.readTree(body);
        if (!created.path("listId").canConvertToLong()) {
            throw new IllegalStateException("Iterable created no list: " + created);
        }
        return created.path("listId").asLong();
    }

    /** A subscribe ({@code subscribe} true) or unsubscribe call of these emails to the sync's list. */
    public void bulkRequest(Exchange exchange, ListSync sync, List<String> emails, boolean subscribe) {
        call(exchange, sync, "POST", subscribe ? "/lists/subscribe" : "/lists/unsubscribe");
        ObjectNode request = mapper.createObjectNode().put("listId", sync.listId());
        ArrayNode subscribers = request.putArray("subscribers");
        for (String email : emails) {
            subscribers.addObject().put("email", email);
        }
        if (subscribe) {
            request.put("updateExistingUsersOnly", false);
        } else {
            request.put("channelUnsubscribe", false); // list membership only, never a global unsubscribe
        }
        exchange.getMessage().setBody(request.toString());
    }

    /** Reads a subscribe or unsubscribe answer: whom Iterable refused, and why. */
    public BulkAnswer readBulkAnswer(InputStream body) throws IOException {
        JsonNode answer = mapper.readTree(body);
        JsonNode failedUpdates = answer.path("failedUpdates");
        Map<String, String> kinds = new HashMap<>();
        List<BulkAnswer.Refusal> refusals = new ArrayList<>();
        for (String kind : FAILURES) {
            for (JsonNode email : failedUpdates.path(kind)) {
                kinds.put(email.asText().toLowerCase(Locale.ROOT), kind);
                refusals.add(new BulkAnswer.Refusal(email.asText(), kind));
            }
        }
        for (JsonNode email : answer.path("invalidEmails")) { // deprecated top-level form
            if (kinds.putIfAbsent(email.asText().toLowerCase(Locale.ROOT), "invalidEmails") == null) {
                refusals.add(new BulkAnswer.Refusal(email.asText(), "invalidEmails"));
            }
        }
        return new BulkAnswer(kinds, refusals);
    }

    /**
     * Readies a call ({@code path} under the data centre's /api) with the connection's key; a sync
     * whose integration was disconnected stops here.
     */
    private void call(Exchange exchange, ListSync sync, String method, String path) {
        String apiKey;
        try {
            apiKey = connection.apiKey();
        } catch (IterableConnection.KeyRefUnusableException unusable) {
            throw unusable;
        } catch (IllegalStateException disconnected) {
            throw new IllegalStateException("the Iterable integration was disconnected during the run, which stopped; "
                    + "connect again (PUT /api/integration) to resume dynamic syncs");
        }
        sync.iterableCall();
        org.apache.camel.Message request = OutboundHttp.request(exchange, method, "POST".equals(method) ? "application/json" : null, null);
        request.setHeader("Api-Key", apiKey);
        request.setHeader(Exchange.HTTP_PATH, path);
    }
}

package io.bridge.mixpanel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.springframework.stereotype.Component;

/**
 * Mixpanel's Import Events API ({@code POST {ingestion-url}/import?strict=1&project_id=N}) as facts
 * and two steps around Camel's http component: the request's headers (the service account, the
 * project, strict mode, gzip) and the strict-mode answer read into an {@link ImportAnswer}. It knows
 * nothing of where the events come from.
 */
@Component("mixpanelImport")
public class MixpanelImport {

    /** Most events in one request. */
    public static final int MAX_EVENTS = 2000;
    /** Most bytes of uncompressed JSON in one request ("10 MB"; read as 10,000,000 to be safe). */
    public static final int MAX_BYTES = 10_000_000;
    /** {@code $insert_id}: 1-36 characters, letters, digits or '-'. */
    public static final int MAX_INSERT_ID = 36;

    /**
     * distinct_ids Mixpanel refuses as placeholders (compared without case): its docs name anon,
     * null, none, undefined, 0, -1 and the nil UUID; the others are on its list of invalid ids too.
     */
    private static final Set<String> PLACEHOLDERS = Set.of("anon", "anonymous", "null", "none", "nil", "undefined", "unknown",
            "0", "-1", "00000000-0000-0000-0000-000000000000", "n/a", "na", "<nil>", "true", "false", "[]", "{}");

    /** One event Mixpanel refused in strict mode: its index in the request, its $insert_id, the field and why. */
    public record FailedRecord(int index, String insertId, String field, String message) {
    }

    /**
     * Mixpanel's answer: the HTTP status, how many events it imported, the events it refused (400
     * in strict mode is a partial success) and its error message, if any.
     */
    public record ImportAnswer(int status, int imported, List<FailedRecord> failedRecords, String error) {

        /** 200, or 400 naming the events it refused: every other event of the request is imported. */
        public boolean settled() {
            return status / 100 == 2 || (status == 400 && !failedRecords.isEmpty());
        }
    }

    private final ObjectMapper mapper = new ObjectMapper();
    private final MixpanelProperties props;

    public MixpanelImport(MixpanelProperties props) {
        this.props = props;
    }

    /** True unless Mixpanel would refuse the value as a distinct_id (null, blank or a placeholder). */
    public static boolean usableDistinctId(String id) {
        return id != null && !id.isBlank() && !PLACEHOLDERS.contains(id.strip().toLowerCase(Locale.ROOT));
    }

    /** Readies the message for one import request: only these headers go out; the body is the events' JSON array. */
    public void request(Exchange exchange) {
        Message message = exchange.getMessage();
        Object body = message.getBody();
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_METHOD, "POST");
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        // Camel's http component compresses the body when this header says gzip
        message.setHeader(Exchange.CONTENT_ENCODING, "gzip");
        message.setHeader(Exchange.HTTP_QUERY, "strict=1&project_id=" + URLEncoder.encode(props.projectId(), StandardCharsets.UTF_8));
        message.setHeader("Accept", "application/json");
        message.setHeader("Authorization", props.authorization());
        message.setBody(body);
    }

    /** Reads Mixpanel's answer (any status; a body that is not JSON counts as no message). */
    public ImportAnswer answer(int status, InputStream body) {
        JsonNode json = null;
        try {
            json = body == null ? null : mapper.readTree(body);
        } catch (IOException notJson) {
            // a proxy's HTML page, a cut-off body: the status alone says what to do
        }
        List<FailedRecord> failed = new ArrayList<>();
        String error = null;
        int imported = 0;
        if (json != null && json.isObject()) {
            imported = json.path("num_records_imported").asInt(0);
            for (JsonNode f : json.path("failed_records")) {
                failed.add(new FailedRecord(f.path("index").asInt(-1), f.path("$insert_id").asText(null),
                        f.path("field").asText(null), f.path("message").asText("no message")));
            }
            if (json.hasNonNull("error")) {
                error = json.get("error").asText();
            }
        }
        return new ImportAnswer(status, imported, List.copyOf(failed), error);
    }
}

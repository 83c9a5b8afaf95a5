package io.bridge.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The JSON error every refusal at the HTTP edge answers with, the same shape as the routes' own:
 * {@code {"status":..,"error":..,"message":..}}. Messages are the bridge's own words; nothing of
 * the request is echoed.
 */
public final class Problems {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Problems() {
    }

    public static void write(HttpServletResponse response, int status, String error, String message) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("error", error);
        body.put("message", message);
        response.setStatus(status);
        response.setContentType("application/json");
        JSON.writeValue(response.getOutputStream(), body);
    }

    private static final CountedLog REFUSED_CHARACTERS = new CountedLog();

    /**
     * The answer to a request refused for characters in its path or headers (Spring Security's
     * firewall), and a log line that quotes nothing of them (at most one each 10 s, with the count).
     */
    public static void writeRefusedCharacters(HttpServletResponse response) throws IOException {
        long refused = REFUSED_CHARACTERS.count();
        if (refused > 0) {
            LoggerFactory.getLogger(Problems.class).info("requests refused (400) since the last such line: {}; their path or a header "
                    + "held characters the bridge does not take", refused);
        }
        write(response, 400, "bad_request", "the request's path or one of its headers holds characters the bridge does not take "
                + "(an encoded slash, backslash or dot segment, a control character): send it without them");
    }

    /** The answer to a status that no more precise message covers. */
    public static void writeGeneric(HttpServletResponse response, int status) throws IOException {
        boolean client = status >= 400 && status < 500;
        write(response, client || status >= 500 && status < 600 ? status : 500, client ? "bad_request" : "internal_error",
                client ? "the request cannot be handled as sent" : "the bridge failed to handle this request; see its log");
    }
}

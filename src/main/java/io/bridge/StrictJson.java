package io.bridge;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.springframework.http.MediaType;

/**
 * Reads the JSON body of a control-plane request strictly, or refuses it with a 400
 * {@code invalid_request} that names the field and what it must be: exactly one JSON object (no
 * {@code null}, array, string or number; nothing after it), each field once, no unknown field, and
 * every value of its field's own type ({@code 1001.5} or {@code "1001"} is not a whole number,
 * {@code 1} is not a string).
 */
public final class StrictJson {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES,
                    DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(LogicalType.Textual, c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();
    /** Reads one value and stops, so that content after it gets its own message rather than a parse error. */
    private static final ObjectReader ONE_VALUE = MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private StrictJson() {
    }

    /**
     * The body as a {@code type}, or an {@link ApiProblem} 400 saying what is wrong and that the
     * body is {@code shape}.
     */
    public static <T> T read(String body, Class<T> type, String shape) {
        JsonNode tree;
        try (JsonParser parser = MAPPER.createParser(body == null ? "" : body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw invalid("the body is empty: send JSON " + shape);
            }
            if (first != JsonToken.START_OBJECT) {
                throw invalid("the body must be a JSON object " + shape + ", got " + kind(ONE_VALUE.readTree(parser)));
            }
            tree = ONE_VALUE.readTree(parser);
            try {
                if (parser.nextToken() != null) {
                    throw invalid(after(shape));
                }
            } catch (JsonProcessingException e) {
                throw invalid(after(shape));
            }
        } catch (JsonProcessingException e) {
            throw invalid("the body must be JSON " + shape + "; " + where(e) + reason(e));
        } catch (IOException e) {
            throw new IllegalStateException("reading a String cannot fail with I/O", e);
        }
        try {
            return MAPPER.treeToValue(tree, type);
        } catch (UnrecognizedPropertyException e) {
            throw invalid("unknown field '" + safe(e.getPropertyName()) + "': the body is " + shape);
        } catch (JsonMappingException e) {
            String field = field(e.getPath());
            if (field == null) {
                throw invalid("the body must be JSON " + shape);
            }
            JsonNode value = tree.get(field);
            String expected = expected(e);
            if (value != null && value.isIntegralNumber() && (expected.equals("a whole number") || e.getCause() instanceof InputCoercionException)) {
                throw invalid(field + " is out of range: it must be a whole number up to " + Long.MAX_VALUE);
            }
            throw invalid(field + " must be " + expected + ", got " + kind(value) + ": the body is " + shape);
        } catch (JsonProcessingException e) {
            throw invalid("the body must be JSON " + shape + "; " + reason(e));
        }
    }

    private static ApiProblem invalid(String message) {
        return new ApiProblem(400, "invalid_request", message);
    }

    private static String after(String shape) {
        return "content after the JSON object: send exactly one JSON object " + shape;
    }

    private static String where(JsonProcessingException e) {
        return e.getLocation() == null || e.getLocation().getLineNr() < 0 ? ""
                : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ": ";
    }

    /**
     * The parser's reason, without its notes on where the input came from and on its own settings
     * (which limit of {@code StreamReadConstraints}, which {@code JsonReadFeature} would allow it):
     * a sender cannot change those, and they name the bridge's internals.
     */
    public static String reason(JsonProcessingException e) {
        String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        for (String note : new String[] {" (start marker at", "[Source:", "\n"}) {
            int at = message.indexOf(note);
            message = at < 0 ? message : message.substring(0, at);
        }
        message = READER_SETTING.matcher(message).replaceAll("");
        return safe(message.strip());
    }

    /** Jackson's notes naming its settings: {@code , from `StreamReadConstraints.getMaxNestingDepth()`}, {@code : enable `JsonReadFeature.X` to allow}. */
    private static final java.util.regex.Pattern READER_SETTING = java.util.regex.Pattern.compile(
            ",? from `[^`]*`|[;:,]? *\\(?enable `[^`]*` to allow\\)?|\\s*\\(use `[^`]*`[^)]*\\)");

    /** Whether a Content-Type is application/json with no charset or UTF-8's: the only JSON the bridge reads. */
    public static boolean isJsonInUtf8(String contentType) {
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return type.getType().equals("application") && type.getSubtype().equals("json")
                    && (type.getCharset() == null || type.getCharset().equals(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException unreadable) { // InvalidMediaTypeException, an unknown or malformed charset
            return false;
        }
    }

    /** The top-level field a mapping error is about, or null. */
    private static String field(List<JsonMappingException.Reference> path) {
        return path.isEmpty() ? null : path.get(0).getFieldName();
    }

    /** What a field must be, by the type it is read as. */
    private static String expected(JsonMappingException e) {
        Class<?> target = e instanceof MismatchedInputException m ? m.getTargetType() : null;
        if (target == Long.class || target == long.class || target == Integer.class || target == int.class) {
            return "a whole number";
        }
        if (target == String.class) {
            return "a string";
        }
        if (target == Boolean.class || target == boolean.class) {
            return "true or false";
        }
        return target == null ? "of another type" : "a " + target.getSimpleName();
    }

    /** A JSON value's kind, in words. */
    private static String kind(JsonNode value) {
        if (value == null || value.isNull()) {
            return "null";
        }
        if (value.isTextual()) {
            return "a string";
        }
        if (value.isIntegralNumber()) {
            return "a whole number";
        }
        if (value.isNumber()) {
            return "a number with a fraction";
        }
        if (value.isBoolean()) {
            return "true or false";
        }
        return value.isArray() ? "an array" : "an object";
    }

    /** Text from the parser (it may quote the input) with control, format and separator characters escaped. */
    private static String safe(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(Math.min(s.length(), 300));
        s.codePoints().limit(300).forEach(c -> {
            switch (Character.getType(c)) {
                case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                        Character.SURROGATE -> out.append(String.format("\\u%04x", c));
                default -> out.appendCodePoint(c);
            }
        });
        return out.toString();
    }
}

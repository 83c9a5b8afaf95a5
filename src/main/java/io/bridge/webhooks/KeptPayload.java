package io.bridge.webhooks;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * A refused delivery's body in a form {@code rejected_webhooks.payload} can always hold: the text as
 * received when it is valid UTF-8 without NUL characters (PostgreSQL text cannot hold NUL), else the
 * bytes base64-encoded; never longer than the column. {@code note} says what was done, for the
 * reason column; null when the payload is the body exactly as received.
 */
record KeptPayload(String text, String note) {

    /** Size of {@code rejected_webhooks.payload} (V5_1): base64 of max-payload-bytes (1 MiB) fits. */
    static final int COLUMN_CHARS = 1_400_000;

    static KeptPayload of(byte[] body) {
        String text = strictUtf8(body, body.length);
        if (text == null) {
            return base64(body, "not valid UTF-8");
        }
        return of(text);
    }

    static KeptPayload of(String text) {
        if (text == null) {
            return new KeptPayload("", null);
        }
        if (text.indexOf('\0') >= 0 || SafeText.unpairedSurrogate(text) >= 0) {
            return base64(text.getBytes(StandardCharsets.UTF_8), "it contains NUL or unpaired surrogate characters");
        }
        if (text.length() > COLUMN_CHARS) {
            return new KeptPayload(text.substring(0, COLUMN_CHARS), "first " + COLUMN_CHARS + " characters kept");
        }
        return new KeptPayload(text, null);
    }

    /**
     * The first {@code limit} bytes of an oversized body, cut before a character that the cut would
     * split, so that a UTF-8 body stays text.
     */
    static KeptPayload head(byte[] body, int limit, String note) {
        int length = Math.min(body.length, limit);
        for (int cut = length; cut >= Math.max(0, length - 3); cut--) {
            String text = strictUtf8(body, cut);
            if (text != null) {
                KeptPayload kept = of(text);
                return kept.note == null ? new KeptPayload(kept.text, note) : kept;
            }
        }
        return base64(Arrays.copyOf(body, length), "not valid UTF-8; " + note);
    }

    private static KeptPayload base64(byte[] bytes, String why) {
        String encoded = Base64.getEncoder().encodeToString(bytes);
        if (encoded.length() > COLUMN_CHARS) {
            encoded = encoded.substring(0, COLUMN_CHARS - COLUMN_CHARS % 4);
            why += "; first " + encoded.length() / 4 * 3 + " bytes kept";
        }
        return new KeptPayload(encoded, "payload kept base64-encoded: " + why);
    }

    /** The bytes as text when they are valid UTF-8, else null. */
    static String strictUtf8(byte[] bytes, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}

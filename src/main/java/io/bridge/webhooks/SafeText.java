package io.bridge.webhooks;

/**
 * Text from a delivery made safe to write into a log line, an error message or a database column:
 * control characters (C0, DEL, C1), line and paragraph separators, bidirectional overrides and
 * unpaired surrogates are written as escapes (a newline as <code>&#92;n</code>, U+2028 as <code>&#92;u2028</code>), so input can never start
 * a log line of its own, hide text, or break an encoder.
 */
public final class SafeText {

    /** How much of a value from a delivery an error message quotes. */
    static final int QUOTED = 80;

    private SafeText() {
    }

    /** {@code s} with every unsafe character escaped; {@code s} itself when there is none. */
    public static String neutralise(String s) {
        if (s == null) {
            return null;
        }
        int i = 0;
        while (i < s.length() && !unsafe(s, i)) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!unsafe(s, i)) {
                out.append(c);
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out.toString();
    }

    /** A value from a delivery for an error message: quoted, neutralised, and cut to {@value #QUOTED} characters. */
    public static String quote(String s) {
        if (s == null) {
            return "null";
        }
        String cut = s.length() <= QUOTED ? s : s.substring(0, QUOTED) + "...(" + s.length() + " characters)";
        return "'" + neutralise(cut) + "'";
    }

    private static boolean unsafe(String s, int i) {
        char c = s.charAt(i);
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
            return true;
        }
        if (c < 0x2000) {
            return c == 0x061c; // Arabic letter mark
        }
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        }
        return c == 0x2028 || c == 0x2029 || c == 0x200e || c == 0x200f
                || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
    }

    /** The index of the first unpaired UTF-16 surrogate in {@code s}, or -1. */
    static int unpairedSurrogate(String s) {
        // a code point at i is a lone surrogate exactly when the pair is broken; stepping by code
        // points (never by hand) keeps the loop moving forward whatever the input
        for (int i = 0; i < s.length(); i += Character.charCount(s.codePointAt(i))) {
            if (Character.getType(s.codePointAt(i)) == Character.SURROGATE) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The index of the first character in {@code s} that has no place in a name or an id, or -1:
     * Unicode categories Cc (control: C0, DEL, C1), Cf (format: bidirectional controls such as
     * U+202E, zero-width characters such as U+200B, the byte order mark), Zl and Zp (U+2028, U+2029).
     * Such characters hide or reorder text, so two values that look alike would differ.
     */
    static int invisibleCharacter(String s) {
        for (int i = 0; i < s.length(); i += Character.charCount(s.codePointAt(i))) {
            switch (Character.getType(s.codePointAt(i))) {
                case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> {
                    return i;
                }
                default -> {
                }
            }
        }
        return -1;
    }

    /** Whether {@code s} holds nothing but white space of any kind (no-break spaces too). */
    static boolean blank(String s) {
        return s.codePoints().allMatch(SafeText::space);
    }

    /** {@code s} without white space of any kind (no-break spaces too) at either end. */
    static String strip(String s) {
        int begin = 0;
        int end = s.length();
        while (begin < end && space(s.codePointAt(begin))) {
            begin += Character.charCount(s.codePointAt(begin));
        }
        while (end > begin && space(s.codePointBefore(end))) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(begin, end);
    }

    private static boolean space(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }
}

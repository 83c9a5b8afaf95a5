package io.bridge;

/**
 * Characters that have no place in a name or an id: Unicode categories Cc (control: C0, DEL, C1),
 * Cf (format: bidirectional controls such as U+202E, zero-width characters such as U+200B, the
 * byte order mark), Zl and Zp (U+2028, U+2029). Such characters hide or reorder text, so two values
 * that look alike would differ.
 */
public final class InvisibleCharacters {

    private InvisibleCharacters() {
    }

    /** The index of the first such character in {@code s}, or -1. */
    public static int indexIn(String s) {
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

    /** What the character at {@code at} in {@code s} is, for a message: {@code U+202E (RIGHT-TO-LEFT OVERRIDE) at character 2}. */
    public static String describe(String s, int at) {
        int c = s.codePointAt(at);
        return String.format("U+%04X", c) + " (" + Character.getName(c) + ") at character " + (s.codePointCount(0, at) + 1);
    }
}

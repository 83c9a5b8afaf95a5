package io.bridge.exports;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The emails one run has already read, so that each is sent once however many members share it.
 * Holds a 128-bit fingerprint (the first half of the email's SHA-256) per email in an open-addressing
 * table: 32 MiB for a million emails, where the strings themselves would not fit a small heap. Two
 * different emails would have to share all 128 bits to be mistaken for each other.
 */
final class SeenEmails {

    private final MessageDigest sha256;
    private long[] slots = new long[2 * 1024]; // {high, low} pairs; {0, 0} is an empty slot
    private int size;

    SeenEmails() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Adds a lower-case email; false when this run has seen it before. */
    boolean add(String emailKey) {
        ByteBuffer digest = ByteBuffer.wrap(sha256.digest(emailKey.getBytes(StandardCharsets.UTF_8)));
        long high = digest.getLong();
        long low = digest.getLong();
        if (high == 0 && low == 0) {
            low = 1; // keeps {0, 0} free to mean "empty"
        }
        if (2 * (size + 1) > slots.length / 2) {
            grow();
        }
        if (!insert(slots, high, low)) {
            return false;
        }
        size++;
        return true;
    }

    int size() {
        return size;
    }

    private static boolean insert(long[] table, long high, long low) {
        int mask = table.length / 2 - 1;
        for (int i = (int) (low ^ (low >>> 32)) & mask; ; i = (i + 1) & mask) {
            if (table[2 * i] == 0 && table[2 * i + 1] == 0) {
                table[2 * i] = high;
                table[2 * i + 1] = low;
                return true;
            }
            if (table[2 * i] == high && table[2 * i + 1] == low) {
                return false;
            }
        }
    }

    private void grow() {
        long[] bigger = new long[slots.length * 2];
        for (int i = 0; i < slots.length; i += 2) {
            if (slots[i] != 0 || slots[i + 1] != 0) {
                insert(bigger, slots[i], slots[i + 1]);
            }
        }
        slots = bigger;
    }
}

package io.bridge;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * A webhook's own HTTP Basic credentials, held as SHA-256 digests and compared in constant time
 * ({@link MessageDigest#isEqual}): Iterable's and Mixpanel's webhooks check them the same way.
 */
public final class BasicCredentials {

    private BasicCredentials() {
    }

    /** True when {@code encoded} (what follows "Basic ") is base64 of user:password with these digests. */
    public static boolean match(String encoded, byte[] expectedUser, byte[] expectedPassword) {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(encoded.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return false;
        }
        boolean user = MessageDigest.isEqual(digest(decoded.substring(0, colon)), expectedUser);
        boolean password = MessageDigest.isEqual(digest(decoded.substring(colon + 1)), expectedPassword);
        return user & password;
    }

    public static byte[] digest(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}

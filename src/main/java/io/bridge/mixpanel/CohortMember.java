package io.bridge.mixpanel;

import java.util.Locale;

/**
 * A member of a Mixpanel cohort as the Query API gives it: the profile's {@code $distinct_id} and
 * its {@code $email}, trimmed (null when the profile has none).
 */
public record CohortMember(String distinctId, String email) {

    public CohortMember {
        email = email == null || email.isBlank() ? null : email.trim();
    }

    /** True when the member can be matched in Iterable, which matches users on email. */
    public boolean hasEmail() {
        return email != null;
    }

    /** The email as Iterable compares it: lower-case (null without one). */
    public String emailKey() {
        return email == null ? null : email.toLowerCase(Locale.ROOT);
    }
}

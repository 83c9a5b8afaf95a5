package io.bridge.iterable;

import java.util.List;
import java.util.Map;

/**
 * Iterable's answer to a subscribe or unsubscribe call: the emails it refused, lower-case email to
 * the kind of failure ({@code invalidEmails}, {@code conflictEmails}, {@code invalidDataEmails}),
 * and each refusal as Iterable wrote the email.
 */
public record BulkAnswer(Map<String, String> refusedKinds, List<Refusal> refusals) {

    public record Refusal(String email, String kind) {
    }

    /** The kind of failure of an email (lower-case), or null when Iterable did not refuse it. */
    public String refusal(String emailKey) {
        return refusedKinds.get(emailKey);
    }
}

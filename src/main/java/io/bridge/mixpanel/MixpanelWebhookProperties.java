package io.bridge.mixpanel;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bridge.webhooks.mixpanel.*}: Mixpanel's cohort-sync webhook (push) at /webhooks/mixpanel.
 * Credentials come from the environment, never from application.yaml.
 *
 * @param username          HTTP Basic user name Mixpanel's webhook destination is given
 * @param password          its password
 * @param maxPayloadBytes   largest accepted call; larger get 413
 * @param maxMembersPerPage most members in one call (Mixpanel sends 1,000); more get 413
 * @param applyInterval     how often a replica looks for pushed pages to apply to Iterable
 * @param runsAtOnce        push runs (each of one cohort) a replica runs at once
 * @param retryFailedAfter  how long pages whose run failed wait before a run tries them again
 * @param sessionTimeout    how long a members session's run waits for its next page: past it the
 *                          run ends, the pages so far count as applied and nobody is unsubscribed
 * @param keepPages         how long a page is remembered after it was applied (a page Mixpanel sends
 *                          again within it has no second effect) or, unapplied, after it arrived
 *                          (a session abandoned midway is forgotten then)
 */
@ConfigurationProperties("bridge.webhooks.mixpanel")
public record MixpanelWebhookProperties(
        String username,
        String password,
        @DefaultValue("4194304") int maxPayloadBytes,
        @DefaultValue("5000") int maxMembersPerPage,
        @DefaultValue("1s") Duration applyInterval,
        @DefaultValue("4") int runsAtOnce,
        @DefaultValue("5m") Duration retryFailedAfter,
        @DefaultValue("10m") Duration sessionTimeout,
        @DefaultValue("3d") Duration keepPages) {

    /** True when both credentials are set: without them every call is refused. */
    public boolean configured() {
        return username != null && !username.isBlank() && password != null && !password.isBlank();
    }

    @Override
    public String toString() { // never print credentials, even by accident
        return "MixpanelWebhookProperties[maxPayloadBytes=" + maxPayloadBytes + ", maxMembersPerPage=" + maxMembersPerPage
                + ", applyInterval=" + applyInterval + ", runsAtOnce=" + runsAtOnce + ", retryFailedAfter=" + retryFailedAfter + ", sessionTimeout=" + sessionTimeout
                + ", keepPages=" + keepPages + "]";
    }
}

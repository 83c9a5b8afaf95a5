package io.bridge.mixpanel;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bridge.mixpanel.*}: the project's Query API, reached with a service account.
 *
 * @param baseUrl        region: https://mixpanel.com (US), https://eu.mixpanel.com, https://in.mixpanel.com
 * @param projectId      the Mixpanel project
 * @param username       service-account user name
 * @param secret         service-account secret (environment only)
 * @param queriesPerHour   the project's query budget, shared by every run (each page is a query)
 * @param maxConcurrent    the project's concurrent-query limit
 * @param cohortsCacheTtl  how long the control plane's listing of the project's cohorts is reused (0: never)
 * @param reservedForSyncs queries of the hourly budget the control plane's listing never takes: they are the syncs'
 * @param slotLease        how long a replica's max-concurrent slot outlives the replica (renewed while it lives)
 * @param ingestionUrl     Ingestion API region (Import Events): https://api.mixpanel.com (US),
 *                         https://api-eu.mixpanel.com, https://api-in.mixpanel.com
 */
@ConfigurationProperties("bridge.mixpanel")
public record MixpanelProperties(
        @DefaultValue("https://mixpanel.com") String baseUrl,
        String projectId,
        String username,
        String secret,
        @DefaultValue("60") int queriesPerHour,
        @DefaultValue("5") int maxConcurrent,
        @DefaultValue("60s") Duration cohortsCacheTtl,
        @DefaultValue("40") int reservedForSyncs,
        @DefaultValue("60s") Duration slotLease,
        @DefaultValue("https://api.mixpanel.com") String ingestionUrl) {

    /** The service account's settings that are not set, by their environment names (none: the account is configured). */
    public java.util.List<String> missingSettings() {
        java.util.List<String> missing = new java.util.ArrayList<>();
        if (projectId == null || projectId.isBlank()) {
            missing.add("BRIDGE_MIXPANEL_PROJECTID");
        }
        if (username == null || username.isBlank()) {
            missing.add("BRIDGE_MIXPANEL_USERNAME");
        }
        if (secret == null || secret.isBlank()) {
            missing.add("BRIDGE_MIXPANEL_SECRET");
        }
        return missing;
    }

    /** The service account's HTTP Basic Authorization header value (never logged). */
    public String authorization() {
        return "Basic " + java.util.Base64.getEncoder().encodeToString(
                (username + ":" + secret).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "MixpanelProperties[baseUrl=" + baseUrl + ", ingestionUrl=" + ingestionUrl + ", projectId=" + projectId + "]";
    }
}

package io.bridge.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeHttpTest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/** Each mode of bridge.webhooks.iterable.auth, through HTTP: right credentials in, wrong ones out. */
class WebhookAuthenticationTest {

    static final String EVENT = "{\"email\":\"a@x.com\",\"eventName\":\"emailOpen\"}";

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    abstract static class Mode extends BridgeHttpTest {
        HttpResponse<String> deliver(String authorization) {
            Map<String, String> headers = new HashMap<>(Map.of("Content-Type", "application/json"));
            if (authorization != null) {
                headers.put("Authorization", authorization);
            }
            return post("/webhooks/iterable", EVENT, headers);
        }

        void accepted(String authorization) {
            int before = count("billable_events");
            HttpResponse<String> response = deliver(authorization);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(count("billable_events")).isEqualTo(before + (before == 0 ? 1 : 0));
        }

        /** What a refusal names as the way in: both schemes unless one mode is in force with its credentials. */
        String challenge() {
            return "Basic realm=\"iterable-webhooks\", Bearer realm=\"iterable-webhooks\"";
        }

        void refused(String authorization) {
            HttpResponse<String> response = deliver(authorization);
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(json(response).get("error").asText()).isEqualTo("unauthorized");
            assertThat(response.headers().firstValue("WWW-Authenticate")).as("the scheme to use").hasValue(challenge());
            assertThat(count("billable_events")).isZero();
            assertThat(count("rejected_webhooks")).as("unauthenticated payloads are not kept").isZero();
        }
    }

    @Nested
    @TestPropertySource(properties = {"bridge.webhooks.iterable.auth=token", "bridge.webhooks.iterable.token=Test-Token-Abc"})
    class Token extends Mode {
        @Override
        String challenge() {
            return "Bearer realm=\"iterable-webhooks\"";
        }

        @Test
        void acceptsOAuth2AndBearerWithTheToken() {
            accepted("OAuth2 Test-Token-Abc");
            accepted("Bearer Test-Token-Abc");
            accepted("oauth2 Test-Token-Abc");
        }

        @Test
        void refusesAWrongOrMissingToken() {
            refused("OAuth2 test-token-abc");
            refused("OAuth2 Test-Token-Abc-and-more");
            refused("Bearer ");
            refused("Test-Token-Abc");
            refused(basic("Test-Token-Abc", "Test-Token-Abc"));
            refused(null);
        }
    }

    @Nested
    @TestPropertySource(properties = {"bridge.webhooks.iterable.auth=basic", "bridge.webhooks.iterable.token=",
            "bridge.webhooks.iterable.username=iterable", "bridge.webhooks.iterable.password=test:password"})
    class Basic extends Mode {
        @Override
        String challenge() {
            return "Basic realm=\"iterable-webhooks\"";
        }

        @Test
        void acceptsTheConfiguredUserAndPassword() {
            accepted(basic("iterable", "test:password"));
        }

        @Test
        void refusesAWrongUserPasswordOrScheme() {
            refused(basic("iterable", "pa:ss-w0rD"));
            refused(basic("Iterable", "test:password"));
            refused(basic("iterable", ""));
            refused("Basic not-base64!");
            refused("Bearer test:password");
            refused(null);
        }
    }

    @Nested
    @TestPropertySource(properties = {"bridge.webhooks.iterable.auth=none", "bridge.webhooks.iterable.token="})
    class None extends Mode {
        @Test
        void acceptsDeliveriesWithoutCredentials() {
            accepted(null);
            accepted("OAuth2 anything");
        }
    }

    @Nested
    @TestPropertySource(properties = {"bridge.webhooks.iterable.auth=", "bridge.webhooks.iterable.token="})
    class NothingConfigured extends Mode {
        @Test
        void isLockedByDefault() {
            refused(null);
            refused("OAuth2 ");
            refused(basic("", ""));
        }
    }

    @Nested
    @TestPropertySource(properties = {"bridge.webhooks.iterable.auth=basic", "bridge.webhooks.iterable.token=secret"})
    class ModeWithoutItsCredentials extends Mode {
        @Test
        void isLockedRatherThanFallingBackToAnotherMode() {
            refused("OAuth2 secret");
            refused(basic("", "secret"));
        }
    }
}

package io.bridge.mixpanel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** Who gets into /webhooks/mixpanel, decided on the Authorization header alone. */
@ExtendWith(OutputCaptureExtension.class)
class MixpanelWebhookAuthenticatorTest {

    static MixpanelWebhookProperties props(String user, String password) {
        return new MixpanelWebhookProperties(user, password, 4194304, 5000, Duration.ofSeconds(1), 4, Duration.ofMinutes(5),
                Duration.ofMinutes(10), Duration.ofDays(3));
    }

    static String basic(String credentials) {
        return "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void withoutCredentialsEveryCallIsRefusedAndTheLogSaysWhatToSet(CapturedOutput output) {
        for (MixpanelWebhookProperties unset : new MixpanelWebhookProperties[] {props(null, null), props("mp", ""), props(" ", "pw")}) {
            MixpanelWebhookAuthenticator locked = new MixpanelWebhookAuthenticator(unset);
            assertThat(locked.refusal(basic("mp:pw"))).contains("BRIDGE_WEBHOOKS_MIXPANEL_USERNAME");
            assertThat(locked.refusal(basic(":"))).isNotNull();
            assertThat(locked.refusal(null)).isNotNull();
        }
        assertThat(output.getAll()).contains("A call to /webhooks/mixpanel was refused (401): set BRIDGE_WEBHOOKS_MIXPANEL_USERNAME "
                + "and BRIDGE_WEBHOOKS_MIXPANEL_PASSWORD");
    }

    @Test
    void onlyTheConfiguredBasicCredentialsGetIn() {
        MixpanelWebhookAuthenticator auth = new MixpanelWebhookAuthenticator(props("mp-user", "mp:secret"));
        assertThat(auth.refusal(basic("mp-user:mp:secret"))).as("a password may hold a colon").isNull();
        assertThat(auth.refusal("basic " + Base64.getEncoder().encodeToString("mp-user:mp:secret".getBytes(StandardCharsets.UTF_8))))
                .as("the scheme in any case").isNull();
        assertThat(auth.refusal(null)).isEqualTo("missing Authorization header");
        for (String wrong : new String[] {basic("mp-user:wrong"), basic("other:mp:secret"), basic("mp-user"), "Basic !!!notbase64",
                "Bearer mp:secret", "Basic", basic("mp-user:mp:secret").replace("Basic ", "Digest ")}) {
            assertThat(auth.refusal(wrong)).as(wrong).isEqualTo("wrong credentials in Authorization header");
        }
    }
}

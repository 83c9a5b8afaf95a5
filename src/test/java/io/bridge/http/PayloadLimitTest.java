package io.bridge.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bridge.mixpanel.MixpanelWebhookProperties;
import io.bridge.webhooks.IterableWebhookProperties;
import io.bridge.webhooks.IterableWebhookProperties.AuthMode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A webhook's max-payload-bytes outside 1 .. 1 GiB stops the start with the setting's name, not a 500 per request later. */
class PayloadLimitTest {

    static IterableWebhookProperties iterable(int max) {
        return new IterableWebhookProperties(AuthMode.TOKEN, null, null, "t", max, 1000, 8_388_608);
    }

    static MixpanelWebhookProperties mixpanel(int max) {
        return new MixpanelWebhookProperties("u", "p", max, 5000, Duration.ofSeconds(1), 4, Duration.ofMinutes(5),
                Duration.ofMinutes(10), Duration.ofDays(3));
    }

    @Test
    void aLimitFromOneByteToOneGibibyteIsTaken() {
        assertThat(iterable(1).maxPayloadBytes()).isEqualTo(1);
        assertThat(iterable(1 << 30).maxPayloadBytes()).isEqualTo(1 << 30);
        assertThat(mixpanel(1).maxPayloadBytes()).isEqualTo(1);
        assertThat(mixpanel(1 << 30).maxPayloadBytes()).isEqualTo(1 << 30);
    }

    @Test
    void zeroOrMoreThanOneGibibyteIsRefusedNamingTheSetting() {
        for (int max : new int[] {0, -1, (1 << 30) + 1, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> iterable(max)).as("iterable %d", max).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("bridge.webhooks.iterable.max-payload-bytes").hasMessageContaining(String.valueOf(max));
            assertThatThrownBy(() -> mixpanel(max)).as("mixpanel %d", max).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("bridge.webhooks.mixpanel.max-payload-bytes").hasMessageContaining(String.valueOf(max));
        }
    }
}

package io.bridge.http;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bridge.mixpanel.MixpanelWebhookProperties;
import io.bridge.webhooks.IterableWebhookProperties;
import io.bridge.webhooks.IterableWebhookProperties.AuthMode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A body limit (the API's max-body-bytes, a webhook's max-payload-bytes) outside 1 .. 1 GiB stops the
 * start with the setting's name: the edge reads limit + 1 bytes, which overflowed at the largest int
 * and answered 500 to every request.
 */
class PayloadLimitTest {

    static IterableWebhookProperties iterable(int max) {
        return new IterableWebhookProperties(AuthMode.TOKEN, null, null, "t", max, 1000, 8_388_608);
    }

    static MixpanelWebhookProperties mixpanel(int max) {
        return new MixpanelWebhookProperties("u", "p", max, 5000, Duration.ofSeconds(1), 4, Duration.ofMinutes(5),
                Duration.ofMinutes(10), Duration.ofDays(3));
    }

    static HttpEdgeFilter edge(int api, int iterable, int mixpanel) {
        return new HttpEdgeFilter(null, new HttpEdgeProperties(api), iterable(iterable), mixpanel(mixpanel), java.time.Duration.ofSeconds(20));
    }

    @Test
    void aLimitFromOneByteToOneGibibyteIsTaken() {
        assertThatCode(() -> edge(1, 1, 1)).doesNotThrowAnyException();
        assertThatCode(() -> edge(1 << 30, 1 << 30, 1 << 30)).doesNotThrowAnyException();
    }

    @Test
    void zeroOrMoreThanOneGibibyteIsRefusedNamingTheSetting() {
        for (int max : new int[] {0, -1, (1 << 30) + 1, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> edge(max, 1, 1)).as("api %d", max).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("bridge.api.max-body-bytes").hasMessageContaining(String.valueOf(max));
            assertThatThrownBy(() -> edge(1, max, 1)).as("iterable %d", max).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("bridge.webhooks.iterable.max-payload-bytes").hasMessageContaining(String.valueOf(max));
            assertThatThrownBy(() -> edge(1, 1, max)).as("mixpanel %d", max).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("bridge.webhooks.mixpanel.max-payload-bytes").hasMessageContaining(String.valueOf(max));
        }
    }
}

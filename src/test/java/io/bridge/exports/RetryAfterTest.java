package io.bridge.exports;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

    @Test
    void secondsAnHttpDateOrNothing() {
        assertThat(ExportRetryConfiguration.retryAfterMillis(Map.of("retry-after", "7"))).isEqualTo(7000);
        String inTenSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(10));
        assertThat(ExportRetryConfiguration.retryAfterMillis(Map.of("Retry-After", inTenSeconds))).isBetween(8000L, 10_000L);
        assertThat(ExportRetryConfiguration.retryAfterMillis(Map.of("Retry-After", "soon"))).isNull();
        assertThat(ExportRetryConfiguration.retryAfterMillis(Map.of())).isNull();
    }
}

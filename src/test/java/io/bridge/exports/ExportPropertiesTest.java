package io.bridge.exports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** bridge.exports.batch-size cannot ask Iterable for more than 1,000 subscribers in one call. */
class ExportPropertiesTest {

    static ExportProperties batchSize(int size) {
        return new ExportProperties("0 0/15 * * * ?", size, Duration.ofDays(1), 5, Duration.ofSeconds(1), Duration.ofMinutes(5), 20,
                Duration.ofMinutes(2), List.of());
    }

    @Test
    void aBatchIsOneToAThousandSubscribers() {
        assertThat(batchSize(1000).batchSize()).isEqualTo(1000);
        assertThat(batchSize(1).batchSize()).isEqualTo(1);
        assertThatThrownBy(() -> batchSize(1001)).hasMessageContaining("bridge.exports.batch-size must be 1 to 1000");
        assertThatThrownBy(() -> batchSize(0)).hasMessageContaining("got 0");
    }
}

package io.bridge.exports;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SeenEmailsTest {

    @Test
    void eachEmailIsNewOnceAcrossGrowth() {
        SeenEmails seen = new SeenEmails();
        for (int i = 0; i < 50_000; i++) {
            assertThat(seen.add("user" + i + "@example.com")).isTrue();
        }
        for (int i = 0; i < 50_000; i += 7) {
            assertThat(seen.add("user" + i + "@example.com")).as("seen before: user%d", i).isFalse();
        }
        assertThat(seen.add("someone-else@example.com")).isTrue();
        assertThat(seen.size()).isEqualTo(50_001);
    }
}

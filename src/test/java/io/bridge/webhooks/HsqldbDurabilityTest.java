package io.bridge.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bridge.support.BridgeHttpTest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * An HSQLDB file database is durable whatever its URL says: moved with a plain
 * {@code SPRING_DATASOURCE_URL=jdbc:hsqldb:file:/dir/bridge} (no {@code hsqldb.write_delay=false}),
 * the bridge still has every commit on disk before a webhook gets its 2xx, and says so in the log.
 */
@ExtendWith(OutputCaptureExtension.class)
@DirtiesContext
class HsqldbDurabilityTest extends BridgeHttpTest {

    static final Path DIR = Path.of("target", "hsqldb-durability-" + UUID.randomUUID());

    @DynamicPropertySource
    static void fileDatabase(DynamicPropertyRegistry registry) {
        // as an operator moving the database would write it: no write_delay property
        registry.add("spring.datasource.url", () -> "jdbc:hsqldb:file:" + DIR.toAbsolutePath() + "/bridge");
    }

    @Test
    void aFileUrlWithoutWriteDelayFalseStillCommitsToDisk(CapturedOutput output) {
        assertThat(post("/webhooks/iterable", "{\"email\":\"a@x.com\",\"eventName\":\"emailClick\"}",
                Map.of("Content-Type", "application/json", "Authorization", "OAuth2 test-webhook-token")).statusCode()).isEqualTo(200);

        assertThat(property("hsqldb.write_delay")).isEqualTo("false");
        assertThat(property("hsqldb.write_delay_millis")).isEqualTo("0");
        assertThat(output.getAll()).contains("HSQLDB file database had its write delay on").contains("set it off")
                .doesNotContain(DIR.toAbsolutePath().toString());
    }

    @Test
    void aDatabaseWhoseWriteDelayCannotBeTurnedOffStopsTheStart() throws Exception {
        String url = "jdbc:hsqldb:file:" + DIR.toAbsolutePath() + "-readonly-user/bridge;shutdown=true";
        try (Connection admin = DriverManager.getConnection(url, "SA", ""); Statement sql = admin.createStatement()) {
            sql.execute("CREATE USER reader PASSWORD 'reader-password'");
        }
        DriverManagerDataSource reader = new DriverManagerDataSource(url, "READER", "reader-password");

        assertThatThrownBy(() -> new io.bridge.webhooks.HsqldbDurability(reader).afterPropertiesSet())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("write delay").hasMessageContaining("hsqldb.write_delay=false")
                .hasMessageNotContaining("reader-password");
    }

    private String property(String name) {
        return jdbc.queryForObject("SELECT PROPERTY_VALUE FROM INFORMATION_SCHEMA.SYSTEM_PROPERTIES WHERE PROPERTY_NAME = ?",
                String.class, name);
    }
}

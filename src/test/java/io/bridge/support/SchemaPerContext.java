package io.bridge.support;

import java.util.Map;
import java.util.UUID;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;

/**
 * On PostgreSQL every cached test context would share one database: one context's rows (an
 * Iterable connection, an export, a run still going) would be another's "nothing configured". Each
 * {@link BridgeHttpTest} context gets a schema of its own instead: Flyway creates and migrates it,
 * and every pooled connection uses it (search_path). On HSQLDB each context has its own in-memory
 * database already: nothing to do. Tests that start bundles themselves to share a database
 * (ClusterTest, RestartTest) stay on the database's default schema.
 */
public class SchemaPerContext implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        String url = context.getEnvironment().getProperty("spring.datasource.url");
        if (url == null || !url.startsWith("jdbc:postgresql:")) {
            return;
        }
        String schema = "bridge_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("bridge-test-schema", Map.of(
                "spring.datasource.hikari.schema", schema,
                "spring.flyway.schemas", schema,
                "spring.flyway.default-schema", schema)));
    }
}

package io.bridge.support;

import java.util.HashMap;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * The PostgreSQL database of .ci/run's PostgreSQL pass (SPRING_DATASOURCE_URL, _USERNAME, _PASSWORD),
 * for the tests tagged "postgresql": a clear failure when a test runs without it.
 */
public final class Postgres {

    private Postgres() {
    }

    /** The database's URL; fails, naming the test, when the tests do not run on PostgreSQL. */
    public static String url(Class<?> test) {
        String url = System.getenv("SPRING_DATASOURCE_URL");
        if (url == null || !url.startsWith("jdbc:postgresql:")) {
            throw new IllegalStateException(test.getSimpleName()
                    + " needs PostgreSQL: SPRING_DATASOURCE_URL=jdbc:postgresql://... (see .ci/run)");
        }
        return url;
    }

    /** The test's own connection to the database, apart from any bundle's. */
    public static JdbcTemplate jdbc(Class<?> test) {
        return new JdbcTemplate(new DriverManagerDataSource(url(test), username(), System.getenv("SPRING_DATASOURCE_PASSWORD")));
    }

    /** The database for a bundle in its own JVM ({@link BridgeProcess} passes none of the test JVM's SPRING_ settings). */
    public static Map<String, String> environment(Class<?> test) {
        Map<String, String> env = new HashMap<>();
        env.put("SPRING_DATASOURCE_URL", url(test));
        env.put("SPRING_DATASOURCE_USERNAME", username());
        if (System.getenv("SPRING_DATASOURCE_PASSWORD") != null) {
            env.put("SPRING_DATASOURCE_PASSWORD", System.getenv("SPRING_DATASOURCE_PASSWORD"));
        }
        return env;
    }

    private static String username() {
        return System.getenv().getOrDefault("SPRING_DATASOURCE_USERNAME", "postgres");
    }
}

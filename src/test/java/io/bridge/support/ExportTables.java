package io.bridge.support;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Empties what cohort export and the control plane keep. Kept for tests that run the bundle outside
 * {@link BridgeHttpTest} (which empties every table before each test by itself): it now empties
 * every bridge table, read from the schema ({@link BridgeTables}), not a list kept by hand.
 */
public final class ExportTables {

    private ExportTables() {
    }

    public static void empty(JdbcTemplate jdbc) {
        BridgeTables.empty(jdbc);
    }
}

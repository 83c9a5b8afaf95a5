package io.bridge.support;

import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Empties what cohort export and the control plane keep: exports, runs, reports, lists, the
 * connection, the audit, the Mixpanel queries spent and slots held.
 */
public final class ExportTables {

    private static final List<String> TABLES = List.of("audit_log", "sync_run_reports", "sync_run_failures", "sync_runs",
            "run_members", "list_members", "cohort_exports", "iterable_connection",
            // the Mixpanel budget: on PostgreSQL the test contexts share one database, and one project id
            "mixpanel_queries", "mixpanel_slots");

    private ExportTables() {
    }

    public static void empty(JdbcTemplate jdbc) {
        TABLES.forEach(table -> jdbc.update("DELETE FROM " + table));
    }
}

package io.bridge.security;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** The audit trail ({@code audit_log}): every state change of the control plane, who made it and when. */
@Component("auditLog")
public class AuditLog {

    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    private final JdbcTemplate jdbc;

    public AuditLog(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Records a change by the current user (or "system"); detail must hold no secret. */
    public void record(String action, String subject, String detail) {
        String actor = Actor.current();
        jdbc.update("INSERT INTO audit_log (occurred_at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                Timestamp.from(Instant.now()), actor, action, subject, detail);
        log.info("audit: {} {} {} ({})", actor, action, subject, detail);
    }

    /** The newest entries first, for GET /api/audit. */
    public List<Map<String, Object>> recent() {
        return jdbc.query("SELECT id, occurred_at, actor, action, subject, detail FROM audit_log ORDER BY id DESC "
                + "FETCH FIRST 200 ROWS ONLY", (rs, i) -> {
                    Map<String, Object> entry = new LinkedHashMap<>();
                    entry.put("id", rs.getLong("id"));
                    entry.put("at", rs.getTimestamp("occurred_at").toInstant().toString());
                    entry.put("actor", rs.getString("actor"));
                    entry.put("action", rs.getString("action"));
                    entry.put("subject", rs.getString("subject"));
                    entry.put("detail", rs.getString("detail"));
                    return entry;
                });
    }
}

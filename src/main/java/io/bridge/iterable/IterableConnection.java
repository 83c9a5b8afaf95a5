package io.bridge.iterable;

import io.bridge.DbTimestamps;
import io.bridge.security.SecretBox;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The bridge's connection to Iterable: made over the control plane (table
 * {@code iterable_connection}, which then wins) or, until then, in configuration
 * ({@code bridge.iterable.api-key}). The API key is resolved at each use and never kept in clear
 * in the database: an environment variable holds it (a reference), or it is stored encrypted.
 */
@Component("iterableConnection")
public class IterableConnection {

    /**
     * The connection as it stands; {@code key} is how the key is held, never the key itself.
     * {@code problem}: why a connection that was made is not usable now (its key reference is not
     * set, say), and what to do; null when there is none.
     */
    public record State(boolean connected, String dataCenter, String baseUrl, String key, String keyLast4,
            Instant connectedAt, String problem) {
    }

    /** The one documented name of the key: the connection made in configuration and {@code "apiKeyRef"} examples use it. */
    public static final String KEY_VARIABLE = "ITERABLE_API_KEY";
    /** The former name of {@link #KEY_VARIABLE} (Spring's relaxed name of bridge.iterable.api-key): it still works. */
    static final String FORMER_KEY_VARIABLE = "BRIDGE_ITERABLE_APIKEY";

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(IterableConnection.class);

    /** The connection names its key by a reference the bridge cannot (or may no longer) read. */
    public static class KeyRefUnusableException extends IllegalStateException {
        KeyRefUnusableException(String message) {
            super(message);
        }
    }

    private final JdbcTemplate jdbc;
    private final IterableProperties props;
    private final Environment environment;
    private final SecretBox secrets;

    public IterableConnection(JdbcTemplate jdbc, IterableProperties props, Environment environment, SecretBox secrets) {
        this.jdbc = jdbc;
        this.props = props;
        this.environment = environment;
        this.secrets = secrets;
        if (System.getenv(FORMER_KEY_VARIABLE) != null) {
            log.warn("{} is the former name of {}: it still sets the Iterable key, but rename it to {}", FORMER_KEY_VARIABLE,
                    KEY_VARIABLE, KEY_VARIABLE);
        }
    }

    public State current() {
        Map<String, Object> row = row();
        if (row == null) {
            boolean configured = props.apiKey() != null && !props.apiKey().isBlank();
            return new State(configured, props.dataCenter(), props.baseUrl(),
                    configured ? "configuration: " + KEY_VARIABLE + " (bridge.iterable.api-key)" : null,
                    configured ? last4(props.apiKey()) : null, null, null);
        }
        boolean connected = Boolean.TRUE.equals(row.get("connected"));
        String dataCenter = (String) row.get("data_center");
        String ref = (String) row.get("key_ref");
        String problem = !connected ? null : unusable(ref);
        boolean usable = connected && problem == null;
        return new State(usable, dataCenter, baseUrl(dataCenter),
                !connected ? null : ref != null ? "environment variable " + ref : "stored encrypted",
                usable ? (String) row.get("key_last4") : null, DbTimestamps.toInstant(row.get("connected_at")), problem);
    }

    /**
     * Why the key of a connection made over PUT /api/integration cannot be had now, or null: its
     * reference is not set (a restart without the variable), or it is sealed and the bridge has no
     * encryption key. Such a connection counts as not connected: no run starts, and the status,
     * GET /api/exports and the start-up log say what to set, instead of every run failing with 401.
     */
    private String unusable(String ref) {
        if (ref != null && resolve(ref) == null) {
            return "the Iterable connection takes its key from the environment variable " + ref + ", and " + ref
                    + " is not set: set it (e.g. in the Kubernetes Secret) and restart the bridge, or connect again with "
                    + "PUT /api/integration";
        }
        if (ref == null && !secrets.enabled()) {
            return "the Iterable connection's key is stored encrypted, and BRIDGE_SECURITY_ENCRYPTIONKEY is not set: set it "
                    + "to the key it was stored with and restart the bridge, or connect again with PUT /api/integration";
        }
        return null;
    }

    /**
     * What to do to connect Iterable, for the settings that keep cohort export off; null when connected.
     * Once a connection is managed over the API (a PUT or a DELETE happened), ITERABLE_API_KEY alone
     * does not connect: the database's state wins, so the answer says to PUT.
     */
    public String missing() {
        State state = current();
        if (state.connected()) {
            return null;
        }
        if (state.problem() != null) {
            return state.problem();
        }
        if (row() != null) {
            return "an Iterable connection: Iterable was disconnected (DELETE /api/integration); connect it again with "
                    + "PUT /api/integration (once connected or disconnected over the API, " + KEY_VARIABLE
                    + " alone does not connect)";
        }
        return "an Iterable connection: PUT /api/integration, or " + KEY_VARIABLE + " (bridge.iterable.api-key)";
    }

    /** The API key of the current connection; throws when disconnected. */
    public String apiKey() {
        Map<String, Object> row = row();
        if (row == null && props.apiKey() != null && !props.apiKey().isBlank()) {
            return props.apiKey();
        }
        if (row == null || !Boolean.TRUE.equals(row.get("connected"))) {
            throw new IllegalStateException("Iterable is not connected: connect it with PUT /api/integration");
        }
        String ref = (String) row.get("key_ref");
        if (ref == null) {
            return secrets.open((String) row.get("key_sealed"));
        }
        String key = resolve(ref);
        if (key == null) {
            // set before the bridge allowed only ITERABLE_API_KEY[_*], or the variable is gone
            throw new KeyRefUnusableException("the Iterable connection takes its key from an environment variable that is not set "
                    + "or not an ITERABLE_API_KEY[_*] name: connect again with PUT /api/integration");
        }
        return key;
    }

    /**
     * The names a connection may take its key from ({@code apiKeyRef}): {@code ITERABLE_API_KEY} and
     * {@code ITERABLE_API_KEY_<suffix>}. Any other setting or environment variable (the admin's
     * password, the database's) is never read as a key, nor sent to Iterable.
     */
    public static final Pattern KEY_REF_NAMES = Pattern.compile("ITERABLE_API_KEY(_[A-Z0-9_]{1,100})?");

    /**
     * The key the environment variable named {@code ref} holds, or null when it holds none or the
     * name is not one of {@link #KEY_REF_NAMES}.
     */
    public String resolve(String ref) {
        if (ref == null || !KEY_REF_NAMES.matcher(ref).matches()) {
            return null;
        }
        String key = environment.getProperty(ref);
        return key == null || key.isBlank() ? null : key.trim();
    }

    public String baseUrl(String dataCenter) {
        return props.dataCenters().get(dataCenter);
    }

    public List<String> dataCenters() {
        return props.dataCenters().keySet().stream().sorted().toList();
    }

    /** Records a connection whose key Iterable accepted: by reference, or sealed. */
    public void connect(String dataCenter, String keyRef, String key, String actor) {
        Timestamp now = Timestamp.from(Instant.now());
        String sealed = keyRef == null ? secrets.seal(key) : null;
        jdbc.update("DELETE FROM iterable_connection WHERE id = 1");
        jdbc.update("INSERT INTO iterable_connection (id, connected, data_center, key_ref, key_sealed, key_last4, connected_at, "
                + "changed_at, changed_by) VALUES (1, TRUE, ?, ?, ?, ?, ?, ?, ?)", dataCenter, keyRef, sealed, last4(key), now, now, actor);
    }

    /** Disconnects: no key is kept, the data centre is. */
    public void disconnect(String actor) {
        String dataCenter = current().dataCenter();
        jdbc.update("DELETE FROM iterable_connection WHERE id = 1");
        jdbc.update("INSERT INTO iterable_connection (id, connected, data_center, changed_at, changed_by) VALUES (1, FALSE, ?, ?, ?)",
                dataCenter, Timestamp.from(Instant.now()), actor);
    }

    /** At most the last 4 characters, and none of a key too short to spare them. */
    static String last4(String key) {
        return key == null || key.length() < 16 ? "" : key.substring(key.length() - 4);
    }

    private Map<String, Object> row() {
        List<Map<String, Object>> rows = jdbc.queryForList("SELECT * FROM iterable_connection WHERE id = 1");
        return rows.isEmpty() ? null : rows.get(0);
    }
}

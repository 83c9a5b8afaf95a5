import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;

/**
 * Seeds the stored events and their outbox rows of bench/forwarding.sh straight into the bundle's
 * database (the bundle stopped): N events as the intake stores them (half exempt, half billable,
 * properties JSON with $source) and one outbox row each, as the intake's transaction writes it.
 *
 *   java -cp hsqldb.jar bench/ForwardingSeed.java JDBC_URL N
 */
public class ForwardingSeed {

    public static void main(String[] args) throws Exception {
        String url = args[0];
        int n = Integer.parseInt(args[1]);
        String[] names = {"emailSend", "emailOpen", "emailClick", "pushSend", "inAppClick", "smsSend", "emailBounce", "webPushClick"};
        String columns = "dedup_key, event_name, email, user_id, user_key, source, message_id, campaign_id, event_time, event_month, "
                + "received_at, properties";
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        OffsetDateTime time = OffsetDateTime.of(2026, 11, 2, 18, 51, 45, 0, ZoneOffset.UTC);
        long started = System.nanoTime();
        try (Connection db = DriverManager.getConnection(url, "SA", "")) {
            db.setAutoCommit(false);
            try (PreparedStatement exempt = db.prepareStatement("INSERT INTO exempt_events (" + columns + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
                    PreparedStatement billable = db.prepareStatement("INSERT INTO billable_events (" + columns + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
                    PreparedStatement exemptOutbox = db.prepareStatement(outbox("exempt_events"));
                    PreparedStatement billableOutbox = db.prepareStatement(outbox("billable_events"))) {
                long[] queuedUpTo = {-1, -1}; // the newest event id of each table with an outbox row
                for (int i = 0; i < n; i++) {
                    String name = names[i % names.length];
                    boolean isExempt = name.endsWith("Send") || name.equals("emailBounce");
                    String email = "user" + (i % 20000) + "@bench.example";
                    String messageId = "seed-" + i;
                    String properties = "{\"email\":\"" + email + "\",\"eventName\":\"" + name + "\",\"dataFields\":{\"createdAt\":"
                            + "\"2026-11-02 18:51:45 +00:00\",\"messageId\":\"" + messageId + "\",\"campaignId\":1234,\"templateId\":55},"
                            + "\"$source\":\"iterable\"}";
                    String key = String.format("t%011d", time.toEpochSecond()) // the event's time, then its SHA-256
                            + HexFormat.of().formatHex(sha.digest(properties.getBytes(java.nio.charset.StandardCharsets.UTF_8))).substring(0, 52);
                    PreparedStatement insert = isExempt ? exempt : billable;
                    insert.setString(1, key);
                    insert.setString(2, name);
                    insert.setString(3, email);
                    insert.setString(4, null);
                    insert.setString(5, email);
                    insert.setString(6, "iterable");
                    insert.setString(7, messageId);
                    insert.setString(8, "1234");
                    insert.setObject(9, time);
                    insert.setString(10, "2026-11");
                    insert.setObject(11, time);
                    insert.setString(12, properties);
                    insert.addBatch();
                    if ((i + 1) % 10_000 == 0 || i == n - 1) {
                        exempt.executeBatch();
                        billable.executeBatch();
                        queuedUpTo[0] = queue(db, exemptOutbox, "exempt_events", queuedUpTo[0]);
                        queuedUpTo[1] = queue(db, billableOutbox, "billable_events", queuedUpTo[1]);
                        db.commit();
                    }
                }
            }
            db.createStatement().execute("CHECKPOINT");
        }
        System.out.printf("seeded %d events and their outbox rows in %.1f s%n", n, (System.nanoTime() - started) / 1e9);
    }

    /** The outbox rows of the events just inserted, as the intake writes them (each pointing at its event's row), in one statement. */
    private static String outbox(String table) {
        return "INSERT INTO forwarding_outbox (event_table, dedup_key, event_id, queued_at, lease_until) SELECT '" + table
                + "', e.dedup_key, e.id, e.received_at, e.received_at FROM " + table + " e WHERE e.id > ? ORDER BY e.id";
    }

    /** Queues the table's events newer than {@code after}; the newest event id queued. */
    private static long queue(Connection db, PreparedStatement outbox, String table, long after) throws Exception {
        outbox.setLong(1, after);
        outbox.executeUpdate();
        try (var newest = db.createStatement().executeQuery("SELECT COALESCE(MAX(id), -1) FROM " + table)) {
            newest.next();
            return newest.getLong(1);
        }
    }
}

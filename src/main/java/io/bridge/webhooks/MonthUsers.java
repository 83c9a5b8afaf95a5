package io.bridge.webhooks;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * Keeps month_users, the users the MTU report counts (routes/mtu-report.camel.yaml): in the
 * transaction that stores an event, its user for its month and kind (billable or exempt) unless
 * the table has that row already. So the event tables need no index on their users, whose inserts
 * land at random places; this one grows by a row per user and month, not per event.
 *
 * <p>A user, month and kind seen in a transaction that committed is remembered, so the next events
 * of that user cost no statement at all: the {@link #REMEMBERED} seen last (those of past months,
 * seen no more, make way first). (Measured: a lookup per transaction instead halved the
 * single-event intake.) Each replica remembers on its own: two replicas storing the first events
 * of a user in the same month at the same moment may both add the row, and the report counts
 * distinct users. Rows deleted from month_users while the bridge runs come back only for users it
 * does not remember: restart it after such a delete, or call {@link #forget()} (as the tests do
 * when they empty the tables).
 */
@Component
public class MonthUsers implements StoredEventsListener {

    /** Entries (user, month, kind): about 100 bytes of heap each for a typical email, some 20 MB in all; up to ~700 for the longest non-Latin keys. */
    static final int REMEMBERED = 200_000;

    private static final String ADD = "INSERT INTO month_users (event_month, billable, user_key) "
            + "SELECT CAST(? AS CHAR(7)), CAST(? AS BOOLEAN), CAST(? AS VARCHAR(320)) FROM (VALUES (0)) AS one(x) "
            + "WHERE NOT EXISTS (SELECT 1 FROM month_users WHERE event_month = ? AND billable = ? AND user_key = ?)";

    /** Users in committed transactions, the one seen longest ago first; only the writer thread touches these. */
    private final Map<UserMonth, Boolean> remembered;
    /** Users added by the transaction now open, remembered once it commits. */
    private final Set<UserMonth> adding = new LinkedHashSet<>();
    /** Set by {@link #forget()} on any thread; the writer empties its memory before its next transaction. */
    private volatile boolean forget;

    public MonthUsers() {
        this(REMEMBERED);
    }

    /** Remembering at most {@code capacity} users. */
    MonthUsers(int capacity) {
        remembered = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<UserMonth, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Makes the next transactions look every user up in month_users again (its rows were deleted). */
    public void forget() {
        forget = true;
    }

    @Override
    public void storing(Statements statements, List<StoredEvent> events) throws SQLException {
        if (forget) {
            forget = false;
            remembered.clear();
        }
        adding.clear();
        for (StoredEvent event : events) {
            UserMonth user = new UserMonth(event.eventMonth(), event.table().equals("billable_events"), event.userKey());
            if (remembered.get(user) == null) { // get, not containsKey: a hit makes the user the latest seen
                adding.add(user);
            }
        }
        if (adding.isEmpty()) {
            return;
        }
        PreparedStatement add = statements.prepare(ADD);
        for (UserMonth user : adding) {
            add.setString(1, user.month());
            add.setBoolean(2, user.billable());
            add.setString(3, user.userKey());
            add.setString(4, user.month()); // the same, for NOT EXISTS
            add.setBoolean(5, user.billable());
            add.setString(6, user.userKey());
            add.addBatch();
        }
        add.executeBatch();
    }

    @Override
    public void stored(int events) {
        for (UserMonth user : adding) {
            remembered.put(user, Boolean.TRUE);
        }
        adding.clear();
    }

    /** A row of month_users: the UTC month (yyyy-MM), billable or exempt, the user. */
    private record UserMonth(String month, boolean billable, String userKey) {
    }
}

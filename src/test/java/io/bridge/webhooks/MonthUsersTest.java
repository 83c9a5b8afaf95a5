package io.bridge.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.webhooks.StoredEventsListener.StoredEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.jdbc.datasource.init.ScriptUtils;

/**
 * The writer's memory of users, on month_users as V15 makes it: a remembered user costs no row
 * (seen by deleting the rows behind its back), the one seen longest ago makes way, a transaction
 * that did not commit leaves nothing remembered.
 */
class MonthUsersTest {

    private SingleConnectionDataSource db;
    private Connection connection;
    private JdbcTemplate jdbc;

    @BeforeEach
    void open() throws SQLException {
        db = new SingleConnectionDataSource("jdbc:hsqldb:mem:month-users-memory-" + UUID.randomUUID()
                + ";hsqldb.tx=mvcc;sql.pad_space=false;shutdown=true", "SA", "", true);
        connection = db.getConnection();
        ScriptUtils.executeSqlScript(connection, new ClassPathResource("db/migration/V15__month_users.sql"));
        connection.setAutoCommit(false); // as the writer's connection
        jdbc = new JdbcTemplate(db);
    }

    @AfterEach
    void close() {
        db.destroy();
    }

    @Test
    void theUserSeenLongestAgoMakesWayAndOnlyItIsAddedAgain() throws SQLException {
        MonthUsers users = new MonthUsers(2);
        commit(users, billable("a@x.com"), billable("b@x.com"));
        commit(users, billable("a@x.com")); // a seen again: b is now the one seen longest ago
        commit(users, billable("c@x.com")); // b makes way
        assertThat(rows()).containsExactly("a@x.com", "b@x.com", "c@x.com");

        jdbc.update("DELETE FROM month_users");
        commit(users, billable("a@x.com"), billable("b@x.com"), billable("c@x.com"));

        assertThat(rows()).as("only the user no longer remembered is looked up and added").containsExactly("b@x.com");
    }

    @Test
    void aTransactionThatDidNotCommitLeavesItsUsersUnremembered() throws SQLException {
        MonthUsers users = new MonthUsers(10);
        users.storing(connection::prepareStatement, List.of(billable("a@x.com"))); // rolled back: stored() never comes
        connection.rollback();
        commit(users, billable("b@x.com"));
        jdbc.update("DELETE FROM month_users");

        commit(users, billable("a@x.com"), billable("b@x.com"));

        assertThat(rows()).containsExactly("a@x.com");
    }

    @Test
    void forgetMakesEveryUserLookedUpAgain() throws SQLException {
        MonthUsers users = new MonthUsers(10);
        commit(users, billable("a@x.com"), exempt("a@x.com"));
        jdbc.update("DELETE FROM month_users");

        users.forget();
        commit(users, billable("a@x.com"), exempt("a@x.com"));

        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM month_users", Integer.class)).isEqualTo(2);
    }

    /** What EventStore does: storing in the transaction, then the commit, then stored. */
    private void commit(MonthUsers users, StoredEvent... events) throws SQLException {
        users.storing(connection::prepareStatement, List.of(events));
        connection.commit();
        users.stored(events.length);
    }

    private List<String> rows() {
        return jdbc.queryForList("SELECT user_key FROM month_users ORDER BY user_key", String.class);
    }

    private static StoredEvent billable(String user) {
        return new StoredEvent("billable_events", "k-" + user, Instant.EPOCH, "2026-11", user);
    }

    private static StoredEvent exempt(String user) {
        return new StoredEvent("exempt_events", "k-" + user, Instant.EPOCH, "2026-11", user);
    }
}

package io.bridge.support;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DelegatingDataSource;

/** The application's real DataSource, with switches that make the database fail the way real ones do. */
public class FaultInjectingDataSource extends DelegatingDataSource {

    /**
     * UNREACHABLE: no connection, and calls on those taken before fail; COMMIT_FAILS: an I/O error at commit; DATA_ERROR: the database
     * refuses the data of an event insert (SQLState 22001, as for a value too long for its column);
     * SLOW_COMMIT: each explicit commit takes 200 ms, as on a loaded database (races between
     * transactions show); HELD_COMMIT: each explicit commit waits until the fault is lifted (any
     * other {@link #inject}), at most 30 s, so a test decides when transactions end, not the clock.
     */
    public enum Fault { NONE, UNREACHABLE, COMMIT_FAILS, DATA_ERROR, SLOW_COMMIT, HELD_COMMIT }

    /** The event writer's statements: a plain insert, or the MERGE for a batch holding a redelivery. */
    private static final Pattern EVENT_INSERT = Pattern.compile("(MERGE|INSERT) INTO (exempt|billable)_events ");

    private volatile Fault fault = Fault.NONE;
    private volatile CountDownLatch held = new CountDownLatch(0);
    /** Commits held right now, by the name of the thread that commits (Quartz commits through this DataSource too). */
    private final Map<String, Integer> waiting = new ConcurrentHashMap<>();
    /** Statements prepared so far, by their SQL. */
    private final Map<String, Integer> prepares = new ConcurrentHashMap<>();

    public FaultInjectingDataSource(DataSource target) {
        super(target);
    }

    /** Commits of the named thread waiting under HELD_COMMIT right now. */
    public int heldCommits(String thread) {
        return waiting.getOrDefault(thread, 0);
    }

    /** How many statements beginning with {@code sqlStart} were prepared so far, on any connection. */
    public int prepared(String sqlStart) {
        return prepares.entrySet().stream().filter(e -> e.getKey().startsWith(sqlStart)).mapToInt(Map.Entry::getValue).sum();
    }

    public void inject(Fault fault) {
        CountDownLatch previous = held;
        held = fault == Fault.HELD_COMMIT ? new CountDownLatch(1) : new CountDownLatch(0);
        this.fault = fault;
        previous.countDown();
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (fault == Fault.UNREACHABLE) {
            throw new SQLTransientConnectionException("Connection refused (injected)", "08001");
        }
        Connection real = super.getConnection();
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (fault == Fault.UNREACHABLE && method.getDeclaringClass() != Object.class
                            && !List.of("close", "rollback", "isClosed", "isValid").contains(method.getName())) {
                        // a connection taken before the database went away fails too (the event writer keeps one while busy)
                        throw new SQLTransientConnectionException("Connection reset (injected)", "08006");
                    }
                    if (method.getName().equals("commit") && fault == Fault.COMMIT_FAILS) {
                        throw new SQLException("I/O error during commit (injected)", "58030");
                    }
                    if (method.getName().equals("commit") && fault == Fault.SLOW_COMMIT) {
                        Thread.sleep(200); // the fault itself: a slow database, not a wait for something
                    }
                    if (method.getName().equals("commit") && fault == Fault.HELD_COMMIT) {
                        String thread = Thread.currentThread().getName();
                        waiting.merge(thread, 1, Integer::sum);
                        try {
                            held.await(30, TimeUnit.SECONDS);
                        } finally {
                            waiting.merge(thread, -1, Integer::sum);
                        }
                    }
                    Object result;
                    try {
                        result = method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("prepareStatement") && args != null && args[0] instanceof String prepared) {
                        prepares.merge(prepared, 1, Integer::sum);
                    }
                    if (method.getName().equals("prepareStatement") && args != null && args[0] instanceof String sql
                            && EVENT_INSERT.matcher(sql).lookingAt() && result instanceof PreparedStatement statement) {
                        return refusingData(statement);
                    }
                    return result;
                });
    }

    /** An event insert whose batch fails with a data exception while DATA_ERROR is injected. */
    private PreparedStatement refusingData(PreparedStatement real) {
        return (PreparedStatement) Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(),
                new Class<?>[] {PreparedStatement.class}, (proxy, method, args) -> {
                    if (method.getName().equals("executeBatch") && fault == Fault.DATA_ERROR) {
                        throw new SQLException("data exception: string data, right truncation (injected)", "22001");
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}

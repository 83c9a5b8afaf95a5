package io.bridge.support;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DelegatingDataSource;

/** The application's real DataSource, with switches that make the database fail the way real ones do. */
public class FaultInjectingDataSource extends DelegatingDataSource {

    /**
     * UNREACHABLE: no connection; COMMIT_FAILS: an I/O error at commit; DATA_ERROR: the database
     * refuses the data of an event insert (SQLState 22001, as for a value too long for its column);
     * SLOW_COMMIT: each explicit commit takes 200 ms, as on a loaded database (races between
     * transactions show).
     */
    public enum Fault { NONE, UNREACHABLE, COMMIT_FAILS, DATA_ERROR, SLOW_COMMIT }

    private volatile Fault fault = Fault.NONE;

    public FaultInjectingDataSource(DataSource target) {
        super(target);
    }

    public void inject(Fault fault) {
        this.fault = fault;
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (fault == Fault.UNREACHABLE) {
            throw new SQLTransientConnectionException("Connection refused (injected)", "08001");
        }
        Connection real = super.getConnection();
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commit") && fault == Fault.COMMIT_FAILS) {
                        throw new SQLException("I/O error during commit (injected)", "58030");
                    }
                    if (method.getName().equals("commit") && fault == Fault.SLOW_COMMIT) {
                        Thread.sleep(200);
                    }
                    Object result;
                    try {
                        result = method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("prepareStatement") && args != null && args[0] instanceof String sql
                            && sql.startsWith("MERGE INTO") && result instanceof PreparedStatement statement) {
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

package io.bridge.support;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DelegatingDataSource;

/** The application's real DataSource, with switches that make the database fail the way real ones do. */
public class FaultInjectingDataSource extends DelegatingDataSource {

    /** SLOW_COMMIT: each explicit commit takes 200 ms, as on a loaded database (races between transactions show). */
    public enum Fault { NONE, UNREACHABLE, COMMIT_FAILS, SLOW_COMMIT }

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
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}

package io.bridge.webhooks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.stereotype.Component;

/**
 * A webhook's 2xx promises its events are on disk. HSQLDB keeps that promise only with its write
 * delay off, and takes the setting from the URL: {@code application.yaml}'s URL says
 * {@code hsqldb.write_delay=false}, but an operator who moves the database with
 * {@code SPRING_DATASOURCE_URL=jdbc:hsqldb:file:/dir/bridge} gets HSQLDB's default, 500 ms of
 * acknowledged events lost on a crash. So at start-up, before any route or the web server starts,
 * any HSQLDB database that is not in memory gets {@code SET FILES WRITE DELAY FALSE} (kept in the
 * database's own files from then on), and the log says so; a database where that cannot be done
 * stops the start with a message. PostgreSQL and in-memory HSQLDB are left alone.
 */
@Component
public class HsqldbDurability implements InitializingBean {

    private static final Logger LOG = LoggerFactory.getLogger(HsqldbDurability.class);

    private final DataSource dataSource;

    public HsqldbDurability(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public void afterPropertiesSet() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            String product = connection.getMetaData().getDatabaseProductName();
            String url = connection.getMetaData().getURL();
            if (!"HSQL Database Engine".equals(product) || url == null || url.startsWith("jdbc:hsqldb:mem:")) {
                return;
            }
            long delay = writeDelayMillis(connection);
            if (delay == 0) {
                LOG.debug("HSQLDB file database: write delay off, every commit is on disk before it returns");
                return;
            }
            try (Statement sql = connection.createStatement()) {
                sql.execute("SET FILES WRITE DELAY FALSE");
            } catch (SQLException refused) {
                throw new IllegalStateException(refusal(delay, "HSQLDB refused SET FILES WRITE DELAY FALSE for this user ("
                        + refused.getMessage() + ")"));
            }
            if (writeDelayMillis(connection) != 0) {
                throw new IllegalStateException(refusal(delay, "HSQLDB kept it on after SET FILES WRITE DELAY FALSE"));
            }
            LOG.warn("HSQLDB file database had its write delay on ({} ms: the URL lacks hsqldb.write_delay=false), so events "
                    + "acknowledged in the last {} ms before a crash would be lost; the bridge set it off (SET FILES WRITE DELAY "
                    + "FALSE, kept in the database): every commit is now on disk before it returns. Add hsqldb.write_delay=false "
                    + "to spring.datasource.url to silence this.", delay, delay);
        }
    }

    private static String refusal(long delay, String why) {
        return "The bridge will not start on an HSQLDB file database with its write delay on (" + delay + " ms): a webhook's "
                + "2xx would not mean its events are on disk. " + why + ". Add hsqldb.write_delay=false to spring.datasource.url "
                + "(SPRING_DATASOURCE_URL), or connect as a user with the DBA role.";
    }

    private static long writeDelayMillis(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(
                "SELECT PROPERTY_VALUE FROM INFORMATION_SCHEMA.SYSTEM_PROPERTIES WHERE PROPERTY_NAME = 'hsqldb.write_delay_millis'");
                ResultSet row = query.executeQuery()) {
            return row.next() ? Long.parseLong(row.getString(1).trim()) : -1;
        }
    }
}

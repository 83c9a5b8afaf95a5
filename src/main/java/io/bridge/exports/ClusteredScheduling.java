package io.bridge.exports;

import java.sql.DatabaseMetaData;
import java.util.Properties;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.quartz.QuartzProperties;
import org.springframework.boot.autoconfigure.quartz.SchedulerFactoryBeanCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.support.JdbcUtils;
import org.springframework.jdbc.support.MetaDataAccessException;

/**
 * Quartz's job store speaks each database's dialect through a delegate: PostgreSQL's and HSQLDB's
 * store job data in their own binary types. Chosen from the database the bridge runs on, so the
 * same settings work on both.
 */
@Configuration(proxyBeanMethods = false)
class ClusteredScheduling {

    @Bean
    SchedulerFactoryBeanCustomizer quartzDriverDelegate(DataSource dataSource, QuartzProperties quartz) throws MetaDataAccessException {
        String product = JdbcUtils.extractDatabaseMetaData(dataSource, DatabaseMetaData::getDatabaseProductName);
        String delegate = product.startsWith("PostgreSQL") ? "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate"
                : product.startsWith("HSQL") ? "org.quartz.impl.jdbcjobstore.HSQLDBDelegate"
                : "org.quartz.impl.jdbcjobstore.StdJDBCDelegate";
        return factory -> {
            Properties properties = new Properties();
            properties.putAll(quartz.getProperties());
            properties.put("org.quartz.jobStore.driverDelegateClass", delegate);
            factory.setQuartzProperties(properties);
        };
    }
}

package io.bridge.support;

import javax.sql.DataSource;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/** Wraps the application's DataSource so a test can take the database down. */
@TestConfiguration(proxyBeanMethods = false)
public class BridgeTestConfiguration {

    @Bean
    static BeanPostProcessor faultInjectingDataSource() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String name) {
                return bean instanceof DataSource ds && !(bean instanceof FaultInjectingDataSource)
                        ? new FaultInjectingDataSource(ds) : bean;
            }
        };
    }
}

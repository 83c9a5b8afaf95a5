package io.bridge.exports;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.DatabaseMetaData;
import java.time.Instant;
import java.util.Date;
import java.util.Properties;
import java.util.Set;
import javax.sql.DataSource;
import org.quartz.CronTrigger;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.TriggerKey;
import org.quartz.impl.matchers.GroupMatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.quartz.QuartzProperties;
import org.springframework.boot.autoconfigure.quartz.SchedulerFactoryBeanCustomizer;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.jdbc.support.JdbcUtils;
import org.springframework.jdbc.support.MetaDataAccessException;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Quartz for dynamic syncs: Spring Boot's clustered scheduler on the bridge's database, which
 * camel-quartz fires on ({@code camel.component.quartz.scheduler}).
 * <ul>
 * <li>Quartz's job store speaks each database's dialect through a delegate: PostgreSQL's and HSQLDB's
 * store job data in their own binary types. Chosen from the database the bridge runs on, so the same
 * settings work on both.</li>
 * <li>The scheduler starts once the bridge has started: Camel's routes are up (a job fired before
 * them finds no CamelContext, and that run is lost) and the start-up work of {@link ExportRuns} is
 * done (runs interrupted by the restart are closed, declared exports recorded). Neither Spring
 * ({@code spring.quartz.auto-startup}) nor camel-quartz ({@code autoStartScheduler}) starts it
 * earlier. A fire missed while the bridge was down then runs once, at once (the trigger's misfire
 * instruction: fire once now).</li>
 * <li>Jobs and triggers are written in a transaction: see {@link #jobsWrittenInTransactions}.</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
class ClusteredScheduling {

    private static final Logger log = LoggerFactory.getLogger(ClusteredScheduling.class);

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

    /** The Scheduler methods that write jobs and triggers. */
    private static final Set<String> WRITES = Set.of("scheduleJob", "scheduleJobs", "rescheduleJob", "addJob", "deleteJob",
            "deleteJobs", "unscheduleJob", "unscheduleJobs");

    /**
     * Calls that write jobs and triggers from outside Quartz (camel-quartz storing the dynamic-sync
     * job as its route starts) run in a transaction. Spring's job store writes, and takes Quartz's
     * cluster lock, within the caller's transaction; without one each statement commits on its own.
     * Then the first replica ever to start on an empty store wrote the job and its trigger in two
     * commits, and a second replica starting in between found the job without its trigger and did
     * not start ("Trigger could not be found in quartz scheduler").
     */
    @Bean
    static BeanPostProcessor jobsWrittenInTransactions(ObjectProvider<PlatformTransactionManager> transactions) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String name) {
                if (!(bean instanceof Scheduler scheduler)) {
                    return bean;
                }
                return Proxy.newProxyInstance(Scheduler.class.getClassLoader(), new Class<?>[] {Scheduler.class},
                        (proxy, method, args) -> WRITES.contains(method.getName())
                                ? inTransaction(transactions.getObject(), scheduler, method, args)
                                : call(scheduler, method, args));
            }
        };
    }

    private static Object inTransaction(PlatformTransactionManager transactions, Scheduler scheduler, Method method, Object[] args)
            throws Throwable {
        try {
            return new TransactionTemplate(transactions).execute(status -> {
                try {
                    return call(scheduler, method, args);
                } catch (Throwable e) {
                    throw new Failed(e); // rolls the transaction back
                }
            });
        } catch (Failed e) {
            throw e.getCause();
        }
    }

    private static Object call(Scheduler scheduler, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(scheduler, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static final class Failed extends RuntimeException {
        Failed(Throwable cause) {
            super(cause);
        }
    }

    /** Starts Quartz after every other start-up step (the last ApplicationReadyEvent listener). */
    @Bean
    ApplicationListener<ApplicationReadyEvent> startQuartzOnceStarted(Scheduler scheduler) {
        return new StartQuartz(scheduler);
    }

    private record StartQuartz(Scheduler scheduler) implements ApplicationListener<ApplicationReadyEvent>, Ordered {

        @Override
        public void onApplicationEvent(ApplicationReadyEvent event) {
            try {
                describeTriggers(); // before the start, which fires a missed trigger at once
                if (!scheduler.isStarted()) {
                    scheduler.start();
                }
            } catch (SchedulerException e) {
                throw new IllegalStateException("Quartz did not start, so dynamic syncs will not run: " + e.getMessage(), e);
            }
        }

        /**
         * Says when each trigger fires next, as stored in the database. camel-quartz's own "Next fire
         * date is null" at start-up is about the trigger it built and did not store, because the
         * clustered job store already holds the trigger (kept across restarts, which is what lets a
         * missed fire run): that null means nothing.
         */
        private void describeTriggers() throws SchedulerException {
            for (TriggerKey key : scheduler.getTriggerKeys(GroupMatcher.anyTriggerGroup())) {
                Trigger trigger = scheduler.getTrigger(key);
                if (trigger == null) {
                    continue;
                }
                String name = "Quartz trigger " + key + (trigger instanceof CronTrigger cron ? " (cron " + cron.getCronExpression() + ")" : "");
                Date next = trigger.getNextFireTime();
                if (next == null) {
                    log.info("{}: will not fire again", name);
                } else if (next.toInstant().isBefore(Instant.now())) {
                    log.info("{}: was due at {} while the bridge was down: it runs once now", name, next.toInstant());
                } else {
                    log.info("{}: next fire at {}", name, next.toInstant());
                }
            }
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE;
        }
    }
}

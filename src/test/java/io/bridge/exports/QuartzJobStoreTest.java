package io.bridge.exports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bridge.support.BridgeHttpTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.matchers.GroupMatcher;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * A job and its trigger are stored together or not at all, as camel-quartz stores the dynamic-sync
 * job when its route starts: replicas starting at once on an empty store must never see a job
 * without its trigger. A trigger that cannot be stored (its data cannot be serialized) leaves no job.
 */
class QuartzJobStoreTest extends BridgeHttpTest {

    static final JobKey JOB = JobKey.jobKey("half-stored", "quartz-job-store-test");

    @Autowired
    Scheduler scheduler;

    @AfterEach
    void removeTheJob() throws SchedulerException {
        scheduler.deleteJob(JOB);
    }

    @Test
    void aJobWhoseTriggerCannotBeStoredIsNotStoredEither() throws SchedulerException {
        JobDetail job = JobBuilder.newJob(org.apache.camel.component.quartz.CamelJob.class).withIdentity(JOB).storeDurably(false).build();
        Trigger trigger = TriggerBuilder.newTrigger().withIdentity("half-stored", "quartz-job-store-test").forJob(job)
                .usingJobData(new org.quartz.JobDataMap(java.util.Map.of("notSerializable", new Object()))).startAt(new java.util.Date(
                        System.currentTimeMillis() + 3_600_000)).build();

        assertThatThrownBy(() -> scheduler.scheduleJob(job, trigger)).isInstanceOf(SchedulerException.class);

        assertThat(scheduler.checkExists(JOB)).as("the job, stored before its trigger failed").isFalse();
        assertThat(scheduler.getJobKeys(GroupMatcher.jobGroupEquals("quartz-job-store-test"))).isEmpty();
    }
}

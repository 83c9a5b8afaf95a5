package io.bridge.mixpanel;

import static org.assertj.core.api.Assertions.assertThat;
import static io.bridge.support.Waiting.await;
import static org.hamcrest.Matchers.is;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.bridge.support.Concurrently;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The budget on the embedded HSQLDB (in memory, MVCC, the schema Flyway makes): two budgets on
 * one database stand for two replicas.
 */
class MixpanelBudgetTest {

    HikariDataSource db;
    JdbcTemplate jdbc;
    final TestClock clock = new TestClock();
    final List<MixpanelBudget> budgets = new ArrayList<>();
    MixpanelBudget budget;

    @BeforeAll
    static void quietly() { // no Spring here to read the test profile's log levels: the pool and Flyway say a lot
        for (String noisy : List.of("com.zaxxer.hikari", "org.flywaydb")) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(noisy)).setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }

    @BeforeEach
    void database() {
        db = new HikariDataSource();
        db.setJdbcUrl("jdbc:hsqldb:mem:budget-" + UUID.randomUUID() + ";hsqldb.tx=mvcc");
        db.setUsername("SA");
        db.setMaximumPoolSize(8);
        Flyway.configure().dataSource(db).locations("classpath:db/migration", "classpath:db/vendor/hsqldb").load().migrate();
        jdbc = new JdbcTemplate(db);
        budget = budget(3, 5, 0);
    }

    @AfterEach
    void close() {
        budgets.forEach(MixpanelBudget::stop);
        jdbc.execute("SHUTDOWN");
        db.close();
    }

    @Test
    void aCohortThatCannotFitInWhatIsLeftDoesNotStart() {
        budget.take();
        budget.ensureFits(7, 2000, 1000); // 2 pages, 2 left

        assertThatThrownBy(() -> budget.ensureFits(7, 2001, 1000))
                .hasMessageContaining("takes 3 Mixpanel queries, but only 2 of 3 are left this hour");
    }

    @Test
    void theBudgetStopsTheFourthQueryOfTheHour() {
        budget.take();
        budget.take();
        budget.take();

        assertThatThrownBy(budget::take).isInstanceOf(MixpanelBudget.BudgetExhaustedException.class)
                .hasMessageContaining("3 queries in the last hour");
    }

    @Test
    void twoReplicasSpendOneBudget() {
        MixpanelBudget other = budget(3, 5, 0);
        budget.take();
        other.take();
        budget.ensureFits(7, 1000, 1000);
        assertThatThrownBy(() -> other.ensureFits(7, 1001, 1000)).hasMessageContaining("only 1 of 3 are left");
        other.take();

        assertThatThrownBy(budget::take).hasMessageContaining("3 queries in the last hour");
        assertThatThrownBy(other::take).hasMessageContaining("3 queries in the last hour");
    }

    @Test
    void bridgesOfOtherProjectsOnTheSameDatabaseHaveBudgetsOfTheirOwn() {
        MixpanelBudget otherProject = budget("2", 3, 5, 0, "", Duration.ofMillis(50));
        budget.take();
        budget.take();
        budget.take();

        otherProject.take();
        otherProject.ensureFits(7, 2000, 1000);
    }

    @Test
    void queriesOlderThanAnHourAreForgotten() {
        budget.take();
        clock.move(Duration.ofMinutes(30));
        budget.take();
        budget.take();
        assertThatThrownBy(budget::take).hasMessageContaining("3 queries in the last hour");

        clock.move(Duration.ofMinutes(31)); // the first query left the hour
        budget.ensureFits(7, 1, 1000);
        budget.take();
        assertThatThrownBy(budget::take).hasMessageContaining("3 queries in the last hour");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM mixpanel_queries", Integer.class)).as("the old one was deleted")
                .isEqualTo(3);
    }

    @Test
    void concurrentQueriesOfTwoReplicasNeverOverspend() {
        for (int round = 0; round < 30; round++) { // each round a project of its own, its budget two queries
            MixpanelBudget a = budget("p" + round, 2, 5, 0, "", Duration.ofMillis(50));
            MixpanelBudget b = budget("p" + round, 2, 5, 0, "", Duration.ofMillis(50));
            AtomicInteger turn = new AtomicInteger();

            List<Boolean> taken = Concurrently.run(8, () -> { // eight queries at once, four on each replica
                try {
                    (turn.getAndIncrement() % 2 == 0 ? a : b).take();
                    return true;
                } catch (MixpanelBudget.BudgetExhaustedException spent) {
                    return false;
                }
            });

            assertThat(taken.stream().filter(Boolean::booleanValue).count()).as("queries taken in round %d", round).isEqualTo(2);
        }
    }

    @Test
    void atMostMaxConcurrentQueriesAreInFlight() {
        MixpanelBudget twoAtOnce = budget(60, 2, 0);
        Run a = new Run();
        Run b = new Run();
        Run c = new Run();
        twoAtOnce.enter(a);
        twoAtOnce.enter(a); // a retry keeps its slot
        twoAtOnce.enter(b);

        assertThatThrownBy(() -> twoAtOnce.enter(c)).hasMessageContaining("no Mixpanel query slot came free");
        assertThat(c.mixpanelSlot()).isNull();

        twoAtOnce.leave(a);
        twoAtOnce.enter(c);
        assertThat(c.mixpanelSlot()).isNotNull();
        assertThat(a.mixpanelSlot()).isNull();
    }

    @Test
    void twoReplicasShareTheConcurrentSlots() {
        MixpanelBudget a = budget(60, 2, 0);
        MixpanelBudget b = budget(60, 2, 0);
        Run first = new Run();
        Run second = new Run();
        Run third = new Run();
        a.enter(first);
        b.enter(second);

        assertThatThrownBy(() -> b.enter(third)).hasMessageContaining("no Mixpanel query slot came free");
        assertThatThrownBy(() -> a.enter(third)).hasMessageContaining("no Mixpanel query slot came free");

        a.leave(first);
        b.enter(third);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM mixpanel_slots", Integer.class)).isEqualTo(2);
    }

    @Test
    void aQueryWaitsForASlotAnotherReplicaGivesBack() throws Exception {
        MixpanelBudget a = budget(60, 1, 0);
        MixpanelBudget b = budget("1", 60, 1, 0, "", Duration.ofSeconds(20));
        Run first = new Run();
        Run second = new Run();
        a.enter(first);
        Thread waiting = new Thread(() -> b.enter(second));
        waiting.start();
        await("the second query waits").atMost(Duration.ofSeconds(30)).until(waiting::getState, is(Thread.State.TIMED_WAITING));
        assertThat(second.mixpanelSlot()).isNull();

        a.leave(first);
        waiting.join(10_000);
        assertThat(second.mixpanelSlot()).as("b saw the slot a gave back").isNotNull();
    }

    @Test
    void concurrentQueriesOfTwoReplicasNeverExceedMaxConcurrent() {
        for (int round = 0; round < 30; round++) { // each round a project of its own, two queries at once
            MixpanelBudget a = budget("p" + round, 1000, 2, 0, "", Duration.ofMillis(50));
            MixpanelBudget b = budget("p" + round, 1000, 2, 0, "", Duration.ofMillis(50));
            AtomicInteger turn = new AtomicInteger();

            List<Boolean> entered = Concurrently.run(8, () -> { // eight queries at once, none ends
                try {
                    (turn.getAndIncrement() % 2 == 0 ? a : b).enter(new Run());
                    return true;
                } catch (MixpanelBudget.BudgetExhaustedException noSlot) {
                    return false;
                }
            });

            assertThat(entered.stream().filter(Boolean::booleanValue).count()).as("queries in flight in round %d", round)
                    .isEqualTo(2);
        }
    }

    @Test
    void aSlotOfAReplicaThatDiedIsFreeOnceItsLeaseLapses() {
        MixpanelBudget alive = budget(60, 1, 0);
        MixpanelBudget other = budget(60, 1, 0);
        Run first = new Run();
        Run second = new Run();
        alive.enter(first);

        clock.move(Duration.ofMinutes(61)); // past the lease (1 h here); its replica renews it
        alive.renew();
        assertThatThrownBy(() -> other.enter(second)).hasMessageContaining("no Mixpanel query slot came free");

        clock.move(Duration.ofMinutes(61)); // its replica died: no renewal
        other.enter(second);
        assertThat(second.mixpanelSlot()).isNotNull();
    }

    @Test
    void aRestartedReplicaFreesTheSlotsItHeldBefore() {
        MixpanelBudget before = budget("1", 60, 1, 0, "pod-1", Duration.ofMillis(50));
        before.enter(new Run()); // then the replica is killed: it never gives the slot back
        MixpanelBudget other = budget(60, 1, 0);
        assertThatThrownBy(() -> other.enter(new Run())).hasMessageContaining("no Mixpanel query slot came free");

        MixpanelBudget after = budget("1", 60, 1, 0, "pod-1", Duration.ofMillis(50));
        after.releaseDead();
        other.enter(new Run());
    }

    @Test
    void theControlPlaneNeverTakesTheQueriesReservedForSyncs() {
        MixpanelBudget reserving = budget(5, 5, 3);
        reserving.takeUnreserved();
        clock.move(Duration.ofMinutes(10));
        reserving.take(); // a sync: it counts against the control plane's part too

        assertThatThrownBy(reserving::takeUnreserved).isInstanceOf(MixpanelBudget.BudgetExhaustedException.class)
                .hasMessageContaining("2 of the 5").hasMessageContaining("the last 3 are reserved for syncs")
                .hasMessageContaining("again after " + clock.start.plus(Duration.ofHours(1))); // when the first query leaves the hour
        reserving.take();
        reserving.take();
        reserving.take(); // syncs may take the reserve
        assertThatThrownBy(reserving::take).hasMessageContaining("5 queries in the last hour");
    }

    @Test
    void aReserveOfTheWholeBudgetStillLeavesTheListingOneQueryAnHour() {
        MixpanelBudget all = budget(3, 5, 100);
        all.takeUnreserved();
        assertThatThrownBy(all::takeUnreserved).hasMessageContaining("the last 2 are reserved for syncs");
    }

    @Test
    void anEmptyCohortStillNeedsOneQuery() {
        budget.take();
        budget.take();
        budget.ensureFits(7, 0, 1000);
        budget.take();
        assertThatThrownBy(() -> budget.ensureFits(7, 0, 1000)).hasMessageContaining("only 0 of 3");
    }

    /** A replica's budget of project 1 that waits 50 ms for a slot. */
    private MixpanelBudget budget(int perHour, int maxConcurrent, int reserved) {
        return budget("1", perHour, maxConcurrent, reserved, "", Duration.ofMillis(50));
    }

    /** A replica's budget on the test's clock, with a slot lease of an hour (tests renew by hand). */
    private MixpanelBudget budget(String project, int perHour, int maxConcurrent, int reserved, String instanceId, Duration slotWait) {
        MixpanelBudget made = new MixpanelBudget(jdbc, new MixpanelProperties("https://mixpanel.com", project, "u", "s", perHour,
                maxConcurrent, Duration.ofSeconds(60), reserved, Duration.ofHours(1), "https://api.mixpanel.com"), instanceId, slotWait);
        made.clock(clock);
        budgets.add(made);
        return made;
    }

    static class Run implements MixpanelBudget.SlotHolder {
        String slot;

        @Override
        public String mixpanelSlot() {
            return slot;
        }

        @Override
        public void mixpanelSlot(String slot) {
            this.slot = slot;
        }
    }

    static class TestClock extends Clock {
        final Instant start = Instant.parse("2026-03-01T10:00:00Z");
        volatile Instant now = start;

        void move(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}

package io.bridge.mixpanel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bridge.exports.ExportRun;
import org.junit.jupiter.api.Test;

class MixpanelBudgetTest {

    final MixpanelBudget budget = new MixpanelBudget(new MixpanelProperties("https://mixpanel.com", "1", "u", "s", 3, 5,
            java.time.Duration.ofSeconds(60), 0));

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
    void atMostMaxConcurrentQueriesAreInFlight() {
        MixpanelBudget twoAtOnce = new MixpanelBudget(
                new MixpanelProperties("https://mixpanel.com", "1", "u", "s", 60, 2, java.time.Duration.ofSeconds(60), 0),
                java.time.Duration.ofMillis(50));
        ExportRun a = new ExportRun();
        ExportRun b = new ExportRun();
        ExportRun c = new ExportRun();
        twoAtOnce.enter(a);
        twoAtOnce.enter(a); // a retry keeps its slot
        twoAtOnce.enter(b);

        assertThatThrownBy(() -> twoAtOnce.enter(c)).hasMessageContaining("no Mixpanel query slot came free");
        assertThat(c.holdsMixpanelSlot()).isFalse();

        twoAtOnce.leave(a);
        twoAtOnce.enter(c);
        assertThat(c.holdsMixpanelSlot()).isTrue();
        assertThat(a.holdsMixpanelSlot()).isFalse();
    }

    @Test
    void theControlPlaneNeverTakesTheQueriesReservedForSyncs() {
        MixpanelBudget reserving = new MixpanelBudget(new MixpanelProperties("https://mixpanel.com", "1", "u", "s", 5, 5,
                java.time.Duration.ofSeconds(60), 3));
        reserving.takeUnreserved();
        reserving.take(); // a sync: it counts against the control plane's part too

        assertThatThrownBy(reserving::takeUnreserved).isInstanceOf(MixpanelBudget.BudgetExhaustedException.class)
                .hasMessageContaining("2 of the 5").hasMessageContaining("the last 3 are reserved for syncs");
        reserving.take();
        reserving.take();
        reserving.take(); // syncs may take the reserve
        assertThatThrownBy(reserving::take).hasMessageContaining("5 queries in the last hour");
    }

    @Test
    void aReserveOfTheWholeBudgetStillLeavesTheListingOneQueryAnHour() {
        MixpanelBudget all = new MixpanelBudget(new MixpanelProperties("https://mixpanel.com", "1", "u", "s", 3, 5,
                java.time.Duration.ofSeconds(60), 100));
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
}

package io.bridge.architecture;

import static org.assertj.core.api.Assertions.assertThat;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The product's packages depend one way: the API adapters ({@code mixpanel}, {@code iterable}) are
 * leaves that know nothing of runs; {@code exports} orchestrates them; the control plane
 * ({@code api}) sits on top; event intake ({@code webhooks}) stays apart. Only the product's
 * classes are checked (test code and stand-ins may reach anywhere).
 */
class PackageDependenciesTest {

    static final JavaClasses PRODUCT = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.bridge");

    @Test
    void theProductIsWhatIsChecked() {
        assertThat(PRODUCT.contain(io.bridge.mixpanel.MixpanelCohorts.class)).isTrue();
        assertThat(PRODUCT.contain(io.bridge.exports.ExportRuns.class)).isTrue();
        assertThat(PRODUCT.stream().filter(c -> c.getPackageName().startsWith("io.bridge.support"))).as("no test code").isEmpty();
    }

    @Test
    void noPackageCycles() {
        slices().matching("io.bridge.(*)..").should().beFreeOfCycles().check(PRODUCT);
    }

    @Test
    void theApiAdaptersAreLeaves() {
        noClasses().that().resideInAnyPackage("io.bridge.mixpanel..", "io.bridge.iterable..")
                .should().dependOnClassesThat().resideInAnyPackage("io.bridge.exports..", "io.bridge.api..", "io.bridge.webhooks..",
                        "io.bridge.forwarding..")
                .because("Mixpanel's and Iterable's adapters speak their API; runs, the control plane and intake use them")
                .check(PRODUCT);
        noClasses().that().resideInAPackage("io.bridge.mixpanel..").should().dependOnClassesThat().resideInAPackage("io.bridge.iterable..")
                .check(PRODUCT);
        noClasses().that().resideInAPackage("io.bridge.iterable..").should().dependOnClassesThat().resideInAPackage("io.bridge.mixpanel..")
                .check(PRODUCT);
    }

    @Test
    void cohortExportKnowsNothingOfTheControlPlane() {
        noClasses().that().resideInAPackage("io.bridge.exports..").should().dependOnClassesThat().resideInAPackage("io.bridge.api..")
                .check(PRODUCT);
    }

    @Test
    void eventIntakeStaysApartFromCohortExport() {
        noClasses().that().resideInAPackage("io.bridge.webhooks..")
                .should().dependOnClassesThat().resideInAnyPackage("io.bridge.exports..", "io.bridge.mixpanel..", "io.bridge.iterable..",
                        "io.bridge.api..")
                .check(PRODUCT);
    }

    @Test
    void theConsoleIsOnTopAndNothingUsesIt() {
        noClasses().that().resideOutsideOfPackage("io.bridge.console..").should().dependOnClassesThat()
                .resideInAPackage("io.bridge.console..").check(PRODUCT);
    }
}

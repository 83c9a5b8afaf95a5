package io.bridge.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.bridge.BridgeApplication;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The product (what the jar and the image carry: target/classes) holds no stand-in for Mixpanel or
 * Iterable and no demo profile, and nothing in it refers to them: those are test code
 * (src/test/java/io/bridge/fakes, io/bridge/demo), run by the tests, bench/ and the demo's
 * {@code mvn spring-boot:run}. .ci/run checks the packaged jar the same way ({@code jar tf}).
 */
class ProductArtifactTest {

    static final String[] TEST_ONLY_PACKAGES = {"io.bridge.fakes..", "io.bridge.demo.."};

    static Path classes;
    static JavaClasses product;

    @BeforeAll
    static void importTheProduct() throws URISyntaxException {
        classes = Path.of(BridgeApplication.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        product = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.bridge");
    }

    @Test
    void theProductsClassesHoldNoStandInAndNoDemo() throws IOException {
        assertThat(classes).as("the product's classes").isDirectory().endsWith(Path.of("target", "classes"));
        try (Stream<Path> files = Files.walk(classes)) {
            List<String> testOnly = files.map(file -> classes.relativize(file).toString().replace('\\', '/'))
                    .filter(name -> name.startsWith("io/bridge/fakes") || name.startsWith("io/bridge/demo"))
                    .toList();
            assertThat(testOnly).as("stand-in or demo files in " + classes).isEmpty();
        }
        assertThat(product).as("the product's classes, as imported").isNotEmpty()
                .allSatisfy(type -> assertThat(type.getPackageName()).doesNotStartWith("io.bridge.fakes")
                        .doesNotStartWith("io.bridge.demo"));
    }

    @Test
    void noProductClassRefersToAStandInOrTheDemo() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage(TEST_ONLY_PACKAGES)
                .because("the stand-ins and the demo profile are test code, absent from the jar")
                .check(product);
    }

    @Test
    void noProductResourceRegistersAStandInOrTheDemo() throws IOException {
        try (Stream<Path> files = Files.walk(classes.resolve("META-INF"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(file, StandardCharsets.UTF_8)).as(classes.relativize(file).toString())
                        .doesNotContain("io.bridge.fakes").doesNotContain("io.bridge.demo");
            }
        }
    }
}

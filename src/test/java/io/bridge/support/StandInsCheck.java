package io.bridge.support;

import io.bridge.fakes.FakeHttpApi;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Every test is a protocol check: after each test (and after each class, for what its set-up and
 * tear-down did) no stand-in of this JVM may hold a protocol violation, a request the real Mixpanel
 * or Iterable would refuse or that misuses it. Registered for every test class through
 * {@code META-INF/services/org.junit.jupiter.api.extension.Extension} and
 * {@code junit.jupiter.extensions.autodetection.enabled} (junit-platform.properties), so no test
 * class has to ask for it. A violation is taken once: it fails the test that was running when it
 * happened (or the next one, for one made between tests by a scheduled run).
 */
public class StandInsCheck implements AfterEachCallback, AfterAllCallback {

    @Override
    public void afterEach(ExtensionContext context) {
        check();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        check();
    }

    private static void check() {
        List<FakeHttpApi.Violation> violations = FakeHttpApi.takeAllViolations();
        if (!violations.isEmpty()) {
            throw new AssertionError("the stand-ins saw " + violations.size() + " protocol violation(s), requests the real API "
                    + "would refuse or that misuse it:\n  " + violations.stream().map(Object::toString).collect(Collectors.joining("\n  ")));
        }
    }
}

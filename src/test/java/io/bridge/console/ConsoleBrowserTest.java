package io.bridge.console;

import static io.bridge.fakes.FakeMixpanel.members;
import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeHttpTest;
import io.bridge.support.MixpanelPushes;
import io.bridge.support.StandIns;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The console in a real browser (headless Chromium, Debian's chromium and chromium-driver): an admin
 * connects Iterable, exports a cohort one-time, watches its run finish and downloads its report; a
 * viewer finds no control. A screenshot of each page is written to target/console-screenshots.
 * Without Chromium on the machine (.ci/run installs it) the class is skipped, saying so.
 */
class ConsoleBrowserTest extends BridgeHttpTest {

    static final FakeMixpanel MIXPANEL = StandIns.mixpanel();
    static final FakeIterable ITERABLE = StandIns.iterable();
    static final Path CHROMIUM = Path.of(System.getProperty("bridge.test.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("bridge.test.chromedriver", "/usr/bin/chromedriver"));
    static final Path SCREENSHOTS = Path.of("target", "console-screenshots");

    WebDriver browser;
    WebDriverWait patience;
    String test;

    @DynamicPropertySource
    static void apis(DynamicPropertyRegistry registry) {
        StandIns.register(registry, MIXPANEL, ITERABLE);
        registry.add("ITERABLE_API_KEY_TEST", () -> StandIns.API_KEY);
        registry.add("ITERABLE_API_KEY_WRONG", () -> "a-key-iterable-does-not-know");
        registry.add("bridge.mixpanel.cohorts-cache-ttl", () -> "0s"); // each test's stand-in cohorts, not an earlier listing
    }

    @BeforeAll
    static void chromium() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "the console's browser tests need Chromium and its driver (" + CHROMIUM + ", " + CHROMEDRIVER
                        + "): apt-get install chromium chromium-driver; .ci/run installs them");
        Files.createDirectories(SCREENSHOTS);
    }

    @BeforeEach
    void openBrowser(TestInfo info) {
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000", "--disable-gpu");
        // a driver of its own: quitting the browser stops its driver
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build(),
                options);
        patience = new WebDriverWait(browser, PATIENCE);
        test = info.getTestMethod().orElseThrow().getName();
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    void screenshot(String page) throws Exception {
        byte[] png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(SCREENSHOTS.resolve(test + "-" + page + ".png"), png);
    }

    void signIn(String user, String password) {
        browser.get(uri("/").toString());
        patience.until(ExpectedConditions.urlContains("/login"));
        browser.findElement(By.id("username")).sendKeys(user);
        browser.findElement(By.id("password")).sendKeys(password);
        browser.findElement(By.id("sign-in-button")).click();
    }

    WebElement cohortRow(long id) {
        return patience.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#cohort-table tr[data-cohort='" + id + "']")));
    }

    @Test
    void anAdminConnectsExportsACohortWatchesItsRunAndDownloadsItsReport() throws Exception {
        MIXPANEL.cohort(31, "Console fans", members("ann@x.com", "bob@x.com", ""));

        signIn("test-admin", "wrong");
        assertThat(patience.until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-in-refused"))).getText())
                .contains("Wrong user name or password");
        screenshot("sign-in-refused");
        signIn("test-admin", "test-admin-password");
        patience.until(ExpectedConditions.visibilityOfElementLocated(By.id("connected")));
        screenshot("console");

        // a key Iterable refuses: said in Iterable's words, nothing changes
        new Select(browser.findElement(By.id("data-center"))).selectByValue("EU");
        WebElement keyRef = browser.findElement(By.id("api-key-ref"));
        keyRef.clear();
        keyRef.sendKeys("ITERABLE_API_KEY_WRONG");
        browser.findElement(By.id("connect")).click();
        WebElement message = patience.until(ExpectedConditions.visibilityOfElementLocated(By.id("message")));
        assertThat(message.getText()).contains("Iterable (EU) refused the API key");
        screenshot("connect-refused");
        keyRef.clear();
        keyRef.sendKeys("ITERABLE_API_KEY_TEST");
        browser.findElement(By.id("connect")).click();
        patience.until(ExpectedConditions.textToBePresentInElementLocated(By.id("integration-state"), "Iterable EU"));
        assertThat(browser.findElement(By.id("message")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("integration-state")).getText()).contains("ITERABLE_API_KEY_TEST")
                .doesNotContain(StandIns.API_KEY);

        WebElement row = cohortRow(31);
        assertThat(row.getText()).contains("Console fans", "not exported");
        new Select(row.findElement(By.cssSelector("select.sync"))).selectByValue("one-time");
        ITERABLE.hold(); // the run waits on Iterable until the page has shown it running
        row.findElement(By.cssSelector("button.start-sync")).click();

        // the run is followed without a reload until it ends
        patience.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#run-table td.status"), "running"));
        screenshot("run-running");
        ITERABLE.release();
        patience.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#run-table td.status"), "succeeded"));
        List<String> cells = browser.findElements(By.cssSelector("#run-table tbody tr:first-child td")).stream().map(WebElement::getText).toList();
        assertThat(cells.get(0)).isEqualTo("succeeded");
        assertThat(cells.get(1)).isEqualTo("api");
        assertThat(cells.subList(4, 10)).as("members, with email, skipped, added, removed, failed").containsExactly("3", "2", "1", "2", "0", "0");
        assertThat(ITERABLE.members("mixpanel_Console fans_31")).containsExactlyInAnyOrder("ann@x.com", "bob@x.com");
        patience.until(page -> !cohortRow(31).findElement(By.cssSelector("td.last-run")).getText().isEmpty());
        assertThat(cohortRow(31).getText()).as("the cohorts are shown again once the run ended").contains("one-time, active");
        screenshot("run-finished");

        // the report: the link the page shows (a download), fetched with the browser's session
        WebElement link = browser.findElement(By.cssSelector("#run-table a.report"));
        assertThat(link.getAttribute("download")).isNotNull();
        String report = link.getAttribute("href");
        Cookie session = browser.manage().getCookieNamed("SESSION");
        HttpResponse<String> csv = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(report))
                .header("Cookie", "SESSION=" + session.getValue()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(csv.statusCode()).isEqualTo(200);
        assertThat(csv.body()).startsWith("distinct_id,email,outcome,reason").contains("ann@x.com,added", "bob@x.com,added");

        // a request the page's script did not make: the browser sends the session cookie, not the token
        Object forged = ((JavascriptExecutor) browser).executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "fetch('/api/integration', {method: 'DELETE'}).then(r => done(r.status), e => done(String(e)));");
        assertThat(forged).as("a change without the page's CSRF token").isEqualTo(403L);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_log WHERE action = 'integration.disconnect'", Integer.class)).isZero();

        browser.findElement(By.id("sign-out")).click();
        patience.until(ExpectedConditions.visibilityOfElementLocated(By.id("signed-out")));
        assertThat(count("SPRING_SESSION")).as("signed out: the session is gone").isZero();
    }

    @Test
    void aCohortMixpanelPushesCanOnlyBeStoppedFromTheConsole() throws Exception {
        MIXPANEL.cohort(33, "Pushed fans", members("dee@x.com"));
        HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri("/webhooks/mixpanel"))
                .header("Content-Type", "application/json").header("Authorization", MixpanelPushes.TEST_AUTHORIZATION)
                .POST(HttpRequest.BodyPublishers.ofString(MixpanelPushes.payload("members", 33, "Pushed fans", "s1", 1, 1, "dee@x.com")))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);

        signIn("test-admin", "test-admin-password");
        WebElement row = cohortRow(33);
        assertThat(row.getText()).contains("push, active", "runs when Mixpanel sends the cohort");
        assertThat(row.findElements(By.cssSelector("button.stop"))).hasSize(1);
        assertThat(row.findElements(By.cssSelector("button.run-now, button.start-sync, select.sync")))
                .as("its runs start when Mixpanel sends the cohort").isEmpty();
        screenshot("pushed-cohort");
    }

    @Test
    void aViewerSeesTheBridgeAndNoControl() throws Exception {
        MIXPANEL.cohort(32, "Viewed", members("cy@x.com"));
        signIn("test-viewer", "test-viewer-password");
        patience.until(ExpectedConditions.visibilityOfElementLocated(By.id("connected")));
        assertThat(cohortRow(32).getText()).contains("Viewed", "not exported");
        assertThat(browser.findElement(By.id("who")).getText()).contains("test-viewer (VIEWER)");
        assertThat(browser.findElements(By.cssSelector("#connect-form, #disconnect, button.start-sync, button.run-now, button.stop")))
                .as("no control on a viewer's page").isEmpty();
        patience.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#mtu dd")));
        assertThat(browser.findElement(By.id("mtu")).getText()).contains("Monthly tracked users");
        screenshot("viewer");
    }

    @Test
    void theApiDocsShowEveryOperationToAViewer() throws Exception {
        signIn("test-viewer", "test-viewer-password");
        patience.until(ExpectedConditions.visibilityOfElementLocated(By.id("connected")));
        browser.get(uri("/api/docs").toString());
        patience.until(ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector(".opblock"), 15));
        assertThat(browser.findElement(By.cssSelector(".info .title")).getText()).contains("Mixpanel-Iterable bridge control plane");
        assertThat(browser.findElements(By.cssSelector(".opblock-summary-path")))
                .extracting(WebElement::getText).contains("/api/exports/{cohortId}/run", "/api/integration", "/api/mtu");
        screenshot("api-docs");
    }
}
